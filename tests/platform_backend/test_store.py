"""Both stores, one behaviour: dedup, ownership, fencing, migrations, journal, outages."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from platform_backend.agent_view import AgentView
from platform_backend.store import (
    GatewayOwnedElsewhere,
    LinkSuperseded,
    StoreUnavailable,
    open_store,
)
from platform_backend.store_schema import LATEST
from tests.db_servers import PgServer

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(60)]

GW = "gw-000000001"


async def test_dedup_state_and_ownership(store_url: str) -> None:
    store = open_store(store_url)
    await store.open()
    try:
        claim = await store.claim_gateway(GW, "42", "n1")
        assert claim.acked_seq == 0
        with pytest.raises(GatewayOwnedElsewhere):
            await store.claim_gateway(GW, "7", "n1")
        v = AgentView("demo-1", status="connected", account={"balance": 5})
        await store.commit_batch(GW, claim.epoch, "42", 3, [v],
                                 [(1, "demo-1", "x"), (2, "demo-1", "x"), (3, "demo-1", "x")])
        await store.commit_batch(GW, claim.epoch, "42", 2, [], [(2, "demo-1", "x")])  # old
        assert await store.acked_seq(GW) == 3
        assert await store.logged_seqs(GW) == [1, 2, 3]
        agents = await store.load_agents("42")
        assert set(agents) == {"demo-1"} and agents["demo-1"].account == {"balance": 5}
        assert await store.load_agents("7") == {}
        loc = await store.locate("42", "demo-1")
        assert loc is not None and loc.online and loc.node_id == "n1"
        assert await store.locate("7", "demo-1") is None
        await store.release_node("n1")
        loc = await store.locate("42", "demo-1")
        assert loc is not None and not loc.online
        assert await store.gateways_of("42") == [GW]
    finally:
        await store.close()


async def test_a_replaced_link_can_never_commit_again(store_url: str) -> None:
    """Two nodes hold the same gateway (the old link not yet timed out): only the newest
    claim's batches are applied; the old one learns it was replaced."""
    node_a, node_b = open_store(store_url), open_store(store_url)
    await node_a.open()
    await node_b.open()
    try:
        old = await node_a.claim_gateway(GW, "42", "a")
        await node_a.commit_batch(GW, old.epoch, "42", 1, [], [(1, "demo-1", "heartbeat")])
        new = await node_b.claim_gateway(GW, "42", "b")
        assert new.acked_seq == 1 and new.epoch > old.epoch
        stale = AgentView("demo-1", status="connected", account={"balance": 999})
        with pytest.raises(LinkSuperseded):
            await node_a.commit_batch(GW, old.epoch, "42", 2, [stale],
                                      [(2, "demo-1", "account_update")])
        await node_a.release_gateway(GW, old.epoch)  # the old link's goodbye: ignored
        await node_b.commit_batch(GW, new.epoch, "42", 2, [], [(2, "demo-1", "heartbeat")])
        assert await node_b.logged_seqs(GW) == [1, 2]
        assert await node_b.load_agents("42") == {}
        loc = await node_b.locate("42", "demo-1")
        assert loc is None  # no agent state came from the stale link
        assert (await node_b.acked_seq(GW)) == 2
    finally:
        await node_a.close()
        await node_b.close()


async def test_nodes_starting_at_once_migrate_once(store_url: str) -> None:
    stores = [open_store(store_url) for _ in range(4)]
    await asyncio.gather(*(s.open() for s in stores))
    try:
        claim = await stores[0].claim_gateway(GW, "42", "n")
        assert (await stores[3].claim_gateway(GW, "42", "m")).epoch == claim.epoch + 1
    finally:
        for s in stores:
            await s.close()


async def test_an_old_sqlite_file_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    c = sqlite3.connect(path)
    c.executescript("""
        CREATE TABLE gateways (gateway_id TEXT PRIMARY KEY, user_id TEXT NOT NULL,
            acked_seq INTEGER NOT NULL DEFAULT 0, node_id TEXT,
            online INTEGER NOT NULL DEFAULT 0, last_seen REAL NOT NULL);
        INSERT INTO gateways VALUES ('gw-000000001', '42', 17, 'n', 0, 0);""")
    c.commit()
    c.close()
    store = open_store(str(path))
    await store.open()
    try:
        claim = await store.claim_gateway(GW, "42", "n")
        assert claim.acked_seq == 17
    finally:
        await store.close()
    c = sqlite3.connect(path)
    assert c.execute("SELECT version FROM schema_version").fetchall() == [(LATEST,)]
    c.close()


async def test_command_journal_keeps_the_first_reply(store_url: str) -> None:
    store = open_store(store_url)
    await store.open()
    try:
        assert await store.journal_command("42", "r-1", "demo-1", '{"c":1}') is None
        again = await store.journal_command("42", "r-1", "demo-1", '{"c":1}')
        assert again is not None and again.reply is None and again.command == '{"c":1}'
        await store.journal_reply("42", "r-1", '{"success":true}')
        await store.journal_reply("42", "r-1", '{"success":false}')
        entry = await store.journal_entry("42", "r-1")
        assert entry is not None and entry.reply == '{"success":true}'
        assert await store.journal_entry("7", "r-1") is None
    finally:
        await store.close()


async def test_postgres_down_is_reported_and_recovers(pg: PgServer) -> None:
    store = open_store(pg.create_database())
    await store.open()
    try:
        claim = await store.claim_gateway(GW, "42", "n")
        pg.stop("immediate")
        try:
            with pytest.raises(StoreUnavailable):
                await store.commit_batch(GW, claim.epoch, "42", 1, [], [(1, "a", "x")])
            assert store.health.state == "retrying"
        finally:
            pg.start()
        await store.commit_batch(GW, claim.epoch, "42", 1, [], [(1, "a", "x")])
        assert store.health.state == "ok"
        assert await store.logged_seqs(GW) == [1]
    finally:
        await store.close()
