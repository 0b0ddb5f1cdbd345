"""The pairing rate limits shared by every node through Redis (`--redis-url`): one sorted
set of hit times per bucket and key, checked and updated by one Lua script so nodes never
race. If Redis cannot be reached, this node's own limits apply meanwhile."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import Any

import redis.asyncio as aioredis

from .pairing_rate import Hit, LocalRateLimits

log = logging.getLogger(__name__)

PREFIX = "mt4:pairing-rate:"

# KEYS: one sorted set per hit. ARGV: now, a unique member, then count and window per key.
TAKE = """
local now = tonumber(ARGV[1])
local wait = 0
for i, key in ipairs(KEYS) do
  local count = tonumber(ARGV[1 + 2 * i])
  local window = tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= count then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    local w = math.max(1, math.ceil(tonumber(oldest[2]) + window - now))
    if w > wait then wait = w end
  end
end
if wait == 0 then
  for i, key in ipairs(KEYS) do
    redis.call('ZADD', key, now, ARGV[2])
    redis.call('PEXPIRE', key, math.ceil(tonumber(ARGV[2 + 2 * i]) * 1000))
  end
end
return wait
"""


class RedisRateLimits:
    def __init__(self, redis: aioredis.Redis, fallback: LocalRateLimits | None = None) -> None:
        self._script: Any = redis.register_script(TAKE)
        self._fallback = fallback or LocalRateLimits()

    async def take(self, hits: Sequence[Hit], now: float) -> int:
        keys = [f"{PREFIX}{h.bucket}:{h.key}" for h in hits]
        args: list[str | int | float] = [repr(now), uuid.uuid4().hex]
        for h in hits:
            args += [h.limit.count, repr(h.limit.window_s)]
        try:
            return int(await self._script(keys=keys, args=args))
        except Exception as exc:
            log.warning("shared rate limits unavailable (%s): using this node's", exc)
            return self._fallback.take_now(hits, now)
