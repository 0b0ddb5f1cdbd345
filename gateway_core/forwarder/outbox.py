"""The durable outbox: every item for the platform gets the next sequence number and is
stored before anything is sent; acknowledged items are pruned.

Sequence numbers are per gateway and survive restarts (the last one is stored in the
same transaction as the items). No sockets, no await: the forwarder calls `append` once
per event-loop turn with everything that arrived in it (one transaction), `pending` to
read what to send, and `ack` with the highest sequence the backend has stored.

Bound: with `max_items` unacknowledged items stored, live ticks (quotes, position and
account updates, heartbeats: the snapshot sent after every reconnect supersedes them)
are no longer stored; trade events, replies, snapshots and notices still are, up to
twice the bound, after which nothing more is stored until the backend catches up. Each
is logged once per episode. Dropped items never get a sequence number, so the backend
sees no gap; it converges from the next snapshot.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from .link_protocol import encode_event
from .sqlite_store import gateway_id, get_meta, set_meta

log = logging.getLogger(__name__)

DEFAULT_MAX_ITEMS = 200_000
SUPERSEDED_KINDS: frozenset[str] = frozenset(
    {"quote", "positions_update", "account_update", "heartbeat"}
)
"""Item kinds the next snapshot makes redundant: dropped first when the outbox is full."""


@dataclass(frozen=True, slots=True)
class OutItem:
    """Something to forward: `event_json` is the event exactly as local clients see it."""

    agent_id: str
    kind: str
    event_json: str


@dataclass(frozen=True, slots=True)
class Stored:
    seq: int
    frame: str


class Outbox:
    def __init__(self, conn: sqlite3.Connection, max_items: int = DEFAULT_MAX_ITEMS) -> None:
        if max_items < 1:
            raise ValueError("max_items must be at least 1")
        self._conn = conn
        self.max_items = max_items
        self.gateway_id = gateway_id(conn)
        row = conn.execute("SELECT MAX(seq), COUNT(*) FROM outbox").fetchone()
        stored_max = int(row[0] or 0)
        self.last_seq = max(stored_max, int(get_meta(conn, "last_seq") or 0))
        self.acked_seq = int(get_meta(conn, "acked_seq") or 0)
        self.depth = int(row[1])
        self.dropped = 0
        self._full_since_warned = False
        self._hard_full_warned = False

    # -- writing ----------------------------------------------------------------------

    def append(self, items: Iterable[OutItem]) -> list[Stored]:
        """Number and store items in one transaction; returns what was stored, in order."""
        rows: list[tuple[int, str, str, str]] = []
        seq = self.last_seq
        depth = self.depth
        for item in items:
            if not self._admit(item.kind, depth):
                self.dropped += 1
                continue
            seq += 1
            depth += 1
            rows.append((seq, item.agent_id, item.kind, encode_event(seq, item.agent_id,
                                                                     item.event_json)))
        if not rows:
            return []
        conn = self._conn
        conn.execute("BEGIN")
        try:
            conn.executemany(
                "INSERT INTO outbox (seq, agent_id, kind, frame) VALUES (?, ?, ?, ?)", rows
            )
            set_meta(conn, "last_seq", str(seq))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        self.last_seq = seq
        self.depth = depth
        return [Stored(r[0], r[3]) for r in rows]

    def _admit(self, kind: str, depth: int) -> bool:
        if depth < self.max_items:
            if self._full_since_warned and depth < self.max_items * 0.9:
                log.warning("outbox below its bound again (%d items): storing everything",
                            depth)
                self._full_since_warned = self._hard_full_warned = False
            return True
        if not self._full_since_warned:
            self._full_since_warned = True
            log.warning(
                "outbox full: %d unacknowledged items (bound %d). The platform is not "
                "acknowledging; live price/account updates are no longer stored (the "
                "snapshot sent on reconnect replaces them).", depth, self.max_items,
            )
        if kind in SUPERSEDED_KINDS:
            return False
        if depth < 2 * self.max_items:
            return True
        if not self._hard_full_warned:
            self._hard_full_warned = True
            log.error(
                "outbox at its hard limit (%d items): nothing more is stored until the "
                "platform catches up; it will resynchronize from snapshots.", depth,
            )
        return False

    # -- reading and acknowledging ------------------------------------------------------

    def pending(self, after: int, limit: int = 1000) -> list[Stored]:
        """Stored items with seq > after, oldest first."""
        cur = self._conn.execute(
            "SELECT seq, frame FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?", (after, limit)
        )
        return [Stored(int(s), str(f)) for s, f in cur]

    def first_seq(self) -> int | None:
        row = self._conn.execute("SELECT MIN(seq) FROM outbox").fetchone()
        return None if row[0] is None else int(row[0])

    def ack(self, seq: int) -> int:
        """The backend stored everything up to `seq`: prune it. Returns items removed."""
        if seq <= self.acked_seq:
            return 0
        if seq > self.last_seq:
            log.warning("backend acknowledged seq %d beyond the last one sent (%d)",
                        seq, self.last_seq)
            seq = self.last_seq
        conn = self._conn
        conn.execute("BEGIN")
        try:
            removed = conn.execute("DELETE FROM outbox WHERE seq <= ?", (seq,)).rowcount
            set_meta(conn, "acked_seq", str(seq))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        self.acked_seq = seq
        self.depth = max(0, self.depth - removed)
        return removed

    @property
    def full(self) -> bool:
        return self.depth >= self.max_items
