"""Pairing storage in the backend's own database, on both stores: a code is single use
even when every node redeems it at once, revocations and link state are seen by every
node, and a SQLite file made by the pairing branch before migrations keeps its tokens."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest

from platform_backend.store import open_store
from platform_backend.store_postgres_pairing import pairing_storage_for
from platform_backend.store_schema import LATEST

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(60)]


async def test_codes_tokens_and_revocations_are_shared_by_the_nodes(store_url: str) -> None:
    stores = [open_store(store_url) for _ in range(3)]
    await asyncio.gather(*(s.open() for s in stores))
    nodes = [pairing_storage_for(s) for s in stores]
    try:
        now = time.time()
        await nodes[0].add_code("hash-1", "sel-1", "42", now, now + 600)
        # every node redeems the same code at the same moment: exactly one wins
        won = await asyncio.gather(*(n.redeem_code("hash-1", "sel-1", now + 1, 5, f"tok-{i}",
                                                   "Office PC", "DESK-7")
                                     for i, n in enumerate(nodes)))
        assert sorted(w or "" for w in won) == ["", "", "42"]
        token_id = f"tok-{won.index('42')}"
        state = await nodes[2].token_state(token_id)
        assert state is not None and state.user_id == "42" and not state.revoked

        await nodes[1].link_opened(token_id, "gw-office", "1.4.2", "node-1", now + 2)
        [listed] = await nodes[0].gateways_of("42")
        assert (listed.online, listed.gateway_id, listed.version) == (True, "gw-office",
                                                                      "1.4.2")
        await nodes[1].release_node("node-1")  # node 1 stops: its links are offline
        assert not (await nodes[2].gateways_of("42"))[0].online

        assert not await nodes[0].revoke("7", token_id, now + 3)  # not theirs
        assert await nodes[0].revoke("42", token_id, now + 3)
        state = await nodes[2].token_state(token_id)
        assert state is not None and state.revoked
        assert await nodes[1].gateways_of("42") == []
        assert not await nodes[1].revoke("42", token_id, now + 4)  # already revoked
    finally:
        for n in nodes:
            await n.close()
        for s in stores:
            await s.close()


async def test_a_pairing_branch_sqlite_file_keeps_its_tokens(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    c = sqlite3.connect(path)
    c.executescript("""
        CREATE TABLE gateways (gateway_id TEXT PRIMARY KEY, user_id TEXT NOT NULL,
            acked_seq INTEGER NOT NULL DEFAULT 0, node_id TEXT,
            online INTEGER NOT NULL DEFAULT 0, last_seen REAL NOT NULL);
        CREATE TABLE gateway_tokens (token_id TEXT PRIMARY KEY, user_id TEXT NOT NULL,
            name TEXT NOT NULL, machine TEXT NOT NULL, linked_at REAL NOT NULL,
            revoked_at REAL, gateway_id TEXT, version TEXT, node_id TEXT,
            online INTEGER NOT NULL DEFAULT 0, last_seen REAL);
        INSERT INTO gateway_tokens (token_id, user_id, name, machine, linked_at)
            VALUES ('old-token-1', '42', 'Office PC', 'DESK-7', 1);""")
    c.commit()
    c.close()
    store = open_store(str(path))
    await store.open()
    pairing = pairing_storage_for(store)
    try:
        state = await pairing.token_state("old-token-1")
        assert state is not None and state.user_id == "42" and not state.revoked
        assert [g.name for g in await pairing.gateways_of("42")] == ["Office PC"]
    finally:
        await pairing.close()
        await store.close()
    c = sqlite3.connect(path)
    assert c.execute("SELECT version FROM schema_version").fetchall() == [(LATEST,)]
    c.close()
