"""The gateway over real loopback sockets against generated hostile frames.

Invariants per frame: the connection stays up, an invalid frame gets exactly one `error`
(a valid one none, unless the gateway refuses it for a business reason), nothing invalid
reaches a /commands client or the agent's state, and nothing is logged with a traceback.
The gateway runs on its own event loop in a thread so Hypothesis drives plain sync tests.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import assume, given
from websockets.sync.client import ClientConnection, connect

from gateway_core.protocol import (
    AGENT_MESSAGE,
    NOTICE,
    ProtocolError,
    parse_agent_message,
    parse_command,
)
from gateway_core.server import Gateway, GatewayConfig, RateLimit

from .mutations import agent_frames, command_frames, fuzz_settings

TOKEN = "fuzz-token-0123456789abcdef-xyz"
HEADERS = {"Authorization": f"Bearer {TOKEN}"}


@dataclass
class Live:
    gateway: Gateway
    port: int
    loop: asyncio.AbstractEventLoop

    def ws(self, path: str) -> ClientConnection:
        return connect(f"ws://127.0.0.1:{self.port}{path}", additional_headers=HEADERS,
                       open_timeout=10, max_size=None)


class _Crashes(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info or "never retrieved" in record.getMessage():
            self.records.append(self.format(record))


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    crashes = _Crashes()
    logging.getLogger().addHandler(crashes)
    loop = asyncio.new_event_loop()
    config = GatewayConfig(token=TOKEN, port=0, supervise_every=0.05,
                           agent_rate=RateLimit(per_second=1e6, burst=10**6),
                           client_rate=RateLimit(per_second=1e6, burst=10**6),
                           trade_timeout=1.0, query_timeout=1.0)
    gateway = Gateway(config)
    ready = threading.Event()
    box: dict[str, Any] = {}

    def run() -> None:
        asyncio.set_event_loop(loop)
        box["port"] = loop.run_until_complete(gateway.start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True, name="fuzz-gateway")
    thread.start()
    assert ready.wait(10)
    try:
        yield Live(gateway, box["port"], loop)
    finally:
        asyncio.run_coroutine_threadsafe(gateway.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        logging.getLogger().removeHandler(crashes)
        assert not crashes.records, crashes.records[:3]
        assert gateway.handler_crashes == 0


def _recv(ws: ClientConnection) -> dict[str, Any]:
    msg: dict[str, Any] = json.loads(ws.recv(timeout=10))
    return msg


@pytest.fixture(scope="module")
def agent_pair(live: Live) -> Iterator[tuple[ClientConnection, ClientConnection]]:
    with live.ws("/commands") as cl, live.ws("/mt4/fz") as ea:
        while _recv(cl).get("status") != "connected":
            pass
        yield ea, cl


_counter = iter(range(10**9))


def _frame_valid_for(raw: str, agent_id: str) -> bool:
    try:
        msg = parse_agent_message(raw)
    except ProtocolError:
        return False
    return "agent_id" not in msg.model_fields_set or msg.agent_id == agent_id


@fuzz_settings(700)
@given(frame=agent_frames)
def test_agent_door(agent_pair: tuple[ClientConnection, ClientConnection], frame: str) -> None:
    ea, cl = agent_pair
    n = next(_counter)
    ea.send(frame)
    # Sync points: an invalid sentinel the EA must get one error for, then a valid
    # heartbeat the client must see; whatever came before each is what `frame` caused.
    ea.send(json.dumps({"type": f"sentinel-{n}"}))
    errors = []
    while True:
        msg = _recv(ea)
        if msg.get("type") == "error" and f"sentinel-{n}" in msg.get("rejected", ""):
            break
        errors.append(msg)
    assert all(m["type"] == "error" for m in errors), errors
    valid = _frame_valid_for(frame, "fz")
    if not valid:
        assert len(errors) == 1, (frame[:200], errors)
    else:
        assert len(errors) <= 1  # a business refusal (protocol version, limits)
    stamp = f"2026-01-25T10:{n // 60 % 60:02d}:{n % 60:02d}.{n:06d}Z"[:26] + "Z"
    beat = {"type": "heartbeat", "timestamp": stamp}
    ea.send(json.dumps(beat))
    while True:
        raw = cl.recv(timeout=10)
        got = json.loads(raw)
        if got.get("type") == "heartbeat" and got.get("timestamp") == stamp:
            break
        # Everything a client receives is a valid message, for this agent only.
        if got.get("type") in ("agent_status", "error"):
            NOTICE.validate_json(raw)
        else:
            AGENT_MESSAGE.validate_json(raw)
            pairs = json.loads(raw, object_pairs_hook=lambda kv: kv)
            ids = [v for k, v in pairs if k == "agent_id"]
            assert ids == ["fz"], raw[:200]
            assert valid, ("invalid frame reached a client", frame[:200])


@pytest.fixture(scope="module")
def client(live: Live) -> Iterator[ClientConnection]:
    with live.ws("/commands") as cl:
        assert _recv(cl)["type"] == "welcome"
        yield cl


@fuzz_settings(700)
@given(frame=command_frames)
def test_commands_door(client: ClientConnection, frame: str) -> None:
    # The agent door's EA ("fz") is still connected in this module; a command to it would
    # wait for an EA that never answers.
    assume('"fz"' not in frame)
    n = next(_counter)
    client.send(frame)
    client.send(json.dumps({"command": f"sentinel-{n}", "request_id": f"s-{n}"}))
    answers = []
    while True:
        msg = _recv(client)
        if msg.get("request_id") == f"s-{n}":
            assert msg["type"] == "error" and msg["code"] == "unknown_type"
            break
        if msg.get("type") in ("agent_status", "snapshot", "heartbeat"):
            continue
        answers.append(msg)
    # Exactly one answer per frame: an error, or the one reply of a command (no agent is
    # connected on this door's test, so a valid command is refused, never executed).
    assert len(answers) == 1, (frame[:200], answers)
    try:
        cmd = parse_command(frame)
    except ProtocolError:
        assert answers[0]["type"] == "error"
    else:
        assert answers[0].get("success") is False or answers[0]["type"] == "error"
        if cmd.agent_id is not None:
            assert answers[0]["request_id"] == cmd.request_id
