"""The forwarder's SQLite file: one connection in WAL mode shared by the outbox and the
reply journal. Plain blocking calls, each a few microseconds: WAL with synchronous=NORMAL
commits without fsync and a commit survives the process being killed (only a power loss
can take the last transactions; `durable=True` selects synchronous=FULL for that).
"""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
    first_seq INTEGER PRIMARY KEY,
    last_seq INTEGER NOT NULL,
    frames TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_last ON outbox (last_seq);
CREATE TABLE IF NOT EXISTS reply_journal (
    agent_id TEXT NOT NULL,
    request_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    reply TEXT NOT NULL,
    stored_at REAL NOT NULL,
    PRIMARY KEY (agent_id, request_id)
);
CREATE INDEX IF NOT EXISTS reply_journal_age ON reply_journal (stored_at);
"""


def open_store(path: Path | str, *, durable: bool = False) -> sqlite3.Connection:
    """Open (creating if needed) the forwarder database. `":memory:"` works for tests."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
    conn.execute("PRAGMA busy_timeout=5000")
    conn.execute("PRAGMA journal_size_limit=16777216")
    # The forwarder checkpoints in a worker thread every 50 ms; SQLite's own checkpoint
    # (inside a commit, on the event loop) is only the backstop that resets the WAL.
    conn.execute("PRAGMA wal_autocheckpoint=4000")
    conn.executescript(SCHEMA)
    return conn


class Checkpointer:
    """Copies the WAL into the database from its own connection, meant to run in a worker
    thread every few tens of milliseconds: a PASSIVE checkpoint never blocks the writer,
    and it takes the page copying and fsync off the event loop. SQLite's automatic
    checkpoint (every 1000 pages, in the writer's commit) then finds almost nothing left
    to copy and only resets the WAL, so the WAL stays small without stalling the loop."""

    def __init__(self, path: str) -> None:
        self._conn = sqlite3.connect(path, timeout=1.0, isolation_level=None,
                                     check_same_thread=False)

    def run(self) -> None:
        self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def close(self) -> None:
        self._conn.close()


def db_file(conn: sqlite3.Connection) -> str | None:
    """The file behind a connection; None for an in-memory database."""
    for _, name, file in conn.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return str(file) or None
    return None


def get_meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def gateway_id(conn: sqlite3.Connection) -> str:
    """This gateway's identity towards the backend, created once and kept with the outbox
    (sequence numbers are per gateway id, so the two must live and die together)."""
    gid = get_meta(conn, "gateway_id")
    if gid is None:
        gid = "gw-" + uuid.uuid4().hex
        set_meta(conn, "gateway_id", gid)
    return gid
