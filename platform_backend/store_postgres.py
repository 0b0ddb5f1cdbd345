"""The PostgreSQL store: N backend nodes on N hosts share it (asyncpg, one pool per node).

Each write is one statement (so one round trip and its own transaction): the batch
commit is a data-modifying CTE whose first step moves the gateway's acked seq only
where the gateway row still carries the link's epoch; the agents and log rows are
written only if that step found its row. The UPDATE holds the row's lock until commit,
so a concurrent claim (epoch + 1) is ordered strictly before or after the batch.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg  # type: ignore[import-untyped]

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
from .store_schema import ADVISORY_LOCK_KEY, MIGRATIONS, VERSION_TABLE
from .store_url import StoreUrl

log = logging.getLogger(__name__)

UNREACHABLE: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,  # admin shutdown, cannot connect now
    asyncpg.exceptions.InsufficientResourcesError,  # too many connections, disk full
)

RETRYABLE: tuple[type[BaseException], ...] = (StoreUnavailable, *UNREACHABLE)
CLOSE_FAILURES: tuple[type[BaseException], ...] = (TimeoutError, *UNREACHABLE)

CLAIM = """
INSERT INTO gateways AS g (gateway_id, user_id, acked_seq, node_id, online, last_seen, epoch)
VALUES ($1, $2, 0, $3, TRUE, $4, 1)
ON CONFLICT (gateway_id) DO UPDATE SET node_id = excluded.node_id, online = TRUE,
    last_seen = excluded.last_seen, epoch = g.epoch + 1
WHERE g.user_id = excluded.user_id
RETURNING acked_seq, epoch
"""

COMMIT = """
WITH g AS (
    UPDATE gateways SET acked_seq = GREATEST(acked_seq, $3), last_seen = $4
    WHERE gateway_id = $1 AND epoch = $2
    RETURNING gateway_id, user_id
), ev AS (
    INSERT INTO event_log (gateway_id, seq, agent_id, type, stored_at)
    SELECT $1, s, a, t, $4 FROM unnest($5::bigint[], $6::text[], $7::text[]) AS x(s, a, t)
    WHERE EXISTS (SELECT 1 FROM g)
    ON CONFLICT DO NOTHING
), ag AS (
    INSERT INTO agents (user_id, agent_id, gateway_id, state, updated)
    SELECT g.user_id, a, $1, st, $4 FROM g, unnest($8::text[], $9::text[]) AS y(a, st)
    ON CONFLICT (user_id, agent_id) DO UPDATE SET gateway_id = excluded.gateway_id,
        state = excluded.state, updated = excluded.updated
)
SELECT count(*) FROM g
"""


class PostgresStore(Store):
    def __init__(self, url: StoreUrl, *, pool_size: int = 8, call_timeout: float = 10.0
                 ) -> None:
        self.url = url
        self.health = StoreHealth(url.redacted())
        self.pool_size = pool_size
        self.call_timeout = call_timeout
        self._pool: asyncpg.Pool | None = None

    def connection(self) -> Any:
        """A pooled connection (async context manager) for tables kept by other modules
        (pairing); failures to reach the server raise StoreUnavailable."""
        return self._conn()

    @asynccontextmanager
    async def _conn(self) -> AsyncIterator[Any]:
        if self._pool is None:
            raise StoreUnavailable("the store is not open")
        try:
            async with self._pool.acquire(timeout=self.call_timeout) as con:
                yield con
        except UNREACHABLE as exc:
            self.health.failed(exc)
            raise StoreUnavailable(str(exc)) from exc
        self.health.succeeded()

    # -- life cycle -------------------------------------------------------------------

    async def open(self) -> None:
        """Connects (retrying with capped backoff while the server is unreachable), then
        migrates under the advisory lock."""
        delay = 0.2
        while True:
            try:
                self._pool = await asyncpg.create_pool(
                    self.url.target, min_size=1, max_size=self.pool_size,
                    command_timeout=self.call_timeout, max_inactive_connection_lifetime=60)
                async with self._conn() as con:
                    await self._migrate(con)
                return
            except RETRYABLE as exc:
                self.health.failed(exc)
                if self._pool is not None:
                    self._pool.terminate()
                    self._pool = None
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    @staticmethod
    async def _migrate(con: Any) -> None:
        await con.execute("SELECT pg_advisory_lock($1)", ADVISORY_LOCK_KEY)
        try:
            await con.execute(VERSION_TABLE)
            current = await con.fetchval("SELECT MAX(version) FROM schema_version") or 0
            for m in MIGRATIONS:
                if m.version > current:
                    async with con.transaction():
                        await con.execute(m.postgres)
                        await con.execute("DELETE FROM schema_version")
                        await con.execute("INSERT INTO schema_version (version) VALUES ($1)",
                                          m.version)
                    log.info("database schema now at version %d (%s)", m.version, m.what)
        finally:
            await con.execute("SELECT pg_advisory_unlock($1)", ADVISORY_LOCK_KEY)

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            try:
                await asyncio.wait_for(pool.close(), 5)
            except CLOSE_FAILURES:
                pool.terminate()

    async def ping(self) -> None:
        async with self._conn() as con:
            await con.fetchval("SELECT 1")

    # -- gateways ---------------------------------------------------------------------

    async def claim_gateway(self, gateway_id: str, user_id: str, node_id: str) -> Claim:
        async with self._conn() as con:
            row = await con.fetchrow(CLAIM, gateway_id, user_id, node_id, time.time())
        if row is None:
            raise GatewayOwnedElsewhere(gateway_id)
        return Claim(int(row["acked_seq"]), int(row["epoch"]))

    async def release_gateway(self, gateway_id: str, epoch: int) -> None:
        async with self._conn() as con:
            await con.execute("UPDATE gateways SET online = FALSE, last_seen = $3 "
                              "WHERE gateway_id = $1 AND epoch = $2",
                              gateway_id, epoch, time.time())

    async def release_node(self, node_id: str) -> None:
        async with self._conn() as con:
            await con.execute("UPDATE gateways SET online = FALSE WHERE node_id = $1", node_id)

    async def acked_seq(self, gateway_id: str) -> int:
        async with self._conn() as con:
            value = await con.fetchval("SELECT acked_seq FROM gateways WHERE gateway_id = $1",
                                       gateway_id)
        return int(value or 0)

    # -- agents -----------------------------------------------------------------------

    async def load_agents(self, user_id: str, gateway_id: str | None = None
                          ) -> dict[str, AgentView]:
        async with self._conn() as con:
            if gateway_id is None:
                rows = await con.fetch("SELECT agent_id, state FROM agents WHERE user_id = $1 "
                                       "ORDER BY agent_id", user_id)
            else:
                rows = await con.fetch("SELECT agent_id, state FROM agents WHERE user_id = $1 "
                                       "AND gateway_id = $2 ORDER BY agent_id",
                                       user_id, gateway_id)
        return {r[0]: AgentView.from_json(r[0], r[1]) for r in rows}

    async def locate(self, user_id: str, agent_id: str) -> Location | None:
        async with self._conn() as con:
            row = await con.fetchrow(
                "SELECT a.gateway_id, g.node_id, g.online FROM agents a JOIN gateways g "
                "ON g.gateway_id = a.gateway_id WHERE a.user_id = $1 AND a.agent_id = $2",
                user_id, agent_id)
        if row is None:
            return None
        return Location(str(row[0]), row[1], bool(row[2]))

    async def commit_batch(self, gateway_id: str, epoch: int, user_id: str, new_acked: int,
                           changed: Iterable[AgentView], log_rows: Sequence[LogRow]) -> None:
        agents = list(changed)
        async with self._conn() as con:
            found = await con.fetchval(
                COMMIT, gateway_id, epoch, new_acked, time.time(),
                [r[0] for r in log_rows], [r[1] for r in log_rows], [r[2] for r in log_rows],
                [a.agent_id for a in agents], [a.to_json() for a in agents])
            if not found:
                raise LinkSuperseded(gateway_id)
            if log_rows and new_acked // 1000 != (new_acked - len(log_rows)) // 1000:
                await con.execute("DELETE FROM event_log WHERE gateway_id = $1 AND seq <= $2",
                                  gateway_id, new_acked - self.keep_log_per_gateway)

    # -- command journal --------------------------------------------------------------

    async def journal_command(self, user_id: str, request_id: str, agent_id: str,
                              command: str) -> JournalEntry | None:
        async with self._conn() as con:
            inserted = await con.fetchval(
                "INSERT INTO command_journal (user_id, request_id, agent_id, command, created) "
                "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1",
                user_id, request_id, agent_id, command, time.time())
            if inserted:
                return None
            row = await con.fetchrow("SELECT agent_id, command, reply FROM command_journal "
                                     "WHERE user_id = $1 AND request_id = $2",
                                     user_id, request_id)
        return JournalEntry(row[0], row[1], row[2]) if row else None

    async def journal_reply(self, user_id: str, request_id: str, reply: str) -> None:
        async with self._conn() as con:
            await con.execute("UPDATE command_journal SET reply = $3 WHERE user_id = $1 AND "
                              "request_id = $2 AND reply IS NULL", user_id, request_id, reply)

    async def journal_entry(self, user_id: str, request_id: str) -> JournalEntry | None:
        async with self._conn() as con:
            row = await con.fetchrow("SELECT agent_id, command, reply FROM command_journal "
                                     "WHERE user_id = $1 AND request_id = $2",
                                     user_id, request_id)
        return JournalEntry(row[0], row[1], row[2]) if row else None

    # -- audit ------------------------------------------------------------------------

    async def logged_seqs(self, gateway_id: str) -> list[int]:
        async with self._conn() as con:
            rows = await con.fetch("SELECT seq FROM event_log WHERE gateway_id = $1 "
                                   "ORDER BY seq", gateway_id)
        return [int(r[0]) for r in rows]

    async def gateways_of(self, user_id: str) -> list[str]:
        async with self._conn() as con:
            rows = await con.fetch("SELECT gateway_id FROM gateways WHERE user_id = $1",
                                   user_id)
        return [str(r[0]) for r in rows]
