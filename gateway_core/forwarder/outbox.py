"""The durable outbox: every item for the platform gets the next sequence number and is
stored before anything is sent; acknowledged items are pruned.

Sequence numbers are per gateway and survive restarts (the newest row is never pruned,
so MAX(seq) always knows the last one). No sockets, no await: the forwarder calls `commit` once
per event-loop turn with everything that arrived in it and the latest acknowledgement
(one transaction), `pending` to read what to send. Acknowledged rows are deleted in bulk.

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
    def __init__(
        self,
        conn: sqlite3.Connection,
        max_items: int = DEFAULT_MAX_ITEMS,
        *,
        prune_every: int = 500,
    ) -> None:
        if max_items < 1:
            raise ValueError("max_items must be at least 1")
        self._conn = conn
        self.connection = conn
        self.max_items = max_items
        self.gateway_id = gateway_id(conn)
        row = conn.execute("SELECT MAX(seq) FROM outbox").fetchone()
        stored_max = int(row[0] or 0)
        self.last_seq = max(stored_max, int(get_meta(conn, "last_seq") or 0))
        self.acked_seq = min(int(get_meta(conn, "acked_seq") or 0), self.last_seq)
        self.depth = self.last_seq - self.acked_seq
        """Unacknowledged items: seqs are consecutive over stored items."""
        self.prune_every = prune_every
        self._pruned_upto = self.acked_seq
        self.dropped = 0
        self._full_since_warned = False
        self._hard_full_warned = False

    # -- writing ----------------------------------------------------------------------

    def append(self, items: Iterable[OutItem]) -> list[Stored]:
        """Number and store items in one transaction; returns what was stored, in order."""
        return self.commit(items, None)

    def commit(self, items: Iterable[OutItem], acked: int | None) -> list[Stored]:
        """One transaction per event-loop turn: store new items and, if `acked` is given,
        record the backend's acknowledgement (rows are pruned in bulk, every
        `prune_every` acknowledged items). Returns what was stored, in order."""
        rows: list[tuple[int, str, str, str]] = []
        seq = self.last_seq
        depth = self.depth
        for item in items:
            if not self._admit(item.kind, depth):
                self.dropped += 1
                continue
            seq += 1
            depth += 1
            rows.append((seq, item.agent_id, item.kind,
                         encode_event(seq, item.agent_id, item.event_json)))
        new_ack = self._clamp_ack(acked)
        if new_ack is not None:
            self.acked_seq = new_ack
        prune = self.acked_seq - self._pruned_upto >= self.prune_every
        if rows:
            seq = rows[-1][0]
        if not rows and not prune:
            self.depth = self.last_seq - self.acked_seq
            return []
        conn = self._conn
        conn.execute("BEGIN")
        try:
            if rows:
                conn.executemany(
                    "INSERT INTO outbox (seq, agent_id, kind, frame) VALUES (?, ?, ?, ?)", rows
                )
            if prune:
                self._prune(conn, max(seq, self.last_seq))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        self.last_seq = max(seq, self.last_seq)
        self.depth = self.last_seq - self.acked_seq
        return [Stored(r[0], r[3]) for r in rows]

    def _prune(self, conn: sqlite3.Connection, last_seq: int) -> None:
        # The newest row always stays: MAX(seq) is how a restart finds the last number,
        # so a commit is one outbox insert and nothing else (small WAL, fast commits).
        conn.execute("DELETE FROM outbox WHERE seq <= ? AND seq < ?", (self.acked_seq, last_seq))
        set_meta(conn, "acked_seq", str(self.acked_seq))
        set_meta(conn, "last_seq", str(last_seq))
        self._pruned_upto = self.acked_seq

    def _clamp_ack(self, acked: int | None) -> int | None:
        if acked is None or acked <= self.acked_seq:
            return None
        if acked > self.last_seq:
            log.warning("backend acknowledged seq %d beyond the last one sent (%d)",
                        acked, self.last_seq)
            return self.last_seq if self.last_seq > self.acked_seq else None
        return acked

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
        """Oldest unacknowledged item still stored."""
        row = self._conn.execute(
            "SELECT MIN(seq) FROM outbox WHERE seq > ?", (self.acked_seq,)).fetchone()
        return None if row[0] is None else int(row[0])

    def ack(self, seq: int) -> None:
        """The backend stored everything up to `seq` (kept in memory; written with the
        next bulk prune: after a crash a few stored items may be sent again, which the
        backend's dedup absorbs)."""
        self.commit((), seq)

    def prune(self) -> None:
        """Delete every acknowledged row now (normally done in bulk by `commit`)."""
        conn = self._conn
        conn.execute("BEGIN")
        try:
            self._prune(conn, self.last_seq)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    @property
    def full(self) -> bool:
        return self.depth >= self.max_items
