"""The platform backend's Socket.IO door answers every malformed `mt4_command` with one
acknowledgement (issue 11, defect 6), and logs no crash while doing it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from .harness import Backend, WebClient, issue_token

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]

MALFORMED: list[Any] = [
    {"command": "get_snapshot", "request_id": "bad id!", "agent_id": "demo-1"},
    {"command": "get_snapshot", "request_id": "r1", "agent_id": "bad agent!"},
    {"command": "x" * 2000, "request_id": "r1", "agent_id": "demo-1"},
    {"command": "get_snapshot", "request_id": "r1", "agent_id": "demo-1", "k" * 1000: 1},
    {"command": "execute_trade", "request_id": "r" * 500, "agent_id": "a" * 500},
    {"command": "execute_trade", "request_id": "r2", "agent_id": "demo-1",
     "data": {"symbol": "EURUSD", "type": "buy", "lots": 1e308}},
    {"command": "get_snapshot", "request_id": None, "agent_id": None},
    ["not", "an", "object"],
    "text",
    12,
    None,
]


async def test_every_malformed_command_is_acknowledged(tmp_path: Path) -> None:
    backend = Backend(tmp_path)
    await backend.start_ready()
    web = WebClient(backend.http_url, issue_token("42"))
    try:
        await web.connect()
        for payload in MALFORMED:
            reply = await web.command(payload, timeout=10)
            assert reply.get("success") is False or reply.get("type") == "error", reply
            code = reply.get("code") or reply["error"]["code"]
            assert code in ("invalid_message", "unknown_type", "unknown_agent"), reply
        # A flood of them is answered too, and the door stays open.
        replies = await asyncio.gather(*(web.command(MALFORMED[i % 4], timeout=20)
                                         for i in range(200)))
        assert len(replies) == 200
        assert web.sio.connected
    finally:
        await web.close()
        backend.terminate()
    log = backend.output()
    assert "Traceback" not in log
    assert "never retrieved" not in log
