"""Durable pairing state: one-time pairing codes (stored as keyed hashes only) and the
gateway tokens they were exchanged for (owner, name, machine, revocation, where and
whether the gateway is linked right now).

Kept apart from `store.Store` so it can move to another database behind the same async
methods. The SQLite implementation shares the backend's database file and runs every
statement on one worker thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS pairing_codes (
    code_hash TEXT PRIMARY KEY,
    selector TEXT NOT NULL,
    user_id TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    used_at REAL,
    failures INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS pairing_codes_selector ON pairing_codes (selector);
CREATE TABLE IF NOT EXISTS gateway_tokens (
    token_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    name TEXT NOT NULL,
    machine TEXT NOT NULL,
    linked_at REAL NOT NULL,
    revoked_at REAL,
    gateway_id TEXT,
    version TEXT,
    node_id TEXT,
    online INTEGER NOT NULL DEFAULT 0,
    last_seen REAL
);
CREATE INDEX IF NOT EXISTS gateway_tokens_user ON gateway_tokens (user_id);
"""

# Codes are kept a day past expiry (for audits), then deleted when new ones are made.
CODE_RETENTION_S = 24 * 3600


@dataclass(frozen=True, slots=True)
class TokenState:
    user_id: str
    revoked: bool


@dataclass(frozen=True, slots=True)
class GatewayRecord:
    token_id: str
    name: str
    machine: str
    linked_at: float
    gateway_id: str | None
    version: str | None
    online: bool
    last_seen: float | None


class PairingStorage(Protocol):
    """What pairing needs from a database; `PairingStore` is the SQLite one."""

    async def close(self) -> None: ...
    async def add_code(self, code_hash: str, selector: str, user_id: str, now: float,
                       expires_at: float) -> None: ...
    async def redeem_code(self, code_hash: str, selector: str, now: float, max_failures: int,
                          token_id: str, name: str, machine: str) -> str | None: ...
    async def add_gateway_token(self, token_id: str, user_id: str, name: str, machine: str,
                                now: float) -> None: ...
    async def token_state(self, token_id: str) -> TokenState | None: ...
    async def revoke(self, user_id: str, token_id: str, now: float) -> bool: ...
    async def gateways_of(self, user_id: str) -> list[GatewayRecord]: ...
    async def link_opened(self, token_id: str, gateway_id: str, version: str | None,
                          node_id: str, now: float) -> None: ...
    async def link_closed(self, token_id: str, node_id: str, now: float) -> None: ...
    async def release_node(self, node_id: str) -> None: ...


class PairingStore:
    def __init__(self, path: Path | str) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False,
                                     timeout=10.0)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA busy_timeout=10000")
        self._conn.executescript(SCHEMA)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pairing-store")

    async def close(self) -> None:
        await self._run(self._conn.close)
        self._executor.shutdown(wait=False)

    async def _run(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    def _transaction(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        c = self._conn
        c.execute("BEGIN IMMEDIATE")
        try:
            result = fn(c)
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise
        return result

    # -- pairing codes ----------------------------------------------------------------

    async def add_code(self, code_hash: str, selector: str, user_id: str, now: float,
                       expires_at: float) -> None:
        def add(c: sqlite3.Connection) -> None:
            c.execute("DELETE FROM pairing_codes WHERE expires_at < ?",
                      (now - CODE_RETENTION_S,))
            c.execute("INSERT INTO pairing_codes (code_hash, selector, user_id, created_at, "
                      "expires_at) VALUES (?, ?, ?, ?, ?)",
                      (code_hash, selector, user_id, now, expires_at))

        await self._run(lambda: self._transaction(add))

    async def redeem_code(self, code_hash: str, selector: str, now: float, max_failures: int,
                          token_id: str, name: str, machine: str) -> str | None:
        """Use the code and record the gateway token it buys, at once; returns the user.

        A code that is unknown, used, expired or burnt gives None; a wrong code counts as a
        failure against every live code sharing its selector (its first half), and a code
        with `max_failures` failures is burnt."""

        def redeem(c: sqlite3.Connection) -> str | None:
            row = c.execute(
                "SELECT user_id FROM pairing_codes WHERE code_hash = ? AND used_at IS NULL "
                "AND expires_at > ? AND failures < ?", (code_hash, now, max_failures),
            ).fetchone()
            if row is None:
                c.execute(
                    "UPDATE pairing_codes SET failures = failures + 1 WHERE selector = ? "
                    "AND code_hash <> ? AND used_at IS NULL AND expires_at > ?",
                    (selector, code_hash, now))
                return None
            user_id = str(row[0])
            c.execute("UPDATE pairing_codes SET used_at = ? WHERE code_hash = ?",
                      (now, code_hash))
            c.execute("INSERT INTO gateway_tokens (token_id, user_id, name, machine, "
                      "linked_at) VALUES (?, ?, ?, ?, ?)",
                      (token_id, user_id, name, machine, now))
            return user_id

        return await self._run(lambda: self._transaction(redeem))

    # -- gateway tokens ---------------------------------------------------------------

    async def add_gateway_token(self, token_id: str, user_id: str, name: str, machine: str,
                                now: float) -> None:
        await self._run(lambda: self._conn.execute(
            "INSERT INTO gateway_tokens (token_id, user_id, name, machine, linked_at) "
            "VALUES (?, ?, ?, ?, ?)", (token_id, user_id, name, machine, now)).close())

    async def token_state(self, token_id: str) -> TokenState | None:
        row = await self._run(lambda: self._conn.execute(
            "SELECT user_id, revoked_at FROM gateway_tokens WHERE token_id = ?",
            (token_id,)).fetchone())
        if row is None:
            return None
        return TokenState(user_id=str(row[0]), revoked=row[1] is not None)

    async def revoke(self, user_id: str, token_id: str, now: float) -> bool:
        """Revoke the user's own live token; False when unknown, not theirs or revoked."""
        def revoke() -> bool:
            cur = self._conn.execute(
                "UPDATE gateway_tokens SET revoked_at = ?, online = 0 WHERE token_id = ? "
                "AND user_id = ? AND revoked_at IS NULL", (now, token_id, user_id))
            return cur.rowcount == 1

        return await self._run(revoke)

    async def gateways_of(self, user_id: str) -> list[GatewayRecord]:
        rows = await self._run(lambda: self._conn.execute(
            "SELECT token_id, name, machine, linked_at, gateway_id, version, online, "
            "last_seen FROM gateway_tokens WHERE user_id = ? AND revoked_at IS NULL "
            "ORDER BY linked_at, token_id", (user_id,)).fetchall())
        return [GatewayRecord(token_id=str(r[0]), name=str(r[1]), machine=str(r[2]),
                              linked_at=float(r[3]), gateway_id=r[4], version=r[5],
                              online=bool(r[6]), last_seen=r[7]) for r in rows]

    async def link_opened(self, token_id: str, gateway_id: str, version: str | None,
                          node_id: str, now: float) -> None:
        await self._run(lambda: self._conn.execute(
            "UPDATE gateway_tokens SET gateway_id = ?, version = ?, node_id = ?, online = 1, "
            "last_seen = ? WHERE token_id = ?",
            (gateway_id, version, node_id, now, token_id)).close())

    async def link_closed(self, token_id: str, node_id: str, now: float) -> None:
        await self._run(lambda: self._conn.execute(
            "UPDATE gateway_tokens SET online = 0, last_seen = ? WHERE token_id = ? "
            "AND node_id = ?", (now, token_id, node_id)).close())

    async def release_node(self, node_id: str) -> None:
        """This node is starting or stopping: none of its links is alive."""
        await self._run(lambda: self._conn.execute(
            "UPDATE gateway_tokens SET online = 0 WHERE node_id = ? AND online = 1",
            (node_id,)).close())
