"""Commands from /commands clients to EAs and their one reply back."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from ..protocol.samples import COMMANDS
from .conftest import Running, of_type, recv_json, recv_until

pytestmark = pytest.mark.asyncio

HEARTBEAT = json.dumps({"type": "heartbeat", "timestamp": "2026-01-25T10:30:15Z"})


def trade(request_id: str = "req-1", agent_id: str = "a1") -> str:
    return json.dumps({"command": "execute_trade", "request_id": request_id,
                       "agent_id": agent_id,
                       "data": {"symbol": "EURUSD", "type": "buy", "lots": 0.1}})


def filled(request_id: str, ticket: int = 555) -> str:
    return json.dumps({"type": "trade_executed", "request_id": request_id, "success": True,
                       "data": {"ticket": ticket, "open_price": 1.1002}})


async def _connected(gw: Running, cl: Any, agent_id: str = "a1") -> None:
    await recv_until(cl, of_type("agent_status", agent_id=agent_id, status="connected"))


async def test_command_routed_to_agent_and_reply_back(gw: Running) -> None:
    async with gw.client() as cl, gw.client() as other, gw.agent("a1") as ea:
        await _connected(gw, cl)
        await _connected(gw, other)
        await cl.send(trade())
        got = json.loads(await asyncio.wait_for(ea.recv(), 5))
        # The EA gets the spec's command, without the routing fields.
        assert got == {"command": "execute_trade", "request_id": "req-1",
                       "data": {"symbol": "EURUSD", "type": "buy", "lots": 0.1,
                                "stop_loss": 0.0, "take_profit": 0.0, "slippage": 3,
                                "magic_number": 0, "comment": ""}}
        await ea.send(filled("req-1"))
        reply = await recv_until(cl, of_type("trade_executed"))
        assert reply["success"] is True
        assert reply["data"]["ticket"] == 555
        assert reply["agent_id"] == "a1"
        # Other local clients see trade results too (exactly once).
        seen = await recv_until(other, of_type("trade_executed"))
        assert seen["request_id"] == "req-1"


async def test_unknown_agent_answered_at_once(gw: Running) -> None:
    async with gw.client() as cl:
        await recv_until(cl, of_type("welcome"))
        await cl.send(trade(agent_id="ghost"))
        reply = await recv_json(cl)
        assert reply["type"] == "trade_executed"
        assert reply["success"] is False
        assert reply["error"]["code"] == "unknown_agent"
        assert reply["request_id"] == "req-1"


async def test_offline_agent_answered_at_once(gw: Running) -> None:
    async with gw.client() as cl:
        async with gw.agent("a1"):
            await _connected(gw, cl)
        await recv_until(cl, of_type("agent_status", status="disconnected"))
        await cl.send(json.dumps({**COMMANDS["close_position"], "agent_id": "a1"}))
        reply = await recv_json(cl)
        assert (reply["type"], reply["command"]) == ("command_result", "close_position")
        assert reply["error"]["code"] == "agent_offline"


async def test_silent_ea_gives_timeout_reply(gw: Running) -> None:
    async with gw.client() as cl, gw.agent("a1") as ea:
        await _connected(gw, cl)
        await cl.send(json.dumps({**COMMANDS["get_snapshot"], "agent_id": "a1"}))
        await asyncio.wait_for(ea.recv(), 5)  # delivered, never answered
        reply = await recv_until(cl, of_type("command_result"), timeout=5)
        assert reply["success"] is False
        assert reply["error"]["code"] == "timeout"


async def test_duplicate_request_id_executed_once(gw: Running) -> None:
    async with gw.client() as c1, gw.client() as c2, gw.agent("a1") as ea:
        await _connected(gw, c1)
        await _connected(gw, c2)
        await c1.send(trade("dup-1"))
        await c2.send(trade("dup-1"))  # a retry while the first is in flight
        first = json.loads(await asyncio.wait_for(ea.recv(), 5))
        assert first["request_id"] == "dup-1"
        await ea.send(filled("dup-1", ticket=777))
        r1 = await recv_until(c1, of_type("trade_executed"))
        r2 = await recv_until(c2, of_type("trade_executed"))
        assert r1["data"]["ticket"] == r2["data"]["ticket"] == 777
        # And again after the reply: answered from memory.
        await c1.send(trade("dup-1"))
        r3 = await recv_until(c1, of_type("trade_executed"))
        assert r3["data"]["ticket"] == 777
        # The EA was asked exactly once: the next thing it receives is a new command.
        await c1.send(trade("next-1"))
        nxt = json.loads(await asyncio.wait_for(ea.recv(), 5))
        assert nxt["request_id"] == "next-1"


async def test_bad_command_gets_error_and_client_stays(gw: Running) -> None:
    async with gw.client() as cl, gw.agent("a1"):
        await _connected(gw, cl)
        await cl.send("{bad")
        err = await recv_json(cl)
        assert (err["type"], err["code"]) == ("error", "invalid_json")
        await cl.send(json.dumps({"command": "launch_rocket", "request_id": "x",
                                  "agent_id": "a1"}))
        err = await recv_json(cl)
        assert err["code"] == "unknown_type"
        assert err["request_id"] == "x"
        await cl.send(json.dumps({"command": "get_snapshot", "request_id": "no-agent"}))
        err = await recv_json(cl)
        assert err["code"] == "invalid_message"
        assert "agent_id" in err["message"]
        await cl.send(json.dumps({**COMMANDS["close_position"], "agent_id": "ghost"}))
        assert (await recv_json(cl))["error"]["code"] == "unknown_agent"


async def test_replies_for_unknown_requests_are_ignored(gw: Running) -> None:
    async with gw.client() as cl, gw.agent("a1") as ea:
        await _connected(gw, cl)
        await ea.send(filled("never-asked"))
        await ea.send(HEARTBEAT)
        got = await recv_json(cl)
        assert got["type"] == "heartbeat"


async def test_in_process_execute(gw: Running) -> None:
    from gateway_core.protocol import COMMAND

    async with gw.client() as cl, gw.agent("a1") as ea:
        await _connected(gw, cl)
        command = COMMAND.validate_json(trade("inproc-1"))
        task = asyncio.create_task(gw.gateway.execute("a1", command))
        sent = json.loads(await asyncio.wait_for(ea.recv(), 5))
        await ea.send(filled(sent["request_id"], ticket=42))
        reply = await asyncio.wait_for(task, 5)
        assert reply.success and reply.data is not None
        assert reply.data.ticket == 42  # type: ignore[union-attr]


async def test_wait_until_wakes_on_state_change(gw: Running) -> None:
    waiter = asyncio.create_task(gw.gateway.wait_until(
        lambda: (a := gw.gateway.registry.get("a1")) is not None and a.last_heartbeat is not None))
    async with gw.agent("a1") as ea:
        assert not waiter.done()
        await ea.send(HEARTBEAT)
        async with asyncio.timeout(5):
            await waiter


async def test_rotated_token_refuses_new_connections_keeps_old_ones(gw: Running) -> None:
    from websockets.exceptions import InvalidStatus

    from .conftest import TOKEN

    async with gw.agent("a1") as ea:
        gw.gateway.set_token("rotated-token-0123456789")
        with pytest.raises(InvalidStatus):
            async with gw.agent("a2", token=TOKEN):
                pass
        async with gw.agent("a2", token="rotated-token-0123456789") as ok:
            await ok.send(HEARTBEAT)
        await ea.send(HEARTBEAT)  # the EA that proved the old token stays connected
        await ea.send("{bad")
        assert (await recv_json(ea))["code"] == "invalid_json"
