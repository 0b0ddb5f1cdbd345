"""Pairing codes and gateway tokens behave the same on both databases (the SQLite
`PairingStore` and `PostgresPairingStore`, which shares the node's PostgreSQL pool)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from platform_backend.pairing_store import PairingStorage, PairingStore
from platform_backend.store import open_store
from platform_backend.store_postgres import PostgresStore
from platform_backend.store_postgres_pairing import PostgresPairingStore

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(60)]

NOW = 1_800_000_000.0


@pytest_asyncio.fixture
async def pairing(store_url: str) -> AsyncIterator[PairingStorage]:
    store = open_store(store_url)
    await store.open()
    storage: PairingStorage = (PostgresPairingStore(store) if isinstance(store, PostgresStore)
                               else PairingStore(store.url.target))
    try:
        yield storage
    finally:
        await storage.close()
        await store.close()


async def test_a_code_is_redeemed_once_and_buys_one_token(pairing: PairingStorage) -> None:
    await pairing.add_code("h1", "sel", "42", NOW, NOW + 600)
    both = await asyncio.gather(
        pairing.redeem_code("h1", "sel", NOW + 1, 5, "tok-a", "Office", "DESK"),
        pairing.redeem_code("h1", "sel", NOW + 1, 5, "tok-b", "Office", "DESK"),
        return_exceptions=True)
    assert sorted(map(str, both)) == ["42", "None"]
    listed = await pairing.gateways_of("42")
    assert len(listed) == 1 and listed[0].name == "Office" and not listed[0].online
    state = await pairing.token_state(listed[0].token_id)
    assert state is not None and state.user_id == "42" and not state.revoked


async def test_wrong_tries_burn_and_expiry_refuses(pairing: PairingStorage) -> None:
    await pairing.add_code("good", "sel", "42", NOW, NOW + 600)
    for _ in range(5):
        assert await pairing.redeem_code("bad", "sel", NOW, 5, "t", "n", "m") is None
    assert await pairing.redeem_code("good", "sel", NOW, 5, "t", "n", "m") is None  # burnt
    await pairing.add_code("late", "sel2", "42", NOW, NOW + 600)
    assert await pairing.redeem_code("late", "sel2", NOW + 601, 5, "t", "n", "m") is None


async def test_links_and_revocation(pairing: PairingStorage) -> None:
    await pairing.add_gateway_token("tok", "42", "Office", "DESK", NOW)
    await pairing.link_opened("tok", "gw-1", "1.4.2", "node-a", NOW + 1)
    [g] = await pairing.gateways_of("42")
    assert g.online and g.gateway_id == "gw-1" and g.version == "1.4.2"
    await pairing.link_closed("tok", "node-b", NOW + 2)  # another node's goodbye: ignored
    assert (await pairing.gateways_of("42"))[0].online
    await pairing.release_node("node-a")
    assert not (await pairing.gateways_of("42"))[0].online
    assert not await pairing.revoke("7", "tok", NOW + 3)  # not theirs
    assert await pairing.revoke("42", "tok", NOW + 3)
    assert not await pairing.revoke("42", "tok", NOW + 4)  # already revoked
    state = await pairing.token_state("tok")
    assert state is not None and state.revoked
    assert await pairing.gateways_of("42") == []
