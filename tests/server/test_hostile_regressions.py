"""The fuzz findings of issue 11, each as it was reported: bad input gets one `error` and
the connection stays up; nothing escapes a frame handler."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
from typing import Any

import pytest

from gateway_core.protocol.common import MAX_POSITIONS

from ..protocol.samples import EVENTS
from .conftest import Running, of_type, recv_json, recv_until

pytestmark = pytest.mark.asyncio

HEARTBEAT = json.dumps({"type": "heartbeat", "timestamp": "2026-01-25T10:30:15Z"})
GET_SNAPSHOT_OK = {"command": "get_snapshot", "request_id": "ok-1", "agent_id": "nobody"}


async def _still_answers(cl: Any) -> None:
    """The /commands connection is up: a valid command gets its one reply."""
    await cl.send(json.dumps(GET_SNAPSHOT_OK))
    reply = await recv_until(cl, lambda m: m.get("request_id") == "ok-1")
    assert reply["success"] is False
    assert reply["error"]["code"] in ("unknown_agent", "agent_offline")


@pytest.fixture
def no_tracebacks(caplog: pytest.LogCaptureFixture) -> Any:
    caplog.set_level(logging.INFO)
    yield caplog
    crashes = [r for r in caplog.records if r.exc_info or "never retrieved" in r.getMessage()]
    assert not crashes, [r.getMessage() for r in crashes]


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        # 1. an id that breaks the request_id pattern
        ('{"command":"get_snapshot","request_id":"a b","agent_id":"x"}', "invalid_message"),
        # 2. JSON nested 10,000 deep
        ("[" * 10_000 + "]" * 10_000, "invalid_json"),
        # 3. a 1,000-character command name
        ('{"command":"' + "x" * 1000 + '"}', "unknown_type"),
        # 3b. an unknown key 1,000 characters long
        ('{"command":"get_snapshot","request_id":"r1","agent_id":"a","' + "k" * 1000
         + '":1}', "invalid_message"),
    ],
)
async def test_commands_door_answers_hostile_frames(gw: Running, frame: str, code: str,
                                                    no_tracebacks: Any) -> None:
    async with gw.client() as cl:
        await recv_until(cl, of_type("welcome"))
        await cl.send(frame)
        err = await recv_until(cl, of_type("error"))
        assert err["code"] == code
        assert len(err["message"]) <= 1000
        assert err.get("request_id") in (None, "r1")
        await _still_answers(cl)
    assert gw.gateway.handler_crashes == 0


@pytest.mark.parametrize(
    "frame",
    [
        '{"type":"' + "x" * 1000 + '","timestamp":"2026-01-25T10:30:15Z"}',
        '{"type":"heartbeat","timestamp":"2026-01-25T10:30:15Z","' + "k" * 1000 + '":1}',
        "[" * 10_000 + "]" * 10_000,
    ],
)
async def test_agent_door_answers_hostile_frames(gw: Running, frame: str,
                                                 no_tracebacks: Any) -> None:
    async with gw.client() as cl, gw.agent("a1") as ea:
        await recv_until(cl, of_type("agent_status", status="connected"))
        await ea.send(frame)
        err = await recv_json(ea)
        assert err["type"] == "error"
        assert len(err["message"]) <= 1000
        await ea.send(HEARTBEAT)
        got = await recv_until(cl, of_type("heartbeat"))
        assert got["agent_id"] == "a1"
    assert gw.gateway.handler_crashes == 0


@pytest.mark.parametrize("claimed", [None, "", "someone-else", 7, ["r2"]])
async def test_agent_cannot_blank_or_change_its_id(gw: Running, claimed: Any) -> None:
    async with gw.client() as cl, gw.agent("r2") as ea:
        await recv_until(cl, of_type("agent_status", status="connected"))
        bad = {"type": "heartbeat", "timestamp": "2026-01-25T10:30:15Z", "agent_id": claimed}
        await ea.send(json.dumps(bad))
        err = await recv_json(ea)
        assert err["type"] == "error" and err["code"] == "invalid_message"
        await ea.send(HEARTBEAT)
        raw = await asyncio.wait_for(cl.recv(), 5)
        # The first thing the client sees after the refusal is the valid heartbeat, with
        # exactly one agent_id key.
        pairs = json.loads(raw, object_pairs_hook=lambda kv: kv)
        keys = [k for k, _ in pairs]
        assert keys.count("agent_id") == 1
        assert dict(pairs)["agent_id"] == "r2"


async def test_matching_agent_id_is_forwarded_once(gw: Running) -> None:
    async with gw.client() as cl, gw.agent("r2") as ea:
        await recv_until(cl, of_type("agent_status", status="connected"))
        await ea.send(json.dumps({"type": "heartbeat", "timestamp": "2026-01-25T10:30:15Z",
                                  "agent_id": "r2"}))
        raw = await asyncio.wait_for(cl.recv(), 5)
        pairs = json.loads(raw, object_pairs_hook=lambda kv: kv)
        assert [k for k, _ in pairs].count("agent_id") == 1


def _position(ticket: int) -> dict[str, Any]:
    ev = copy.deepcopy(EVENTS["position_opened"])
    ev["data"]["ticket"] = ticket
    ev.pop("agent_id", None)
    return ev


async def test_position_limit_refused_and_new_clients_still_get_snapshot(
        gw: Running, caplog: pytest.LogCaptureFixture) -> None:
    """5. More positions than the limit: the extra one is refused with an error and a
    warning, and a new /commands client still gets its welcome and snapshot."""
    state_limit = MAX_POSITIONS
    async with gw.agent("big") as ea:
        await ea.send(json.dumps(EVENTS["snapshot"] | {"agent_id": "big"}))
        # Fill the state directly up to the limit (sending 20,000 frames would only
        # exercise the rate limiter), then cross it over the wire.
        state = gw.gateway.registry.get("big")
        assert state is not None
        for _ in range(100):
            if state.account is not None:
                break
            await asyncio.sleep(0.02)
        template = state.positions[next(iter(state.positions))] if state.positions else None
        assert template is not None
        for t in range(1, state_limit + 1):
            state.positions[t] = template.model_copy(update={"ticket": t})
        with caplog.at_level(logging.WARNING):
            await ea.send(json.dumps(_position(state_limit + 10)))
            err = await recv_json(ea)
        assert err["code"] == "limit_exceeded"
        assert str(MAX_POSITIONS) in err["message"]
        assert any("limit" in r.getMessage() or "more than" in r.getMessage()
                   for r in caplog.records if r.levelno == logging.WARNING)
        assert len(state.positions) == state_limit
        async with gw.client(max_size=None) as cl:
            assert (await recv_json(cl))["type"] == "welcome"
            snap = await recv_until(cl, of_type("snapshot"), timeout=20)
            assert len(snap["data"]["positions"]) == state_limit
    assert gw.gateway.handler_crashes == 0
