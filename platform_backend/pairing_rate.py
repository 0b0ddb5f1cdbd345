"""Sliding-window rate limits for the pairing endpoints, per key (a user or a source
address), on this node. Plain class, clock passed in, no I/O."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limit:
    count: int
    window_s: float


class RateLimiter:
    """At most `limit.count` hits per key in any `limit.window_s` seconds."""

    def __init__(self, limit: Limit, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}

    def retry_after(self, key: str, now: float) -> int:
        """0 when a hit is allowed now, else whole seconds until one is."""
        hits = self._trim(key, now)
        if hits is None or len(hits) < self.limit.count:
            return 0
        return max(1, math.ceil(hits[0] + self.limit.window_s - now))

    def hit(self, key: str, now: float) -> int:
        """Count a hit if allowed; returns `retry_after` (0: counted)."""
        wait = self.retry_after(key, now)
        if wait:
            return wait
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= self.max_keys:
                self._sweep(now)
            hits = self._hits[key] = deque()
        hits.append(now)
        return 0

    def _trim(self, key: str, now: float) -> deque[float] | None:
        hits = self._hits.get(key)
        if hits is None:
            return None
        while hits and hits[0] <= now - self.limit.window_s:
            hits.popleft()
        if not hits:
            del self._hits[key]
            return None
        return hits

    def _sweep(self, now: float) -> None:
        for key in list(self._hits):
            self._trim(key, now)
        while len(self._hits) >= self.max_keys:
            # Still full of live keys: forget the oldest rather than grow without bound.
            del self._hits[next(iter(self._hits))]
