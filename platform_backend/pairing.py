"""Linking a gateway to a platform account with a one-time pairing code, and revoking it.

A signed-in user asks for a code (`issue_code`); the gateway exchanges it (`pair`) for a
gateway token: a JWT of kind `gateway` whose `jti` is stored with the gateway's name and
machine, so the user can list and revoke it. Codes are 8 characters from an alphabet
without look-alikes (no 0/O, 1/I/L), drawn with `secrets`, valid 10 minutes, used once,
and stored only as keyed hashes (HMAC with the JWT secret), so the database alone does not
give them away.

Abuse: code issuing is limited per user and per source address, pairing attempts per
source address (HTTP 429 with Retry-After; shared by all nodes through Redis when there is
one). A wrong code that shares its first half with
a live code counts as a failure against that code (a mistyped or half-guessed code), and
five failures burn it. Unknown, used, expired and burnt codes all get the same answer.

Revocation marks the token in the store (new handshakes are refused) and closes the live
link at once, close code 4401 `revoked`: on this node directly, on the others through
Redis (`--redis-url`, channel `mt4:gateway-revoked`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import redis.asyncio as aioredis

from .auth import issue_token
from .pairing_rate import Hit, Limit, LocalRateLimits, RateLimits
from .pairing_rate_redis import RedisRateLimits
from .pairing_store import GatewayRecord, PairingStorage, PairingStore

log = logging.getLogger(__name__)

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
SELECTOR_LENGTH = 4
CODE_TTL_S = 600.0
MAX_FAILURES = 5
GATEWAY_TOKEN_TTL_S = 365 * 24 * 3600
REVOKE_CHANNEL = "mt4:gateway-revoked"
CLOSE_REVOKED = 4401


@dataclass(frozen=True, slots=True)
class PairingLimits:
    codes_per_user: Limit = field(default_factory=lambda: Limit(10, 600.0))
    codes_per_address: Limit = field(default_factory=lambda: Limit(30, 600.0))
    pairs_per_address: Limit = field(default_factory=lambda: Limit(10, 60.0))


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many attempts: try again in {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class IssuedCode:
    code: str
    expires_at: float


@dataclass(frozen=True, slots=True)
class Paired:
    gateway_token: str
    token_id: str
    user_id: str


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(raw: str) -> str | None:
    """What a person typed -> the code, or None if it cannot be one. Case, spaces and
    dashes do not matter."""
    code = raw.strip().upper().replace("-", "").replace(" ", "")
    if len(code) != CODE_LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


def new_token_id() -> str:
    return secrets.token_urlsafe(16)


class Pairing:
    def __init__(self, store: PairingStorage, secret: str, node_id: str, *,
                 redis_url: str | None = None, limits: PairingLimits | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.node_id = node_id
        self.clock = clock
        self._secret = secret
        self._key = hashlib.sha256(b"mt4-companion pairing codes\0" + secret.encode()).digest()
        self.set_limits(limits or PairingLimits())
        self._rates: RateLimits = LocalRateLimits()
        self._redis_url = redis_url
        self._redis: aioredis.Redis | None = None
        self._listener: asyncio.Task[None] | None = None
        self._local_closers: list[Callable[[str], Awaitable[None]]] = []

    @classmethod
    def open(cls, db_path: Path | str, secret: str, node_id: str,
             redis_url: str | None = None) -> Pairing:
        return cls(PairingStore(db_path), secret, node_id, redis_url=redis_url)

    def set_limits(self, limits: PairingLimits) -> None:
        self.limits = limits

    # -- life cycle -------------------------------------------------------------------

    async def start(self) -> None:
        await self.store.release_node(self.node_id)
        if self._redis_url:
            self._redis = aioredis.from_url(self._redis_url)
            self._rates = RedisRateLimits(self._redis)
            ready = asyncio.Event()
            self._listener = asyncio.get_running_loop().create_task(
                self._listen(ready), name="pairing-revocations")
            await asyncio.wait_for(ready.wait(), 10)

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
        if self._redis is not None:
            await self._redis.aclose()
        await self.store.release_node(self.node_id)
        await self.store.close()

    # -- codes ------------------------------------------------------------------------

    def _hash(self, purpose: bytes, text: str) -> str:
        return hmac.new(self._key, purpose + b"\0" + text.encode(), hashlib.sha256).hexdigest()

    async def issue_code(self, user_id: str, address: str) -> IssuedCode:
        now = self.clock()
        wait = await self._rates.take([
            Hit("codes-by-user", user_id, self.limits.codes_per_user),
            Hit("codes-by-address", address, self.limits.codes_per_address)], now)
        if wait:
            raise RateLimited(wait)
        code = new_code()
        expires = now + CODE_TTL_S
        await self.store.add_code(self._hash(b"code", code),
                                  self._hash(b"selector", code[:SELECTOR_LENGTH]),
                                  user_id, now, expires)
        log.info("pairing code issued for user %s (expires in %.0f s)", user_id, CODE_TTL_S)
        return IssuedCode(code=code, expires_at=expires)

    async def pair(self, raw_code: str, name: str, machine: str, address: str) -> Paired | None:
        """The gateway token for a valid code, None for any code that is not (unknown,
        used, expired, burnt, malformed). Raises RateLimited."""
        now = self.clock()
        wait = await self._rates.take(
            [Hit("pairs-by-address", address, self.limits.pairs_per_address)], now)
        if wait:
            raise RateLimited(wait)
        code = normalize_code(raw_code)
        if code is None:
            log.info("pairing from %s refused: malformed code", address)
            return None
        token_id = new_token_id()
        user_id = await self.store.redeem_code(
            self._hash(b"code", code), self._hash(b"selector", code[:SELECTOR_LENGTH]),
            now, MAX_FAILURES, token_id, name, machine)
        if user_id is None:
            log.info("pairing from %s refused: invalid code", address)
            return None
        token = issue_token(user_id, self._secret, GATEWAY_TOKEN_TTL_S, now=now,
                            kind="gateway", token_id=token_id)
        log.info("gateway %r on %r linked to user %s (token id %s)", name, machine, user_id,
                 token_id)
        return Paired(gateway_token=token, token_id=token_id, user_id=user_id)

    # -- gateways ---------------------------------------------------------------------

    async def gateways(self, user_id: str) -> list[GatewayRecord]:
        return await self.store.gateways_of(user_id)

    def on_revoked(self, closer: Callable[[str], Awaitable[None]]) -> None:
        """`closer(token_id)` closes this node's live links of a revoked token."""
        self._local_closers.append(closer)

    async def revoke(self, user_id: str, token_id: str) -> bool:
        """Revoke the user's gateway token; False if it is not theirs or unknown."""
        if not await self.store.revoke(user_id, token_id, self.clock()):
            return False
        log.info("gateway token %s of user %s revoked", token_id, user_id)
        await self._close_local(token_id)
        if self._redis is not None:
            try:
                await self._redis.publish(REVOKE_CHANNEL, token_id)
            except Exception as exc:
                # The store already refuses the token: another node's live link is closed
                # when it next reconnects, not at once.
                log.warning("cannot tell other nodes about a revocation: %s", exc)
        return True

    async def _close_local(self, token_id: str) -> None:
        for closer in self._local_closers:
            await closer(token_id)

    async def _listen(self, ready: asyncio.Event) -> None:
        assert self._redis is not None
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(REVOKE_CHANNEL)
                    ready.set()
                    async for msg in pubsub.listen():
                        if msg.get("type") != "message":
                            continue
                        data = msg.get("data")
                        token_id = data.decode() if isinstance(data, bytes) else str(data)
                        await self._close_local(token_id)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("revocation listener: %s; resubscribing in 1 s", exc)
                await asyncio.sleep(1.0)
