"""The store's schema as numbered migrations, one SQL script per dialect.

A node applies, at start-up, every migration above the version recorded in
`schema_version`, each in its own transaction with the version bump. Two nodes starting
at once cannot race: on PostgreSQL the whole upgrade runs under a session advisory lock,
on SQLite under `BEGIN IMMEDIATE` (one writer). Migration 1 is the schema the SQLite
store had before versions existed, written with IF NOT EXISTS so an old file upgrades.
To add a table (pairing codes, gateway tokens, ...), append a migration; never edit one
that has shipped.
"""

from __future__ import annotations

from dataclasses import dataclass

from .pairing_store import SCHEMA as PAIRING_SQLITE

ADVISORY_LOCK_KEY = 0x4D54345F53544F52
"""pg_advisory_lock key for migrations ("MT4_STOR"): any fixed bigint the app owns."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    what: str
    sqlite: str
    postgres: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1, "gateways, agents, event log",
        sqlite="""
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
""",
        postgres="""
CREATE TABLE gateways (
    gateway_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    acked_seq BIGINT NOT NULL DEFAULT 0,
    node_id TEXT,
    online BOOLEAN NOT NULL DEFAULT FALSE,
    last_seen DOUBLE PRECISION NOT NULL
);
CREATE TABLE agents (
    user_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    gateway_id TEXT NOT NULL,
    state TEXT NOT NULL,
    updated DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (user_id, agent_id)
);
CREATE TABLE event_log (
    gateway_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    agent_id TEXT NOT NULL,
    type TEXT NOT NULL,
    stored_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (gateway_id, seq)
);
""",
    ),
    Migration(
        2, "fencing epoch per gateway, command journal",
        sqlite="""
ALTER TABLE gateways ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS gateways_by_user ON gateways (user_id);
CREATE TABLE command_journal (
    user_id TEXT NOT NULL,
    request_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    command TEXT NOT NULL,
    reply TEXT,
    created REAL NOT NULL,
    PRIMARY KEY (user_id, request_id)
);
""",
        postgres="""
ALTER TABLE gateways ADD COLUMN epoch BIGINT NOT NULL DEFAULT 0;
CREATE INDEX gateways_by_user ON gateways (user_id);
CREATE TABLE command_journal (
    user_id TEXT NOT NULL,
    request_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    command TEXT NOT NULL,
    reply TEXT,
    created DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (user_id, request_id)
);
""",
    ),
)

MIGRATIONS += (
    Migration(
        3, "pairing codes and gateway tokens (pairing_store.py keeps them on SQLite)",
        sqlite=PAIRING_SQLITE,
        postgres="""
CREATE TABLE pairing_codes (
    code_hash TEXT PRIMARY KEY,
    selector TEXT NOT NULL,
    user_id TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL,
    used_at DOUBLE PRECISION,
    failures INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX pairing_codes_selector ON pairing_codes (selector);
CREATE TABLE gateway_tokens (
    token_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    name TEXT NOT NULL,
    machine TEXT NOT NULL,
    linked_at DOUBLE PRECISION NOT NULL,
    revoked_at DOUBLE PRECISION,
    gateway_id TEXT,
    version TEXT,
    node_id TEXT,
    online BOOLEAN NOT NULL DEFAULT FALSE,
    last_seen DOUBLE PRECISION
);
CREATE INDEX gateway_tokens_user ON gateway_tokens (user_id);
""",
    ),
)

LATEST = MIGRATIONS[-1].version

VERSION_TABLE = "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"
