"""The platform's SQLite store: gateways (owner, highest stored seq, where connected),
each user's agents (latest state), and an event log keyed by (gateway, seq) for audits.

Dedup: an event whose seq is not above the gateway's `acked_seq` was stored before and is
skipped; the state changes and the new `acked_seq` commit in one transaction, so an ack
is only sent for what is on disk. Several backend nodes on one host may share the file
(WAL, busy timeout). Blocking calls of a few hundred microseconds per batch.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .agent_view import AgentView

SCHEMA = """
CREATE TABLE IF NOT EXISTS gateways (
    gateway_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    acked_seq INTEGER NOT NULL DEFAULT 0,
    node_id TEXT,
    online INTEGER NOT NULL DEFAULT 0,
    last_seen REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS agents (
    user_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    gateway_id TEXT NOT NULL,
    state TEXT NOT NULL,
    updated REAL NOT NULL,
    PRIMARY KEY (user_id, agent_id)
);
CREATE TABLE IF NOT EXISTS event_log (
    gateway_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    agent_id TEXT NOT NULL,
    type TEXT NOT NULL,
    stored_at REAL NOT NULL,
    PRIMARY KEY (gateway_id, seq)
);
"""


class GatewayOwnedElsewhere(Exception):
    """This gateway id is registered to another user."""


@dataclass(frozen=True, slots=True)
class Location:
    gateway_id: str
    node_id: str | None
    online: bool


class Store:
    def __init__(self, path: Path | str, *, event_log_max: int = 1_000_000) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.path = str(path)
        self.event_log_max = event_log_max
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA busy_timeout=10000")
        self._conn.executescript(SCHEMA)
        self._log_rows = 0

    def close(self) -> None:
        self._conn.close()

    # -- gateways ---------------------------------------------------------------------

    def claim_gateway(self, gateway_id: str, user_id: str, node_id: str) -> int:
        """Register/refresh a connected gateway; returns its highest stored seq."""
        c = self._conn
        c.execute("BEGIN IMMEDIATE")
        try:
            row = c.execute(
                "SELECT user_id, acked_seq FROM gateways WHERE gateway_id = ?", (gateway_id,)
            ).fetchone()
            if row is not None and row[0] != user_id:
                raise GatewayOwnedElsewhere(gateway_id)
            if row is None:
                c.execute(
                    "INSERT INTO gateways (gateway_id, user_id, acked_seq, node_id, online, "
                    "last_seen) VALUES (?, ?, 0, ?, 1, ?)",
                    (gateway_id, user_id, node_id, time.time()),
                )
                acked = 0
            else:
                c.execute(
                    "UPDATE gateways SET node_id = ?, online = 1, last_seen = ? "
                    "WHERE gateway_id = ?",
                    (node_id, time.time(), gateway_id),
                )
                acked = int(row[1])
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise
        return acked

    def release_gateway(self, gateway_id: str, node_id: str) -> None:
        self._conn.execute(
            "UPDATE gateways SET online = 0, last_seen = ? WHERE gateway_id = ? AND node_id = ?",
            (time.time(), gateway_id, node_id),
        )

    def release_node(self, node_id: str) -> None:
        """This node is starting or stopping: none of its old gateway links is alive."""
        self._conn.execute("UPDATE gateways SET online = 0 WHERE node_id = ?", (node_id,))

    def acked_seq(self, gateway_id: str) -> int:
        row = self._conn.execute(
            "SELECT acked_seq FROM gateways WHERE gateway_id = ?", (gateway_id,)
        ).fetchone()
        return 0 if row is None else int(row[0])

    # -- agents -----------------------------------------------------------------------

    def load_agents(self, user_id: str, gateway_id: str | None = None) -> dict[str, AgentView]:
        if gateway_id is None:
            rows = self._conn.execute(
                "SELECT agent_id, state FROM agents WHERE user_id = ? ORDER BY agent_id",
                (user_id,),
            )
        else:
            rows = self._conn.execute(
                "SELECT agent_id, state FROM agents WHERE user_id = ? AND gateway_id = ? "
                "ORDER BY agent_id",
                (user_id, gateway_id),
            )
        return {a: AgentView.from_json(a, s) for a, s in rows}

    def locate(self, user_id: str, agent_id: str) -> Location | None:
        """Which gateway carries this user's agent, and where that gateway is connected."""
        row = self._conn.execute(
            "SELECT a.gateway_id, g.node_id, g.online FROM agents a JOIN gateways g "
            "ON g.gateway_id = a.gateway_id WHERE a.user_id = ? AND a.agent_id = ?",
            (user_id, agent_id),
        ).fetchone()
        if row is None:
            return None
        return Location(str(row[0]), row[1], bool(row[2]))

    def commit_batch(
        self,
        gateway_id: str,
        user_id: str,
        new_acked: int,
        changed: Iterable[AgentView],
        log_rows: list[tuple[int, str, str]],
    ) -> None:
        """Store the new state of changed agents, the log and the new highest seq at once."""
        now = time.time()
        c = self._conn
        c.execute("BEGIN IMMEDIATE")
        try:
            c.executemany(
                "INSERT INTO agents (user_id, agent_id, gateway_id, state, updated) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(user_id, agent_id) DO UPDATE SET "
                "gateway_id = excluded.gateway_id, state = excluded.state, "
                "updated = excluded.updated",
                [(user_id, a.agent_id, gateway_id, a.to_json(), now) for a in changed],
            )
            c.executemany(
                "INSERT OR IGNORE INTO event_log (gateway_id, seq, agent_id, type, stored_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [(gateway_id, s, a, t, now) for s, a, t in log_rows],
            )
            c.execute(
                "UPDATE gateways SET acked_seq = MAX(acked_seq, ?), last_seen = ? "
                "WHERE gateway_id = ?",
                (new_acked, now, gateway_id),
            )
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise
        self._log_rows += len(log_rows)
        if self._log_rows > 10_000:
            self._log_rows = 0
            self._trim_log()

    def save_agents(self, user_id: str, gateway_id: str, agents: Iterable[AgentView]) -> None:
        self.commit_batch(gateway_id, user_id, 0, agents, [])

    def _trim_log(self) -> None:
        self._conn.execute(
            "DELETE FROM event_log WHERE rowid <= "
            "(SELECT MAX(rowid) FROM event_log) - ?", (self.event_log_max,)
        )

    # -- audit ------------------------------------------------------------------------

    def logged_seqs(self, gateway_id: str) -> list[int]:
        return [int(r[0]) for r in self._conn.execute(
            "SELECT seq FROM event_log WHERE gateway_id = ? ORDER BY seq", (gateway_id,)
        )]

    def gateways_of(self, user_id: str) -> list[str]:
        return [str(r[0]) for r in self._conn.execute(
            "SELECT gateway_id FROM gateways WHERE user_id = ?", (user_id,)
        )]
