"""The SQLite store: one node (several processes on one host may share the file: WAL,
busy timeout). Every call runs on one thread of its own so the event loop never waits
for the disk; the thread also serializes the calls, as one connection needs."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from .agent_view import AgentView
from .store import (
    Claim,
    GatewayOwnedElsewhere,
    JournalEntry,
    LinkSuperseded,
    Location,
    LogRow,
    Store,
    StoreHealth,
    StoreUnavailable,
)
from .store_schema import MIGRATIONS, VERSION_TABLE
from .store_url import StoreUrl

T = TypeVar("T")


class SqliteStore(Store):
    def __init__(self, url: StoreUrl) -> None:
        self.url = url
        self.path = url.target
        self.health = StoreHealth(url.redacted())
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="sqlite-store")
        self._conn: sqlite3.Connection | None = None

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(self._pool, fn, *args)
        except sqlite3.OperationalError as exc:  # locked, disk I/O, unopenable file
            self.health.failed(exc)
            raise StoreUnavailable(str(exc)) from exc
        self.health.succeeded()
        return result

    # -- life cycle -------------------------------------------------------------------

    async def open(self) -> None:
        await self._run(self._open)

    def _open(self) -> None:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # The busy timeout must hold from the first statement: switching to WAL takes a
        # lock, and nodes opening one file together would otherwise fail at once.
        c = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                            timeout=10.0)
        c.execute("PRAGMA journal_mode=WAL")
        c.execute("PRAGMA synchronous=NORMAL")
        c.execute("PRAGMA busy_timeout=10000")
        self._conn = c
        self._migrate(c)

    @staticmethod
    def _migrate(c: sqlite3.Connection) -> None:
        c.execute("BEGIN IMMEDIATE")
        try:
            c.execute(VERSION_TABLE)
            row = c.execute("SELECT MAX(version) FROM schema_version").fetchone()
            current = int(row[0]) if row and row[0] is not None else 0
            for m in MIGRATIONS:
                if m.version > current:
                    for statement in m.sqlite.split(";"):
                        if statement.strip():
                            c.execute(statement)
                    c.execute("DELETE FROM schema_version")
                    c.execute("INSERT INTO schema_version (version) VALUES (?)", (m.version,))
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise

    async def close(self) -> None:
        if self._conn is not None:
            await asyncio.get_running_loop().run_in_executor(self._pool, self._conn.close)
            self._conn = None
        self._pool.shutdown(wait=False)

    @property
    def _c(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreUnavailable("the store is not open")
        return self._conn

    def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        c = self._c
        c.execute("BEGIN IMMEDIATE")
        try:
            result = fn(c)
        except BaseException:
            c.execute("ROLLBACK")
            raise
        c.execute("COMMIT")
        return result

    async def ping(self) -> None:
        await self._run(self._all, "SELECT 1", ())

    # -- gateways ---------------------------------------------------------------------

    async def claim_gateway(self, gateway_id: str, user_id: str, node_id: str) -> Claim:
        def claim(c: sqlite3.Connection) -> Claim:
            row = c.execute("SELECT user_id, acked_seq, epoch FROM gateways WHERE "
                            "gateway_id = ?", (gateway_id,)).fetchone()
            if row is not None and row[0] != user_id:
                raise GatewayOwnedElsewhere(gateway_id)
            if row is None:
                c.execute("INSERT INTO gateways (gateway_id, user_id, acked_seq, node_id, "
                          "online, last_seen, epoch) VALUES (?, ?, 0, ?, 1, ?, 1)",
                          (gateway_id, user_id, node_id, time.time()))
                return Claim(0, 1)
            epoch = int(row[2]) + 1
            c.execute("UPDATE gateways SET node_id = ?, online = 1, last_seen = ?, epoch = ? "
                      "WHERE gateway_id = ?", (node_id, time.time(), epoch, gateway_id))
            return Claim(int(row[1]), epoch)

        return await self._run(self._write, claim)

    async def release_gateway(self, gateway_id: str, epoch: int) -> None:
        await self._run(self._exec, "UPDATE gateways SET online = 0, last_seen = ? "
                        "WHERE gateway_id = ? AND epoch = ?", (time.time(), gateway_id, epoch))

    async def release_node(self, node_id: str) -> None:
        await self._run(self._exec, "UPDATE gateways SET online = 0 WHERE node_id = ?",
                        (node_id,))

    def _exec(self, sql: str, args: tuple[Any, ...]) -> None:
        self._c.execute(sql, args)

    def _all(self, sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        return list(self._c.execute(sql, args).fetchall())

    async def acked_seq(self, gateway_id: str) -> int:
        rows = await self._run(self._all, "SELECT acked_seq FROM gateways WHERE "
                               "gateway_id = ?", (gateway_id,))
        return int(rows[0][0]) if rows else 0

    # -- agents -----------------------------------------------------------------------

    async def load_agents(self, user_id: str, gateway_id: str | None = None
                          ) -> dict[str, AgentView]:
        if gateway_id is None:
            rows = await self._run(self._all, "SELECT agent_id, state FROM agents WHERE "
                                   "user_id = ? ORDER BY agent_id", (user_id,))
        else:
            rows = await self._run(self._all, "SELECT agent_id, state FROM agents WHERE "
                                   "user_id = ? AND gateway_id = ? ORDER BY agent_id",
                                   (user_id, gateway_id))
        return {a: AgentView.from_json(a, s) for a, s in rows}

    async def locate(self, user_id: str, agent_id: str) -> Location | None:
        rows = await self._run(
            self._all, "SELECT a.gateway_id, g.node_id, g.online FROM agents a JOIN gateways g "
            "ON g.gateway_id = a.gateway_id WHERE a.user_id = ? AND a.agent_id = ?",
            (user_id, agent_id))
        if not rows:
            return None
        return Location(str(rows[0][0]), rows[0][1], bool(rows[0][2]))

    async def commit_batch(self, gateway_id: str, epoch: int, user_id: str, new_acked: int,
                           changed: Iterable[AgentView], log_rows: Sequence[LogRow]) -> None:
        now = time.time()
        agents = [(user_id, a.agent_id, gateway_id, a.to_json(), now) for a in changed]
        log = [(gateway_id, s, a, t, now) for s, a, t in log_rows]
        keep = self.keep_log_per_gateway

        def commit(c: sqlite3.Connection) -> None:
            row = c.execute("SELECT epoch FROM gateways WHERE gateway_id = ?",
                            (gateway_id,)).fetchone()
            if row is None or int(row[0]) != epoch:
                raise LinkSuperseded(gateway_id)
            c.executemany(
                "INSERT INTO agents (user_id, agent_id, gateway_id, state, updated) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(user_id, agent_id) DO UPDATE SET "
                "gateway_id = excluded.gateway_id, state = excluded.state, "
                "updated = excluded.updated", agents)
            c.executemany(
                "INSERT OR IGNORE INTO event_log (gateway_id, seq, agent_id, type, stored_at) "
                "VALUES (?, ?, ?, ?, ?)", log)
            c.execute("UPDATE gateways SET acked_seq = MAX(acked_seq, ?), last_seen = ? "
                      "WHERE gateway_id = ?", (new_acked, now, gateway_id))
            if log and new_acked // 1000 != (new_acked - len(log)) // 1000:
                c.execute("DELETE FROM event_log WHERE gateway_id = ? AND seq <= ?",
                          (gateway_id, new_acked - keep))

        await self._run(self._write, commit)

    # -- command journal --------------------------------------------------------------

    async def journal_command(self, user_id: str, request_id: str, agent_id: str,
                              command: str) -> JournalEntry | None:
        def record(c: sqlite3.Connection) -> JournalEntry | None:
            row = c.execute("SELECT agent_id, command, reply FROM command_journal WHERE "
                            "user_id = ? AND request_id = ?", (user_id, request_id)).fetchone()
            if row is not None:
                return JournalEntry(row[0], row[1], row[2])
            c.execute("INSERT INTO command_journal (user_id, request_id, agent_id, command, "
                      "created) VALUES (?, ?, ?, ?, ?)",
                      (user_id, request_id, agent_id, command, time.time()))
            return None

        return await self._run(self._write, record)

    async def journal_reply(self, user_id: str, request_id: str, reply: str) -> None:
        await self._run(self._exec, "UPDATE command_journal SET reply = ? WHERE user_id = ? "
                        "AND request_id = ? AND reply IS NULL", (reply, user_id, request_id))

    async def journal_entry(self, user_id: str, request_id: str) -> JournalEntry | None:
        rows = await self._run(self._all, "SELECT agent_id, command, reply FROM "
                               "command_journal WHERE user_id = ? AND request_id = ?",
                               (user_id, request_id))
        return JournalEntry(rows[0][0], rows[0][1], rows[0][2]) if rows else None

    # -- audit ------------------------------------------------------------------------

    async def logged_seqs(self, gateway_id: str) -> list[int]:
        rows = await self._run(self._all, "SELECT seq FROM event_log WHERE gateway_id = ? "
                               "ORDER BY seq", (gateway_id,))
        return [int(r[0]) for r in rows]

    async def gateways_of(self, user_id: str) -> list[str]:
        rows = await self._run(self._all, "SELECT gateway_id FROM gateways WHERE user_id = ?",
                               (user_id,))
        return [str(r[0]) for r in rows]
