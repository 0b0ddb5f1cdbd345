"""EA connections: bad input answered and survived, replacement, staleness, limits."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.exceptions import ConnectionClosed

from gateway_core.server import RateLimit

from ..protocol.samples import EVENTS
from .conftest import Running, of_type, recv_json, recv_until, with_config

pytestmark = pytest.mark.asyncio

HEARTBEAT = json.dumps({"type": "heartbeat", "timestamp": "2026-01-25T10:30:15Z"})


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{oops", "invalid_json"),
        ('{"type": "teleport", "timestamp": "2026-01-25T10:30:15Z"}', "unknown_type"),
        ('{"type": "position_opened", "timestamp": "2026-01-25T10:30:15Z", "data": {}}',
         "invalid_message"),
        ('{"type": "heartbeat", "timestamp": "2026-01-25T10:30:15Z", "agent_id": "other"}',
         "invalid_message"),
    ],
)
async def test_bad_input_gets_error_and_connection_stays(gw: Running, frame: str,
                                                         code: str) -> None:
    async with gw.client() as cl, gw.agent("a1") as ea:
        await recv_until(cl, of_type("agent_status", status="connected"))
        await ea.send(frame)
        err = await recv_json(ea)
        assert err["type"] == "error"
        assert err["code"] == code
        assert err["rejected"] == frame[:200]
        # Still up, and nothing invalid reached the client: the next thing it sees is
        # the valid heartbeat sent after the bad frame.
        await ea.send(HEARTBEAT)
        got = await recv_json(cl)
        assert got["type"] == "heartbeat" and got["agent_id"] == "a1"
        assert gw.gateway.registry.get("a1").status == "connected"  # type: ignore[union-attr]


async def test_binary_frame_refused_politely(gw: Running) -> None:
    async with gw.agent("a1") as ea:
        await ea.send(HEARTBEAT.encode())
        err = await recv_json(ea)
        assert err["code"] == "invalid_message"
        assert "text frames" in err["message"]


async def test_old_protocol_version_told_to_update(gw: Running) -> None:
    hello = json.loads(json.dumps(EVENTS["hello"]))
    hello["data"]["protocol_version"] = 99
    async with gw.agent("mt4-123") as ea:
        await ea.send(json.dumps(hello))
        err = await recv_json(ea)
        assert err["code"] == "unsupported_protocol"
        assert "update the EA" in err["message"]


@with_config(max_frame_bytes=4096)
async def test_oversize_frame_closes_with_1009(gw: Running) -> None:
    async with gw.agent("a1") as ea:
        await ea.send(json.dumps({"type": "heartbeat", "pad": "x" * 10_000}))
        with pytest.raises(ConnectionClosed) as exc:
            await asyncio.wait_for(ea.recv(), 5)
        assert exc.value.rcvd is not None and exc.value.rcvd.code == 1009


async def test_second_connection_replaces_first_cleanly(gw: Running) -> None:
    async with gw.client() as cl:
        await recv_until(cl, of_type("welcome"))
        async with gw.agent("a1") as first:
            await recv_until(cl, of_type("agent_status", status="connected"))
            async with gw.agent("a1") as second:
                with pytest.raises(ConnectionClosed) as exc:
                    await asyncio.wait_for(first.recv(), 5)
                assert exc.value.rcvd is not None and exc.value.rcvd.code == 4001
                assert "replaced" in exc.value.rcvd.reason
                await second.send(HEARTBEAT)
                # The client sees the new connection, then its heartbeat; never a
                # "disconnected" for the agent while the new connection is up.
                seen = [await recv_json(cl), await recv_json(cl)]
                assert [m["type"] for m in seen] == ["agent_status", "heartbeat"]
                assert seen[0]["status"] == "connected"
                assert gw.gateway.registry.active_count() == 1
            gone = await recv_until(cl, of_type("agent_status"))
            assert gone["status"] == "disconnected"


@with_config(heartbeat_interval=0.1)
async def test_silent_agent_goes_stale_then_recovers(gw: Running) -> None:
    async with gw.client() as cl, gw.agent("a1") as ea:
        await recv_until(cl, of_type("agent_status", status="connected"))
        stale = await recv_until(cl, of_type("agent_status"), timeout=5)
        assert stale["status"] == "stale"
        assert "no message" in stale["reason"]
        await ea.send(HEARTBEAT)
        back = await recv_until(cl, of_type("agent_status"))
        assert back["status"] == "connected"


@with_config(agent_rate=RateLimit(per_second=1, burst=3))
async def test_flooding_agent_is_rate_limited(gw: Running) -> None:
    async with gw.agent("a1") as ea:
        for _ in range(5):
            await ea.send(HEARTBEAT)
        err = await recv_json(ea)
        assert err["code"] == "rate_limited"


async def test_late_client_gets_welcome_and_current_snapshot(gw: Running) -> None:
    async with gw.client() as watch, gw.agent("mt4-123") as ea:
        await ea.send(json.dumps(EVENTS["hello"]))
        await ea.send(json.dumps(EVENTS["snapshot"]))
        await ea.send(json.dumps({"type": "position_closed", "timestamp": "2026-01-25T10:30:15Z",
                                  "data": {"ticket": 1001, "close_price": 1.1, "profit": 1,
                                           "net_profit": 1}}))
        await recv_until(watch, of_type("position_closed"))
        async with gw.client() as cl:
            welcome = await recv_json(cl)
            assert welcome["type"] == "welcome"
            (info,) = welcome["agents"]
            assert (info["agent_id"], info["account_login"], info["status"]) == (
                "mt4-123", 123, "connected")
            snap = await recv_json(cl)
            assert snap["type"] == "snapshot"
            assert snap["agent_id"] == "mt4-123"
            assert snap["data"]["positions"] == []
            assert [o["ticket"] for o in snap["data"]["pending_orders"]] == [1002]
