"""More of issue 3's list through the real chain: `mt4-gateway serve` and the MQL4 host as
subprocesses, a /commands client checking what it receives (the other EA tests use an
in-process stand-in gateway to reach frame-level detail)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect

from tests.e2e.gateway_process import run_gateway

from .harness import EaHost, needs_host, write_config
from .test_ea_gateway_e2e import AGENT, Client

pytestmark = [needs_host, pytest.mark.asyncio, pytest.mark.timeout(300)]
BUY = {"symbol": "EURUSD", "type": "buy", "lots": 0.1}


@asynccontextmanager
async def chain(tmp_path: Path, gateway_args: list[str] | None = None, token: str | None = None,
                **config: Any) -> AsyncIterator[tuple[EaHost, Client]]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    with run_gateway(tmp_path, gateway_args or []) as gw:
        write_config(tmp_path / "term", f"ws://127.0.0.1:{gw.port}/mt4",
                     token=token or gw.token, **config)
        host = EaHost(tmp_path / "term")
        ws = await connect(f"ws://127.0.0.1:{gw.port}/commands",
                           additional_headers={"Authorization": f"Bearer {gw.token}"})
        client = Client(ws)
        await host.start()
        try:
            yield host, client
        finally:
            await client.close()
            await host.stop()


def of(type_: str, **data: Any) -> Any:
    return lambda m: (m.get("type") == type_ and m.get("agent_id") == AGENT
                      and all(m["data"].get(k) == v for k, v in data.items()))


async def test_refused_without_the_token_and_heartbeats_without_quotes(tmp_path: Path) -> None:
    async with chain(tmp_path, token="not-the-gateway-token-000") as (host, client):
        await host.wait(lambda e: e.get("event") == "comment" and "HTTP 401" in e["text"],
                        30, "the refusal on the chart")
        assert not any(m.get("agent_id") == AGENT for _t, m in client.msgs)
    async with chain(tmp_path / "ok", heartbeat_ms=300) as (host, client):
        await client.wait(of("snapshot"), 40, what="snapshot")
        start = len(client.msgs)
        for n in range(3):  # no quote is ever sent: heartbeats flow on the timer alone
            await client.wait(lambda m: m.get("type") == "heartbeat"
                              and m.get("agent_id") == AGENT, 10, start, f"heartbeat {n}")
            start = next(i for i, (_t, m) in enumerate(client.msgs)
                         if i >= start and m.get("type") == "heartbeat") + 1


async def test_pending_orders_placed_triggered_deleted(tmp_path: Path) -> None:
    async with chain(tmp_path) as (host, client):
        await client.wait(of("snapshot"), 40, what="snapshot")
        a = await host.manual("open", symbol="EURUSD", type="buy_limit", lots=0.1,
                              price=1.09500)
        await client.wait(of("order_placed", ticket=a["ticket"], type="buy_limit"),
                          what="order_placed")
        b = await host.manual("open", symbol="EURUSD", type="sell_stop", lots=0.1,
                              price=1.08000)
        await client.wait(of("order_placed", ticket=b["ticket"]), what="second order_placed")
        await host.send(op="quote", symbol="EURUSD", bid=1.09480, ask=1.09492)
        trig = await client.wait(of("order_triggered", ticket=a["ticket"]), what="trigger")
        assert trig[1]["data"]["type"] == "buy"
        await host.manual("delete", ticket=b["ticket"])
        await client.wait(of("order_deleted", ticket=b["ticket"], reason="cancelled"),
                          what="order_deleted")


async def test_every_command_with_success_and_failure(tmp_path: Path) -> None:
    async with chain(tmp_path) as (host, client):
        await client.wait(of("snapshot"), 40, what="snapshot")
        _, r = await client.command("execute_trade", BUY)
        assert r["type"] == "trade_executed" and r["success"], r
        ticket, price = r["data"]["ticket"], r["data"]["open_price"]
        _, r = await client.command("modify_position", {"ticket": ticket,
                                                         "take_profit": round(price + 0.01, 5)})
        assert r["success"], r
        await client.wait(of("position_modified", ticket=ticket), what="position_modified")
        _, r = await client.command("close_position", {"ticket": ticket, "lots": 0.04})
        assert r["success"], r
        part = await client.wait(of("position_partially_closed", ticket=ticket),
                                 what="partial close")
        assert part[1]["data"]["remaining_lots"] == pytest.approx(0.06)

        _, r = await client.command("execute_trade", {**BUY, "lots": 0.001})
        assert not r["success"] and r["error"]["code"] == "invalid_volume", r
        _, r = await client.command("execute_trade", {**BUY, "stop_loss": round(price, 5)})
        assert not r["success"] and r["error"]["code"] == "invalid_stops", r

        await host.send(op="fail_next", error=138)
        _, r = await client.command("execute_trade", BUY)
        assert r["success"] and r["data"]["attempts"] == 2, r  # requoted once, then filled

        _, r = await client.command("execute_trade", {"symbol": "EURUSD", "type": "buy_limit",
                                                      "lots": 0.1, "price": 1.0})
        assert r["success"], r
        _, d = await client.command("delete_order", {"ticket": r["data"]["ticket"]})
        assert d["success"], d
        _, r = await client.command("subscribe_quotes", {"symbols": ["GBPUSD"]})
        assert r["success"], r
        await host.send(op="quote", symbol="GBPUSD", bid=1.25, ask=1.2502)
        await client.wait(of("quote", symbol="GBPUSD"), what="quote")
        start = len(client.msgs)
        _, r = await client.command("get_snapshot")
        assert r["success"], r
        await client.wait(of("snapshot"), start=start, what="fresh snapshot")
        _, r = await client.command("close_all")
        assert r["success"], r
        assert host.open_orders() == []

        # Last, since the host's injected failures cannot be taken back: the trade context
        # stays busy through every retry, and the EA gives up with MT4's code.
        await host.send(op="fail_next", error=146, count=20)
        _, r = await client.command("execute_trade", BUY)
        assert not r["success"] and r["error"]["code"] == "trade_context_busy", r
        assert r["error"]["mt4_error"] == 146


async def test_restart_between_send_and_reply_one_order(tmp_path: Path) -> None:
    async with chain(tmp_path, ["--trade-timeout", "5"]) as (host, client):
        await client.wait(of("snapshot"), 40, what="snapshot")
        start = len(host.lines)
        send = client.command("execute_trade", {**BUY, "comment": "once"})
        await host.send(op="restart_ea")  # like a recompile while the command is under way
        _, first = await send
        # Asked again with the same request_id (the gateway resends after a timeout; the EA
        # answers from its journal): never a second order.
        client._n -= 1
        _, again = await client.command("execute_trade", {**BUY, "comment": "once"})
        sends = [e for e in host.lines[start:]
                 if e.get("event") == "trade" and e.get("op") == "OrderSend"
                 and e.get("error", 0) == 0]
        assert len(sends) <= 1
        orders = host.open_orders()
        assert len(orders) == len(sends)
        if again["success"]:
            assert again["data"]["ticket"] == orders[0]["ticket"]
        assert first["request_id"] == again["request_id"]
