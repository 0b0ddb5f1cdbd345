"""Token bucket per connection: a flood from one peer must not starve the others."""

from __future__ import annotations

from collections.abc import Callable


class TokenBucket:
    def __init__(self, per_second: float, burst: int, now: Callable[[], float]) -> None:
        self._rate = per_second
        self._burst = float(burst)
        self._tokens = float(burst)
        self._now = now
        self._last = now()

    def take(self) -> bool:
        t = self._now()
        self._tokens = min(self._burst, self._tokens + (t - self._last) * self._rate)
        self._last = t
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False
