"""The EA's session with the gateway: handshake, hello + snapshot, heartbeats, refusal without
the token, reconnect with catch-up events, chart status."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from gateway_core.protocol import PROTOCOL_VERSION

from .harness import LOGIN, TOKEN, EaHost, FakeGateway, needs_host, write_config

pytestmark = [needs_host, pytest.mark.asyncio]


async def test_hello_snapshot_symbol_info_on_connect(gateway: FakeGateway, ea: EaHost) -> None:
    conn = gateway.conn
    assert conn.path == f"/mt4/mt4-{LOGIN}"
    types = [m["type"] for m in conn.messages]
    assert types[0] == "hello"
    assert types.index("snapshot") > 0
    hello = conn.messages[0]["data"]
    assert hello["agent_id"] == f"mt4-{LOGIN}"
    assert hello["account_login"] == LOGIN
    assert hello["protocol_version"] == PROTOCOL_VERSION
    assert hello["ea_version"] == "1.0.0"
    assert hello["dll_allowed"] is True
    snap = await gateway.wait_type("snapshot")
    assert snap["data"]["positions"] == [] and snap["data"]["pending_orders"] == []
    assert snap["data"]["account"]["balance"] > 0
    assert snap["timestamp"].endswith("Z")
    si = await gateway.wait_type("symbol_info", pred=lambda m: m["data"]["symbol"] == "EURUSD")
    assert si["data"]["digits"] == 5 and si["data"]["stops_level"] == 10
    assert si["data"]["lot_step"] == 0.01


async def test_heartbeats_flow_without_quotes(gateway: FakeGateway, tmp_path: Path) -> None:
    write_config(tmp_path, gateway.url, heartbeat_ms=150)
    host = EaHost(tmp_path)
    await host.start()
    try:
        await gateway.wait_conn()
        for n in range(1, 5):
            await gateway.wait_msg(
                lambda m, n=n: m.get("type") == "heartbeat" and gateway.count("heartbeat") >= n,
                10,
                f"heartbeat {n}",
            )
        hb = next(m for m in gateway.conn.messages if m["type"] == "heartbeat")
        assert hb["status"] == "connected" and hb["agent_id"] == f"mt4-{LOGIN}"
        assert "data" not in hb
        assert not any(m["type"] == "quote" for m in gateway.conn.messages)
    finally:
        await host.stop()


async def test_refused_without_the_right_token(gateway: FakeGateway, tmp_path: Path) -> None:
    write_config(tmp_path, gateway.url, token="wrong-token")
    host = EaHost(tmp_path)
    await host.start()
    try:
        await host.wait(
            lambda e: (
                e.get("event") == "comment"
                and "HTTP 401" in e["text"]
                and "check the token" in e["text"]
            ),
            20,
            "the refusal on the chart",
        )
        assert gateway.refused >= 1
        assert gateway.conns == []
        comment = [e["text"] for e in host.lines if e.get("event") == "comment"][-1]
        assert "wrong-token" not in comment and TOKEN not in comment
    finally:
        await host.stop()


async def test_inputs_override_the_config_file(gateway: FakeGateway, tmp_path: Path) -> None:
    write_config(tmp_path, "ws://127.0.0.1:1/mt4", token="nope")
    host = EaHost(
        tmp_path, ["--inputs", f"GatewayURL={gateway.url}", f"Token={TOKEN}", "AgentId=my-terminal"]
    )
    await host.start()
    try:
        conn = await gateway.wait_conn()
        assert conn.path == "/mt4/my-terminal"
        await gateway.wait_type("snapshot")
    finally:
        await host.stop()


async def test_dll_imports_off_is_shown_and_nothing_connects(
    gateway: FakeGateway, tmp_path: Path
) -> None:
    write_config(tmp_path, gateway.url)
    host = EaHost(tmp_path, ["--no-dll"])
    await host.start()
    try:
        await host.wait(
            lambda e: e.get("event") == "comment" and "DLL imports are OFF" in e["text"],
            10,
            "the DLL warning",
        )
        assert gateway.conns == []
    finally:
        await host.stop()


async def test_autotrading_off_is_shown(gateway: FakeGateway, tmp_path: Path) -> None:
    write_config(tmp_path, gateway.url)
    host = EaHost(tmp_path, ["--no-trade"])
    await host.start()
    try:
        await gateway.wait_type("snapshot")
        await host.wait(
            lambda e: (
                e.get("event") == "comment" and "OFF" in e["text"] and "AutoTrading" in e["text"]
            ),
            10,
            "the AutoTrading warning",
        )
        reply = await gateway.command(
            "execute_trade", {"symbol": "EURUSD", "type": "buy", "lots": 0.1}
        )
        assert reply["success"] is False
        assert reply["error"]["code"] == "trading_not_allowed"
        assert host.open_orders() == []
    finally:
        await host.stop()


async def test_wss_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    write_config(tmp_path, "wss://127.0.0.1:8090/mt4")
    host = EaHost(tmp_path)
    await host.start()
    try:
        await host.wait(
            lambda e: e.get("event") == "comment" and "wss:// is not supported" in e["text"],
            10,
            "the wss message",
        )
    finally:
        await host.stop()


async def test_reconnect_catches_up_closes_made_while_disconnected(tmp_path: Path) -> None:
    gw = FakeGateway()
    await gw.start()
    write_config(tmp_path, gw.url)
    host = EaHost(tmp_path)
    await host.start()
    try:
        await gw.wait_conn()
        await gw.wait_type("snapshot")
        ans = await host.manual("open", symbol="EURUSD", type="buy", lots=0.2)
        ticket = ans["ticket"]
        await gw.wait_type("position_opened", pred=lambda m: m["data"]["ticket"] == ticket)
        port = gw.port
        await gw.stop()  # the gateway goes away
        await host.send(op="quote", symbol="EURUSD", bid=1.10150, ask=1.10162)
        await host.manual("close", ticket=ticket)
        hist = {o["ticket"]: o for o in await host.history()}
        gw2 = FakeGateway(port=port)
        await gw2.start()  # and comes back on the same port
        try:
            conn = await gw2.wait_conn(timeout=40)
            closed = await gw2.wait_type("position_closed", timeout=20)
            snap = await gw2.wait_type("snapshot")
            types = [m["type"] for m in conn.messages]
            assert types[0] == "hello"
            assert types.index("position_closed") < types.index("snapshot")
            d = closed["data"]
            assert d["ticket"] == ticket
            assert d["close_price"] == pytest.approx(hist[ticket]["close_price"])
            assert d["profit"] == pytest.approx(hist[ticket]["profit"], abs=0.01)
            assert d["reason"] == "manual"
            assert snap["data"]["positions"] == []
            assert not gw2.invalid, gw2.invalid
        finally:
            await gw2.stop()
    finally:
        await host.stop()
        await gw.stop()


async def test_restart_ea_catches_up_from_saved_state(tmp_path: Path) -> None:
    """A close made while the EA was stopped still reaches the gateway: the EA saves what the
    gateway last saw on OnDeinit and diffs against it after OnInit."""
    gw = FakeGateway()
    await gw.start()
    write_config(tmp_path, gw.url)
    host = EaHost(tmp_path)
    await host.start()
    gw2: FakeGateway | None = None
    try:
        await gw.wait_conn()
        await gw.wait_type("snapshot", timeout=30)
        ans = await host.manual("open", symbol="EURUSD", type="sell", lots=0.1)
        ticket = ans["ticket"]
        await gw.wait_type("position_opened", pred=lambda m: m["data"]["ticket"] == ticket)
        port = gw.port
        await gw.stop()
        await host.send(op="restart_ea")  # OnDeinit + OnInit: memory is gone
        await host.manual("close", ticket=ticket)
        gw2 = FakeGateway(port=port)
        await gw2.start()
        conn = await gw2.wait_conn(timeout=40)
        closed = await gw2.wait_msg(
            lambda m: m.get("type") == "position_closed", 20, "catch-up", conn=conn
        )
        assert closed["data"]["ticket"] == ticket
        assert not gw2.invalid, gw2.invalid
    finally:
        await host.stop()
        await gw.stop()
        if gw2 is not None:
            await gw2.stop()


async def test_many_events_do_not_block(gateway: FakeGateway, ea: EaHost) -> None:
    tickets = []
    for i in range(20):
        ans = await ea.manual("open", symbol="EURUSD", type="buy" if i % 2 else "sell", lots=0.01)
        tickets.append(ans["ticket"])
    for t in tickets:
        await gateway.wait_type("position_opened", pred=lambda m, t=t: m["data"]["ticket"] == t)
    await asyncio.wait_for(gateway.command("get_snapshot"), 10)
