"""Reconnect delays: capped exponential backoff with full jitter.

Delay n (from 0) is uniform in [min_delay, min(cap, base * factor**n)]; a connection that
stayed up for `stable_after` seconds resets the sequence. The random source is injected.
"""

from __future__ import annotations

import random
from collections.abc import Callable


class Backoff:
    def __init__(
        self,
        *,
        base: float = 0.5,
        factor: float = 2.0,
        cap: float = 30.0,
        min_delay: float = 0.1,
        stable_after: float = 10.0,
        rand: Callable[[], float] | None = None,
    ) -> None:
        if not 0 < min_delay <= base <= cap or factor < 1:
            raise ValueError("need 0 < min_delay <= base <= cap and factor >= 1")
        self.base = base
        self.factor = factor
        self.cap = cap
        self.min_delay = min_delay
        self.stable_after = stable_after
        self._rand = rand or random.random
        self.attempt = 0

    def ceiling(self) -> float:
        return min(self.cap, self.base * self.factor ** min(self.attempt, 64))

    def next_delay(self) -> float:
        """The wait before the next attempt; each call moves one step up."""
        top = self.ceiling()
        self.attempt += 1
        return self.min_delay + (top - self.min_delay) * self._rand()

    def connected_for(self, seconds: float) -> None:
        """A connection ended after `seconds`: a long one starts the sequence over."""
        if seconds >= self.stable_after:
            self.attempt = 0

    def reset(self) -> None:
        self.attempt = 0
