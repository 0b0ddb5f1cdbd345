"""Revoking on one node closes the gateway's live link on another: two backends sharing
one database and a real redis-server.

redis-server must be installed (Debian package `redis-server`); on CI its absence fails
the test, elsewhere it is skipped with the reason."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from platform_backend.pairing import PairingLimits
from platform_backend.pairing_rate import Limit

from .test_pairing import (
    _serve,
    drain_until_closed,
    gateways,
    link,
    new_code,
    pair,
    refused,
    web,
)

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(90)]




async def test_revoke_on_one_node_closes_the_link_on_another(store_url: str,
                                                              redis_url: str) -> None:
    """Two nodes on one database (SQLite file or PostgreSQL): a gateway paired on one
    links through the other; revoking it on the first closes it on the second."""
    db = store_url
    async with (_serve(db, redis_url, "node-a") as node_a,
                _serve(db, redis_url, "node-b") as node_b,
                aiohttp.ClientSession() as http):
        _, body, _ = await pair(http, node_a, await new_code(http, node_a))
        ws = await link(node_b.door, body["gateway_token"])
        listed = await gateways(http, node_a)
        assert [g["online"] for g in listed] == [True]
        async with http.delete(f"{node_a.base}/api/gateways/{body['token_id']}",
                               headers=web("42")) as r:
            assert r.status == 204
        await drain_until_closed(ws)
        assert ws.close_code == 4401 and ws.close_reason == "revoked"
        for node in (node_a, node_b):
            status, text = await refused(node.door, body["gateway_token"])
            assert status == 401 and text.startswith("revoked")


async def test_rate_limits_are_shared_by_the_nodes(tmp_path: Path, redis_url: str) -> None:
    db = tmp_path / "shared.sqlite3"
    async with (_serve(db, redis_url, "node-a") as node_a,
                _serve(db, redis_url, "node-b") as node_b,
                aiohttp.ClientSession() as http):
        for node in (node_a, node_b):
            node.backend.pairing.set_limits(PairingLimits(pairs_per_address=Limit(3, 60)))
        code = await new_code(http, node_a)
        assert (await pair(http, node_a, "ZZZZZZZZ"))[0] == 400
        assert (await pair(http, node_b, "YYYYYYYY"))[0] == 400
        assert (await pair(http, node_a, "XXXXXXXX"))[0] == 400
        status, body, response = await pair(http, node_b, code)
        assert status == 429 and body["error"] == "rate_limited"
        assert 1 <= int(response.headers["Retry-After"]) <= 60
