"""Two backend nodes behind one real redis-server: a web client on node A sees the events
of a gateway connected to node B, and its commands reach that gateway and come back.

redis-server must be installed (Debian package `redis-server`); on CI its absence fails
the test, elsewhere it is skipped with the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from .harness import Backend, GatewayProc, WebClient, issue_token, wait_until

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]




async def test_two_nodes_share_users_through_redis(tmp_path: Path, redis_url: str,
                                                  db_url: str) -> None:
    db = db_url
    node_a = Backend(tmp_path, "node-a", db=db, redis_url=redis_url)
    node_b = Backend(tmp_path, "node-b", db=db, redis_url=redis_url)
    await node_a.start_ready()
    await node_b.start_ready()
    token_file = tmp_path / "platform-token"
    token_file.write_text(issue_token("42", gateway_db=db))
    gateway = GatewayProc(tmp_path, node_b.gateway_url, token_file, manual_rate=0)
    await gateway.start_ready()
    web_a = WebClient(node_a.http_url, issue_token("42"))
    stranger = WebClient(node_a.http_url, issue_token("7"))
    try:
        await web_a.connect()
        await stranger.connect()
        await wait_until(lambda: all(a in web_a.agents and web_a.agents[a].account
                                     for a in ("demo-1", "demo-2")), 20,
                         "snapshots on node A of a gateway on node B")
        mark = len(web_a.events)
        await wait_until(lambda: any(e.get("type") == "heartbeat" for e in web_a.events[mark:]),
                         20, "live events relayed through redis")
        reply = await web_a.command({"agent_id": "demo-2", "command": "execute_trade",
                                     "request_id": "cross-node-1",
                                     "data": {"symbol": "GBPUSD", "type": "buy", "lots": 0.2}})
        assert reply["success"], reply
        ticket = reply["data"]["ticket"]
        await wait_until(lambda: ticket in web_a.agents["demo-2"].positions, 10,
                         "the new position on node A")
        truth = await gateway.terminal_truth("demo-2")
        assert ticket in {p["ticket"] for p in truth["positions"]}
        refused = await stranger.command({"agent_id": "demo-2", "command": "close_all",
                                          "request_id": "x-1"})
        assert refused["error"]["code"] == "unknown_agent"
        assert stranger.events == []
    finally:
        await web_a.close()
        await stranger.close()
        gateway.terminate()
        node_a.terminate()
        node_b.terminate()
