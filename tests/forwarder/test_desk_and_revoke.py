"""Platform trades confirmed at the desk (confirmed, rejected, timed out, nobody there),
the risk guard switched live, and a revoked link: the forwarder stops retrying, says so
in /health, and keeps the outbox until the trader clears it. A real Gateway with a real
demo terminal; a small real websockets server stands in for the backend."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from gateway_core.demo.runner import DemoFleet
from gateway_core.forwarder import Backoff, Forwarder, Outbox, ReplyJournal, RiskPolicy
from gateway_core.forwarder.desk_confirmation import DeskConfirmation, TradeToConfirm
from gateway_core.forwarder.sqlite_store import open_store
from gateway_core.protocol import Command, Reply
from gateway_core.server import Gateway, GatewayConfig

from .test_connector import TOKEN, FakeBackend, _wire, platform_jwt, until

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(60)]


@dataclass
class RevokingBackend(FakeBackend):
    """Also answers a handshake with HTTP 401 `revoked`, like the platform does for a
    revoked gateway token."""

    revoked: bool = False
    jumps: list[tuple[int, int]] = field(default_factory=list)

    def _check(self, ws: ServerConnection, request: Any) -> Any:
        if self.revoked:
            return ws.respond(HTTPStatus.UNAUTHORIZED, "revoked\n")
        return super()._check(ws, request)

    async def _handle(self, ws: ServerConnection) -> None:
        # Like the platform: after the trader discarded a backlog the sequence jumps; that
        # is noted (`jumps`), not refused.
        hello = json.loads(await ws.recv())
        assert hello["type"] == "hello"
        self.conns.append(ws)
        await ws.send(json.dumps({"type": "welcome", "link_version": 1, "user_id": "42",
                                  "acked_seq": self.acked}))
        with contextlib.suppress(ConnectionClosed):  # e.g. our own 4401
            async for raw in ws:
                frame = json.loads(raw)
                for ev in frame["events"] if frame["type"] == "batch" else [frame]:
                    if ev["seq"] > self.acked:
                        if ev["seq"] != self.acked + 1:
                            self.jumps.append((self.acked, ev["seq"]))
                        self.acked = ev["seq"]
                        self.events.append(ev)
                await ws.send(json.dumps({"type": "ack", "seq": self.acked}))


@dataclass
class DeskRig:
    gateway: Gateway
    backend: RevokingBackend
    forwarder: Forwarder
    fleet: DemoFleet
    desk: DeskConfirmation
    asked: list[TradeToConfirm]
    answered: list[tuple[str, Command, Reply]]


@pytest_asyncio.fixture
async def desk(tmp_path: Path) -> AsyncIterator[DeskRig]:
    gateway = Gateway(GatewayConfig(token=TOKEN, port=0, trade_timeout=5))
    port = await gateway.start()
    backend = RevokingBackend()
    await backend.start()
    conn = open_store(tmp_path / "outbox.sqlite3")
    confirmation = DeskConfirmation(enabled=True)
    asked: list[TradeToConfirm] = []
    forwarder = Forwarder(
        gateway, url=f"ws://127.0.0.1:{backend.port}/mt4", token=platform_jwt(),
        outbox=Outbox(conn), journal=ReplyJournal(conn),
        backoff=Backoff(base=0.05, cap=0.2, min_delay=0.01), confirmation=confirmation,
    )
    answered: list[tuple[str, Command, Reply]] = []
    forwarder.add_command_listener(lambda a, c, r: answered.append((a, c, r)))
    forwarder.start()
    fleet = DemoFleet(f"ws://127.0.0.1:{port}", TOKEN, 1, seed=1, manual_trade_rate=0)
    await fleet.start()
    try:
        await until(lambda: forwarder.status.state == "connected"
                    and gateway.registry.get("demo-1") is not None)
        yield DeskRig(gateway, backend, forwarder, fleet, confirmation, asked, answered)
    finally:
        await fleet.stop()
        await forwarder.stop()
        await gateway.stop()
        await backend.stop()


def positions(rig: DeskRig) -> int:
    return len(rig.fleet.terminals["demo-1"].broker.positions())


async def test_confirmed_at_the_desk_runs_once(desk: DeskRig) -> None:
    desk.desk.add_listener(lambda item: desk.asked.append(item))
    await desk.backend.command("demo-1", _wire("c1", lots=0.1))
    await until(lambda: len(desk.asked) == 1)
    item = desk.asked[0]
    assert item.what == "BUY 0.10 EURUSD" and item.decision == "waiting"
    assert positions(desk) == 0  # nothing runs before the click
    assert desk.backend.reply("c1") == []
    assert desk.desk.decide(item.key, confirmed=True)
    await until(lambda: desk.backend.reply("c1"))
    reply = desk.backend.reply("c1")[0]
    assert reply["success"] and reply["type"] == "trade_executed"
    assert positions(desk) == 1
    assert not desk.desk.decide(item.key, confirmed=False)  # a second click changes nothing
    await desk.backend.command("demo-1", _wire("c1", lots=0.1))  # the platform retries
    await until(lambda: len(desk.backend.reply("c1")) == 2)
    assert desk.backend.reply("c1")[1] == reply and positions(desk) == 1
    assert len(desk.asked) == 2  # opened, confirmed: the retry asked nobody
    agent, command, answer = desk.answered[0]
    assert (agent, command.request_id, answer.success) == ("demo-1", "c1", True)


async def test_rejected_at_the_desk(desk: DeskRig) -> None:
    desk.desk.add_listener(lambda item: desk.asked.append(item))
    await desk.backend.command("demo-1", _wire("r1"))
    await until(lambda: len(desk.asked) == 1)
    desk.desk.decide(desk.asked[0].key, confirmed=False)
    await until(lambda: desk.backend.reply("r1"))
    error = desk.backend.reply("r1")[0]["error"]
    assert error["code"] == "rejected_at_desk" and "rejected at the desk" in error["message"]
    assert positions(desk) == 0
    assert desk.answered[0][2].error is not None
    assert desk.answered[0][2].error.code == "rejected_at_desk"


async def test_not_confirmed_before_the_expiry(desk: DeskRig) -> None:
    desk.desk.add_listener(lambda item: desk.asked.append(item))
    await desk.backend.command("demo-1", _wire("t1", expires_in=2.0))
    await until(lambda: desk.backend.reply("t1"), timeout=15)
    error = desk.backend.reply("t1")[0]["error"]
    assert error["code"] == "not_confirmed_in_time"
    assert "not confirmed in time" in error["message"]
    assert [i.decision for i in desk.asked] == ["timed_out", "timed_out"]
    assert not desk.desk.decide(desk.asked[0].key, confirmed=True)  # too late: nothing runs
    await asyncio.sleep(0)
    assert positions(desk) == 0


async def test_nobody_at_the_desk_is_refused_at_once(desk: DeskRig) -> None:
    # No listener: what a headless gateway would be if it ever turned this on.
    await desk.backend.command("demo-1", _wire("h1", expires_in=30))
    await until(lambda: desk.backend.reply("h1"), timeout=5)
    error = desk.backend.reply("h1")[0]["error"]
    assert error["code"] == "not_confirmed_in_time" and "no desk app" in error["message"]
    assert positions(desk) == 0


async def test_queries_and_switched_off_confirmation_do_not_wait(desk: DeskRig) -> None:
    desk.desk.add_listener(lambda item: desk.asked.append(item))
    await desk.backend.command("demo-1", {"command": "get_snapshot", "request_id": "q1",
                                          "expires_at": _wire("x")["expires_at"]})
    await until(lambda: desk.backend.reply("q1"))
    desk.desk.enabled = False
    await desk.backend.command("demo-1", _wire("n1"))
    await until(lambda: desk.backend.reply("n1"))
    assert desk.backend.reply("n1")[0]["success"] and desk.asked == []


async def test_risk_guard_switched_live(desk: DeskRig) -> None:
    desk.desk.enabled = False
    desk.forwarder.set_policy(RiskPolicy(remote_trading=False))
    assert desk.forwarder.health()["risk"] == "remote trading off"
    await desk.backend.command("demo-1", _wire("g1"))
    await until(lambda: desk.backend.reply("g1"))
    assert desk.backend.reply("g1")[0]["error"]["code"] == "remote_trading_disabled"
    assert desk.answered[-1][2].error.code == "remote_trading_disabled"  # type: ignore[union-attr]
    desk.forwarder.set_policy(RiskPolicy(remote_trading=True))
    await desk.backend.command("demo-1", _wire("g2"))
    await until(lambda: desk.backend.reply("g2"))
    assert desk.backend.reply("g2")[0]["success"]
    assert desk.forwarder.status.attempts == 1  # the link never went down


async def test_revoked_link_stops_keeps_the_outbox_until_cleared(
    desk: DeskRig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    fwd = desk.forwarder
    desk.backend.revoked = True  # the next handshake is refused too
    await desk.backend.conns[-1].close(4401, "revoked")
    await until(lambda: fwd.status.state == "revoked")
    health = desk.gateway.health()["backend"]
    assert health["state"] == "revoked"
    assert health["detail"] == "revoked by the platform, link again"
    assert "revoked by the platform, link again" in caplog.text
    attempts = fwd.status.attempts
    # Events keep coming and are kept, not sent.
    await desk.gateway.execute("demo-1", _trade_cmd("local-1"), origin="local")
    await until(lambda: fwd.health()["outbox_depth"] > 0)
    await asyncio.sleep(0.3)  # longer than the backoff cap: a retry would have happened
    assert fwd.status.attempts == attempts and fwd.status.state == "revoked"
    # Linked again with a new token: still revoked by the handshake (HTTP 401 revoked).
    fwd.set_token(platform_jwt())
    await until(lambda: fwd.status.attempts == attempts + 1 and fwd.status.state == "revoked")
    kept = fwd.health()["outbox_depth"]
    assert kept > 0
    # The trader gives up on them.
    assert fwd.clear_outbox() == kept
    assert fwd.health()["outbox_depth"] == 0
    # A good link afterwards works and carries new events only: the discarded ones are
    # a jump in the sequence, never resent.
    acked_before = desk.backend.acked
    last_discarded = fwd.outbox.last_seq
    desk.backend.revoked = False
    fwd.set_token(platform_jwt())
    await until(lambda: fwd.status.state == "connected" and desk.backend.acked > acked_before)
    assert desk.backend.jumps and desk.backend.jumps[0][0] == acked_before
    assert all(e["seq"] > last_discarded for e in desk.backend.events
               if e["seq"] > acked_before)
    with pytest.raises(RuntimeError, match="being delivered"):
        fwd.clear_outbox()


def _trade_cmd(rid: str) -> Any:
    from gateway_core.protocol import parse_command

    return parse_command(json.dumps({"command": "execute_trade", "request_id": rid,
                                     "data": {"symbol": "EURUSD", "type": "buy",
                                              "lots": 0.1}}))
