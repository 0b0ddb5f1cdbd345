"""The forwarder in-process: a real Gateway with a real demo terminal, and a small real
websockets server standing in for the backend (it records frames, acks, sends commands)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any

import jwt
import pytest
import pytest_asyncio
from websockets.asyncio.server import Server, ServerConnection, serve

from gateway_core.demo.runner import DemoFleet
from gateway_core.forwarder import Backoff, Forwarder, Outbox, ReplyJournal, RiskPolicy
from gateway_core.forwarder.sqlite_store import open_store
from gateway_core.server import Gateway, GatewayConfig

TOKEN = "local-token-0123456789abcdef"
pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(60)]


def platform_jwt(ttl: float = 3600) -> str:
    return jwt.encode({"sub": "42", "exp": int(time.time() + ttl)}, "x" * 40, "HS256")


@dataclass
class FakeBackend:
    """Acks what it stores; remembers every event frame; can refuse or drop links."""

    acked: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)
    conns: list[ServerConnection] = field(default_factory=list)
    refuse: int | None = None
    close_code: int | None = None
    server: Server | None = None
    port: int = 0

    async def start(self, port: int = 0) -> None:
        self.server = await serve(self._handle, "127.0.0.1", port,
                                  process_request=self._check)
        self.port = next(iter(self.server.sockets)).getsockname()[1]

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    def _check(self, ws: ServerConnection, request: Any) -> Any:
        if self.refuse is not None:
            return ws.respond(HTTPStatus(self.refuse), "no\n")
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        hello = json.loads(await ws.recv())
        assert hello["type"] == "hello"
        if self.close_code is not None:
            await ws.close(self.close_code, "this gateway is registered to another user")
            return
        self.conns.append(ws)
        await ws.send(json.dumps({"type": "welcome", "link_version": 1, "user_id": "42",
                                  "acked_seq": self.acked}))
        async for raw in ws:
            frame = json.loads(raw)
            for ev in frame["events"] if frame["type"] == "batch" else [frame]:
                if ev["seq"] > self.acked:
                    assert ev["seq"] == self.acked + 1, "gap"
                    self.acked = ev["seq"]
                    self.events.append(ev)
            await ws.send(json.dumps({"type": "ack", "seq": self.acked}))

    async def command(self, agent: str, command: dict[str, Any]) -> None:
        await self.conns[-1].send(json.dumps({"type": "command", "agent_id": agent,
                                              "command": command}))

    def reply(self, rid: str) -> list[dict[str, Any]]:
        return [e["event"] for e in self.events if e["event"].get("request_id") == rid]


async def until(cond: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


@dataclass
class Rig:
    gateway: Gateway
    backend: FakeBackend
    forwarder: Forwarder
    fleet: DemoFleet


@pytest_asyncio.fixture
async def rig(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> AsyncIterator[Rig]:
    caplog.set_level("INFO")
    gateway = Gateway(GatewayConfig(token=TOKEN, port=0, trade_timeout=5))
    port = await gateway.start()
    backend = FakeBackend()
    await backend.start()
    conn = open_store(tmp_path / "outbox.sqlite3")
    forwarder = Forwarder(
        gateway, url=f"ws://127.0.0.1:{backend.port}/mt4", token=platform_jwt(),
        outbox=Outbox(conn), journal=ReplyJournal(conn),
        policy=RiskPolicy(max_lots=5),
        backoff=Backoff(base=0.05, cap=0.2, min_delay=0.01),
    )
    forwarder.start()
    fleet = DemoFleet(f"ws://127.0.0.1:{port}", TOKEN, 1, seed=1, manual_trade_rate=0)
    await fleet.start()
    try:
        yield Rig(gateway, backend, forwarder, fleet)
    finally:
        await fleet.stop()
        await forwarder.stop()
        await gateway.stop()
        await backend.stop()


async def test_events_flow_in_order_and_acks_prune(rig: Rig) -> None:
    await until(lambda: any(e["event"]["type"] == "snapshot" for e in rig.backend.events))
    seqs = [e["seq"] for e in rig.backend.events]
    assert seqs == list(range(1, len(seqs) + 1))
    await until(lambda: rig.forwarder.outbox.depth == 0)
    health = rig.gateway.health()
    assert health["backend_connected"] and health["backend"]["acked_seq"] == seqs[-1]


async def test_backlog_resent_after_the_backend_returns(rig: Rig) -> None:
    await until(lambda: rig.forwarder.status.state == "connected")
    port = rig.backend.port
    await rig.backend.stop()
    await until(lambda: rig.forwarder.status.state == "reconnecting")
    mark = rig.forwarder.outbox.last_seq
    await rig.gateway.execute("demo-1", _trade("while-down"), origin="local")
    await until(lambda: rig.forwarder.outbox.last_seq > mark + 1)
    assert rig.forwarder.health()["outbox_depth"] > 0
    acked_before = rig.backend.acked
    await rig.backend.start(port)
    await until(lambda: rig.forwarder.outbox.depth == 0 and
                rig.backend.acked == rig.forwarder.outbox.last_seq)
    after = [e for e in rig.backend.events if e["seq"] > acked_before]
    types = [e["event"]["type"] for e in after]
    assert "position_opened" in types
    # then the current snapshot of every agent, after the backlog
    assert types.index("snapshot", types.index("position_opened")) > 0


async def test_refused_token_stops_retrying(tmp_path: Path) -> None:
    gateway = Gateway(GatewayConfig(token=TOKEN, port=0))
    await gateway.start()
    backend = FakeBackend(refuse=401)
    await backend.start()
    conn = open_store(":memory:")
    fwd = Forwarder(gateway, url=f"ws://127.0.0.1:{backend.port}/mt4", token=platform_jwt(),
                    outbox=Outbox(conn), journal=ReplyJournal(conn),
                    backoff=Backoff(base=0.01, cap=0.02, min_delay=0.01))
    fwd.start()
    try:
        await until(lambda: fwd.status.state == "auth_failed")
        assert fwd.status.attempts == 1 and "401" in fwd.status.detail
        backend.refuse, backend.close_code = None, 4003
        fwd.set_token(platform_jwt())
        await until(lambda: fwd.status.attempts == 2 and fwd.status.state == "auth_failed")
        assert "another user" in fwd.status.detail
    finally:
        await fwd.stop()
        await gateway.stop()
        await backend.stop()


def _trade(rid: str, lots: float = 0.1, **extra: Any) -> Any:
    from gateway_core.protocol import parse_command

    return parse_command(json.dumps({"command": "execute_trade", "request_id": rid,
                                     "data": {"symbol": "EURUSD", "type": "buy",
                                              "lots": lots}, **extra}))


def _wire(rid: str, lots: float = 0.1, expires_in: float | None = 30) -> dict[str, Any]:
    cmd: dict[str, Any] = {"command": "execute_trade", "request_id": rid,
                           "data": {"symbol": "EURUSD", "type": "buy", "lots": lots}}
    if expires_in is not None:
        cmd["expires_at"] = (datetime.now(UTC) + timedelta(seconds=expires_in)).isoformat()
    return cmd


async def test_platform_commands(rig: Rig) -> None:
    await until(lambda: rig.forwarder.status.state == "connected" and rig.gateway.registry
                .get("demo-1") is not None)
    b = rig.backend
    await b.command("demo-1", _wire("p1"))
    await until(lambda: len(b.reply("p1")) == 1)
    first = b.reply("p1")[0]
    assert first["type"] == "trade_executed" and first["success"]
    await b.command("demo-1", _wire("p1"))  # duplicate: first result, no second trade
    await until(lambda: len(b.reply("p1")) == 2)
    assert b.reply("p1")[1] == first
    positions = rig.fleet.terminals["demo-1"].broker.positions()
    assert len(positions) == 1
    await b.command("demo-1", _wire("p2", expires_in=-1))
    await b.command("demo-1", _wire("p3", expires_in=None))
    await b.command("demo-1", _wire("p4", lots=6))
    await b.command("demo-1", {"command": "warp", "request_id": "p5"})
    await until(lambda: all(b.reply(r) for r in ("p2", "p3", "p4", "p5")))
    assert b.reply("p2")[0]["error"]["code"] == "command_expired"
    assert b.reply("p3")[0]["error"]["code"] == "invalid_message"
    assert b.reply("p4")[0]["error"]["code"] == "max_lots_exceeded"
    assert b.reply("p5")[0]["type"] == "error"
    assert len(rig.fleet.terminals["demo-1"].broker.positions()) == 1
    # the same request twice while the first is still running: one trade, two equal replies
    await b.command("demo-1", _wire("p6"))
    await b.command("demo-1", _wire("p6"))
    await until(lambda: len(b.reply("p6")) == 2)
    assert b.reply("p6")[0] == b.reply("p6")[1] and b.reply("p6")[0]["success"]
    assert len(rig.fleet.terminals["demo-1"].broker.positions()) == 2


async def test_status_listener_and_link_health(rig: Rig,
                                              caplog: pytest.LogCaptureFixture) -> None:
    # the rig's token lives an hour: inside the one-day warning window
    seen: list[str] = []
    rig.forwarder.add_status_listener(lambda body: seen.append(body["state"]))
    await until(lambda: rig.forwarder.status.state == "connected")
    assert rig.forwarder.health()["token_expires_soon"] is True
    logged = " ".join(r.getMessage() for r in caplog.get_records("setup") + caplog.records)
    assert "platform token for user 42 expires at" in logged
    await rig.backend.stop()
    await until(lambda: "reconnecting" in seen)
    health = rig.forwarder.health()
    assert health["state"] == "reconnecting" and "retry_in_s" in health
    token = rig.forwarder._token
    assert token not in logged and token not in caplog.text and token not in str(health)
