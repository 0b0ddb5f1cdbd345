"""Sliding-window rate limits for the pairing endpoints, per key (a user or a source
address). `RateLimiter` is the plain in-memory window (clock passed in, no I/O);
`LocalRateLimits` applies several at once on this node. With Redis the limits are shared
by every node (`pairing_rate_redis.py`)."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Limit:
    count: int
    window_s: float


@dataclass(frozen=True, slots=True)
class Hit:
    bucket: str  # what is limited, e.g. "codes-by-user"
    key: str     # whose hit, e.g. the user id or the source address
    limit: Limit


class RateLimits(Protocol):
    async def take(self, hits: Sequence[Hit], now: float) -> int:
        """Count all the hits if every one is allowed; else count none and return whole
        seconds until they would be (0: counted)."""
        ...


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


class LocalRateLimits:
    def __init__(self) -> None:
        self._buckets: dict[str, RateLimiter] = {}

    def _limiter(self, hit: Hit) -> RateLimiter:
        limiter = self._buckets.get(hit.bucket)
        if limiter is None or limiter.limit != hit.limit:
            limiter = self._buckets[hit.bucket] = RateLimiter(hit.limit)
        return limiter

    def take_now(self, hits: Sequence[Hit], now: float) -> int:
        wait = max((self._limiter(h).retry_after(h.key, now) for h in hits), default=0)
        if wait:
            return wait
        for h in hits:
            self._limiter(h).hit(h.key, now)
        return 0

    async def take(self, hits: Sequence[Hit], now: float) -> int:
        return self.take_now(hits, now)
