"""Replies to platform commands, kept on disk so a duplicate request is answered with the
first result even after the gateway restarted (the in-memory tracker forgets on restart).

Keyed by (agent_id, request_id) with a fingerprint of the command: the same id with a
different command is refused as `duplicate_request`. Bounded by count and age.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Literal

DEFAULT_KEEP = 50_000
DEFAULT_MAX_AGE_S = 7 * 24 * 3600.0


@dataclass(frozen=True, slots=True)
class JournalHit:
    kind: Literal["same", "different"]
    reply_json: str


class ReplyJournal:
    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        keep: int = DEFAULT_KEEP,
        max_age_s: float = DEFAULT_MAX_AGE_S,
    ) -> None:
        self._conn = conn
        self.keep = keep
        self.max_age_s = max_age_s
        self._writes = 0

    def lookup(self, agent_id: str, request_id: str, fingerprint: str) -> JournalHit | None:
        row = self._conn.execute(
            "SELECT fingerprint, reply FROM reply_journal WHERE agent_id = ? AND request_id = ?",
            (agent_id, request_id),
        ).fetchone()
        if row is None:
            return None
        return JournalHit("same" if row[0] == fingerprint else "different", str(row[1]))

    def record(
        self, agent_id: str, request_id: str, fingerprint: str, reply_json: str, now: float
    ) -> None:
        self._conn.execute(
            "INSERT OR IGNORE INTO reply_journal "
            "(agent_id, request_id, fingerprint, reply, stored_at) VALUES (?, ?, ?, ?, ?)",
            (agent_id, request_id, fingerprint, reply_json, now),
        )
        self._writes += 1
        if self._writes % 500 == 0:
            self.prune(now)

    def prune(self, now: float) -> None:
        self._conn.execute(
            "DELETE FROM reply_journal WHERE stored_at < ?", (now - self.max_age_s,)
        )
        self._conn.execute(
            "DELETE FROM reply_journal WHERE rowid NOT IN "
            "(SELECT rowid FROM reply_journal ORDER BY stored_at DESC LIMIT ?)",
            (self.keep,),
        )
