"""The platform backend's two doors against hostile peers, on a real `platform-backend
serve`: its gateway door (/mt4: malformed link frames, seq replays and gaps, giant batches)
and its Socket.IO door (malformed `mt4_command`, floods). Nothing stored twice, nothing
invalid shown to the web client, every command acknowledged, no traceback in the log."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from ..e2e_platform.harness import Backend, WebClient, issue_token, wait_until
from ..protocol.samples import EVENTS

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(180)]

GATEWAY = "gw-doors-1"


async def link(backend: Backend, token: str, last_seq: int = 0) -> tuple[ClientConnection, int]:
    ws = await connect(backend.gateway_url, additional_headers={
        "Authorization": f"Bearer {token}"}, open_timeout=10, max_size=None)
    await ws.send(json.dumps({"type": "hello", "link_version": 1, "gateway_id": GATEWAY,
                              "gateway_version": "0.1.0", "last_seq": last_seq}))
    welcome = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert welcome["type"] == "welcome"
    return ws, int(welcome["acked_seq"])


def event(seq: int, ts_minute: int) -> dict[str, Any]:
    body = {"type": "heartbeat", "timestamp": f"2026-01-25T10:{ts_minute:02d}:00Z"}
    return {"type": "event", "seq": seq, "agent_id": "door-1", "event": body}


async def acked(ws: ClientConnection) -> int:
    frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert frame["type"] == "ack"
    return int(frame["seq"])


async def closed_with(ws: ClientConnection) -> int | None:
    try:
        while True:
            await asyncio.wait_for(ws.recv(), 10)
    except ConnectionClosed:
        pass
    return ws.close_code


async def test_gateway_door_against_hostile_link_frames(tmp_path: Path) -> None:
    backend = Backend(tmp_path)
    await backend.start_ready()
    token = issue_token("42")
    # The gateway door takes only gateway tokens the backend has recorded.
    gateway_token = issue_token("42", gateway_db=backend.db)
    web = WebClient(backend.http_url, token)
    try:
        await web.connect()
        ws, start = await link(backend, gateway_token)
        assert start == 0
        await ws.send(json.dumps({"type": "batch", "events": [
            {"type": "event", "seq": 1, "agent_id": "door-1",
             "event": {**EVENTS["snapshot"], "agent_id": "door-1"}},
            event(2, 1)]}))
        assert await acked(ws) == 2
        # Replays of stored seqs are skipped, not applied again.
        await ws.send(json.dumps(event(2, 1)))
        assert await acked(ws) == 2
        await ws.send(json.dumps({"type": "batch", "events": [event(1, 1), event(2, 1),
                                                              event(3, 3)]}))
        assert await acked(ws) == 3
        await wait_until(lambda: sum(e.get("timestamp") == "2026-01-25T10:03:00Z"
                                     for e in web.events) == 1, 10, "event 3 once")
        assert sum(e.get("timestamp") == "2026-01-25T10:01:00Z" for e in web.events) == 1
        await ws.close()

        # Malformed link frames: the link is closed as a protocol error, nothing is stored.
        hostile: list[str | bytes] = [
            "{oops", "[" * 5000 + "]" * 5000, "[]", "null", b"\x00\xff",
            json.dumps({"type": "event", "seq": 4}),
            json.dumps({"type": "event", "seq": -1, "agent_id": "door-1", "event": {}}),
            json.dumps({"type": "event", "seq": 2**63, "agent_id": "door-1", "event": {}}),
            json.dumps({"type": "event", "seq": 4, "agent_id": "bad agent!", "event": {}}),
            json.dumps({"type": "event", "seq": 4, "agent_id": "door-1", "event": [1]}),
            json.dumps({"type": "batch", "events": []}),
            json.dumps({"type": "batch", "events": [event(4 + i, 4) for i in range(10_001)]}),
            json.dumps({"type": "hello", "link_version": 1, "gateway_id": GATEWAY,
                        "gateway_version": "x", "last_seq": 3}),
            json.dumps({"type": "event", "seq": 4, "agent_id": "door-1",
                        "event": event(4, 4)["event"], "k" * 1000: 1}),
        ]
        for frame in hostile:
            ws, have = await link(backend, gateway_token, 3)
            assert have == 3, frame[:80]
            await ws.send(frame)
            assert await closed_with(ws) == 4400, frame[:80]

        # Events with invalid bodies are acked and dropped (never shown), in order.
        ws, have = await link(backend, gateway_token, 3)
        bad_body = {"type": "event", "seq": 4, "agent_id": "door-1",
                    "event": {"type": "heartbeat", "timestamp": "yesterday"}}
        await ws.send(json.dumps(bad_body))
        assert await acked(ws) == 4
        # A giant but legal batch is taken whole.
        await ws.send(json.dumps({"type": "batch", "events": [
            event(5 + i, 5 + i % 50) for i in range(10_000)]}))
        assert await acked(ws) == 10_004
        await ws.close()
        assert not any(e.get("timestamp") == "yesterday" for e in web.events)
        ws, have = await link(backend, gateway_token, 10_004)
        assert have == 10_004
        await ws.close()
        assert backend.popen is not None and backend.popen.poll() is None
        assert "Traceback" not in backend.output()
        assert "Task exception was never retrieved" not in backend.output()
    finally:
        await web.close()
        backend.terminate()


HOSTILE_COMMANDS: list[Any] = [
    {"command": "get_snapshot", "request_id": "bad id!", "agent_id": "demo-1"},
    {"command": "get_snapshot", "request_id": "r1", "agent_id": "bad agent!"},
    {"command": "x" * 1000, "request_id": "r2", "agent_id": "demo-1"},
    {"command": "get_snapshot", "request_id": "r3", "agent_id": "demo-1", "k" * 1000: 1},
    {"command": "get_snapshot", "request_id": "r4", "agent_id": None},
    {"command": "execute_trade", "request_id": "r5", "agent_id": "demo-1",
     "data": {"symbol": "EURUSD", "type": "buy", "lots": float("1e308")}},
    {"command": ["get_snapshot"], "request_id": {"a": 1}},
    "get_snapshot", 42, None, [], {},
    {"command": "get_snapshot", "request_id": "r6", "agent_id": "demo-1",
     "data": {"x": "\x00" * 100}},
]


async def test_socketio_door_acks_every_malformed_command_and_floods(tmp_path: Path) -> None:
    backend = Backend(tmp_path)
    await backend.start_ready()
    web = WebClient(backend.http_url, issue_token("42"))
    try:
        await web.connect()
        for payload in HOSTILE_COMMANDS:
            reply = await web.command(payload, timeout=10)
            assert reply["type"] in ("error", "command_result", "trade_executed"), payload
            assert len(json.dumps(reply)) < 2000
        # A flood: 600 commands at once, each acknowledged, the door still open after.
        flood = [web.command(HOSTILE_COMMANDS[i % len(HOSTILE_COMMANDS)], timeout=60)
                 for i in range(600)]
        replies = await asyncio.gather(*flood)
        assert len(replies) == 600 and all("type" in r for r in replies)
        ok = await web.command({"command": "get_snapshot", "request_id": "after",
                                "agent_id": "demo-1"}, timeout=10)
        assert ok["request_id"] == "after" and ok["error"]["code"] == "unknown_agent"
        assert "Traceback" not in backend.output()
        assert "Task exception was never retrieved" not in backend.output()
    finally:
        await web.close()
        backend.terminate()
