"""The durable outbox: every item for the platform gets the next sequence number and is
stored before anything is sent; acknowledged items are pruned.

Storage: one row per event-loop turn, a block of consecutive sequence numbers
(`first_seq`..`last_seq`) with their frames joined by a record separator (U+001E, which
valid JSON text never contains), so a turn costs one insert however many events it
carried. Sequence numbers are per gateway and survive restarts: the newest block is
never pruned, so MAX(last_seq) always knows the last one.

No sockets, no await: the forwarder calls `commit` once per event-loop turn with
everything that arrived in it and the latest acknowledgement (one transaction), and
`pending` to read what to send. Acknowledged blocks are deleted in bulk.

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
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from .link_protocol import encode_event
from .sqlite_store import gateway_id, get_meta, set_meta

log = logging.getLogger(__name__)

DEFAULT_MAX_ITEMS = 200_000
SUPERSEDED_KINDS: frozenset[str] = frozenset(
    {"quote", "positions_update", "account_update", "heartbeat"}
)
"""Item kinds the next snapshot makes redundant: dropped first when the outbox is full."""


class OutItem(NamedTuple):
    """Something to forward: `event_json` is the event exactly as local clients see it."""

    agent_id: str
    kind: str
    event_json: str


class Stored(NamedTuple):
    seq: int
    frame: str


SEPARATOR = "\x1e"


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
        row = conn.execute("SELECT MAX(last_seq) FROM outbox").fetchone()
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

    def append(self, items: Sequence[OutItem]) -> list[Stored]:
        """Number and store items in one transaction; returns what was stored, in order."""
        return self.commit(items, None)

    def commit(self, items: Sequence[OutItem], acked: int | None) -> list[Stored]:
        """One transaction per event-loop turn: store new items as one block and, if
        `acked` is given, note the backend's acknowledgement (blocks are pruned in bulk,
        every `prune_every` acknowledged items). Returns what was stored, in order."""
        first = self.last_seq + 1
        if self.depth + len(items) <= self.max_items:
            kept: Sequence[OutItem] = items  # the common case: no checks per item
        else:
            kept = self._admit_all(items)
        stored = [Stored(seq, encode_event(seq, agent, event_json))
                  for seq, (agent, _, event_json) in enumerate(kept, first)]
        last = first + len(stored) - 1
        new_ack = self._clamp_ack(acked, max(last, self.last_seq))
        if new_ack is not None:
            self.acked_seq = new_ack
        prune = self.acked_seq - self._pruned_upto >= self.prune_every
        if not stored and not prune:
            self.depth = self.last_seq - self.acked_seq
            return []
        conn = self._conn
        conn.execute("BEGIN")
        try:
            if stored:
                conn.execute(
                    "INSERT INTO outbox (first_seq, last_seq, frames) VALUES (?, ?, ?)",
                    (first, last, SEPARATOR.join(s.frame for s in stored)),
                )
            if prune:
                self._prune(conn, max(last, self.last_seq))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        self.last_seq = max(last, self.last_seq)
        self.depth = self.last_seq - self.acked_seq
        return stored

    def _prune(self, conn: sqlite3.Connection, last_seq: int) -> None:
        # The newest block always stays: MAX(last_seq) is how a restart finds the last
        # number, so a commit is one insert and nothing else (small WAL, fast commits).
        conn.execute("DELETE FROM outbox WHERE last_seq <= ? AND last_seq < ?",
                     (self.acked_seq, last_seq))
        set_meta(conn, "acked_seq", str(self.acked_seq))
        set_meta(conn, "last_seq", str(last_seq))
        self._pruned_upto = self.acked_seq

    def _clamp_ack(self, acked: int | None, last_seq: int) -> int | None:
        if acked is None or acked <= self.acked_seq:
            return None
        if acked > last_seq:
            log.warning("backend acknowledged seq %d beyond the last one sent (%d)",
                        acked, last_seq)
            return last_seq if last_seq > self.acked_seq else None
        return acked

    def _admit_all(self, items: Iterable[OutItem]) -> list[OutItem]:
        kept: list[OutItem] = []
        depth = self.depth
        for item in items:
            if self._admit(item.kind, depth):
                kept.append(item)
                depth += 1
            else:
                self.dropped += 1
        return kept

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
        """Stored items with seq > after, oldest first, at most `limit`."""
        out: list[Stored] = []
        cur = self._conn.execute(
            "SELECT first_seq, frames FROM outbox WHERE last_seq > ? ORDER BY first_seq",
            (after,),
        )
        for first, frames in cur:
            for seq, frame in enumerate(str(frames).split(SEPARATOR), int(first)):
                if seq > after:
                    out.append(Stored(seq, frame))
                    if len(out) >= limit:
                        cur.close()
                        return out
        return out

    def first_seq(self) -> int | None:
        """Oldest unacknowledged item still stored."""
        row = self._conn.execute(
            "SELECT MIN(first_seq) FROM outbox WHERE last_seq > ?", (self.acked_seq,)
        ).fetchone()
        return None if row[0] is None else max(int(row[0]), self.acked_seq + 1)

    def ack(self, seq: int) -> None:
        """The backend stored everything up to `seq` (kept in memory; written with the
        next bulk prune: after a crash a few stored items may be sent again, which the
        backend's dedup absorbs)."""
        self.commit((), seq)

    def prune(self) -> None:
        """Delete every acknowledged block now (normally done in bulk by `commit`)."""
        conn = self._conn
        conn.execute("BEGIN")
        try:
            self._prune(conn, self.last_seq)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def clear(self) -> int:
        """The trader gives up on what was not delivered (a revoked link they will not
        link again): everything stored counts as delivered and is deleted. Sequence
        numbers go on from where they were. Returns how many items were discarded."""
        discarded = self.depth
        self.acked_seq = self.last_seq
        self.depth = 0
        self.prune()
        if discarded:
            log.warning("outbox cleared by the trader: %d undelivered items discarded",
                        discarded)
        return discarded

    @property
    def full(self) -> bool:
        return self.depth >= self.max_items
