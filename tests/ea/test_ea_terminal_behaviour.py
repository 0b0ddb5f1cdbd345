"""How a real MetaTrader 4 terminal treats the EA (issue 10), through the real chain:
`mt4-gateway serve` and the MQL4 host as subprocesses, a /commands client. Re-initialisation
keeps globals; a busy trade context is waited out; an order whose answer was lost is found."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect

from tests.e2e.gateway_process import run_gateway

from .harness import EaHost, needs_host, write_config
from .test_ea_gateway_e2e import AGENT, Client
from .test_ea_real_gateway_scenarios import BUY, chain, of

pytestmark = [needs_host, pytest.mark.asyncio, pytest.mark.timeout(300)]


def journal_lines(host: EaHost, rid: str) -> list[str]:
    path = host.sandbox / "MQL4" / "Files" / "MT4Companion" / f"journal-{AGENT}.txt"
    return [ln for ln in path.read_text(encoding="utf-8").splitlines()
            if ln.startswith(rid + "|")]


def order_sends(host: EaHost, start: int, ok: bool) -> list[dict[str, Any]]:
    return [e for e in host.lines[start:] if e.get("event") == "trade"
            and e.get("op") == "OrderSend" and (e.get("error", 0) == 0) == ok]


async def reinit_during_retry(host: EaHost, client: Client, op: dict[str, Any],
                              reason: int) -> None:
    """A command meets requotes for 1.5 s; the terminal re-initialises the EA meanwhile.
    One reply, true, and one order."""
    start = len(host.lines)
    before = len(host.open_orders())
    await host.send(op="fail_next", error=138, for_ms=1500)
    send = client.command("execute_trade", BUY)
    rid = f"e2e-{client._n + 1}"
    task = asyncio.ensure_future(send)
    await host.wait(lambda e: e.get("event") == "trade" and e.get("error") == 138, 20,
                    "a requoted OrderSend", start)
    await host.send(**op)
    await host.wait(lambda e: e.get("event") == "log"
                    and f"EA stopped (reason {reason})" in e["text"], 20, "OnDeinit", start)
    _, reply = await task
    assert reply["success"], reply
    await client.wait(of("snapshot"), 40, what="the reconnect's snapshot")
    # A barrier: a later command's answer has come, so any second answer would be here too.
    _, r = await client.command("get_snapshot")
    assert r["success"]
    replies = [m for _t, m in client.msgs if m.get("request_id") == rid]
    assert len(replies) == 1, replies
    done = [ln for ln in journal_lines(host, rid) if ln.split("|")[1] == "done"]
    assert len(done) == 1, done
    assert len(order_sends(host, start, ok=True)) == 1
    tickets = [o["ticket"] for o in host.open_orders()]
    assert len(tickets) == before + 1 and reply["data"]["ticket"] in tickets


async def test_reinitialisation_mid_command_gives_one_true_answer(tmp_path: Path) -> None:
    async with chain(tmp_path) as (host, client):
        await client.wait(of("snapshot"), 40, what="snapshot")
        await reinit_during_retry(host, client, {"op": "chart", "symbol": "GBPUSD",
                                                 "period": 60}, 3)
        await reinit_during_retry(host, client, {"op": "inputs", "HeartbeatMs": 4000}, 5)
        await reinit_during_retry(host, client, {"op": "account", "login": 7654321,
                                                 "balance": 20000}, 6)

        # Logged in to another account mid-command: it does not run there; the one answer
        # says it was not executed, on the session it belongs to.
        start = len(host.lines)
        await host.send(op="fail_next", error=138, for_ms=3000)
        task = asyncio.ensure_future(client.command("execute_trade", BUY))
        await host.wait(lambda e: e.get("event") == "trade" and e.get("error") == 138, 20,
                        "a requoted OrderSend", start)
        await host.send(op="account", login=1111)
        _, reply = await task
        assert not reply["success"] and "not executed" in reply["error"]["message"], reply
        await host.wait(lambda e: e.get("event") == "log" and "agent id mt4-1111" in e["text"],
                        20, "the new account's agent", start)
        assert order_sends(host, start, ok=True) == []


async def test_busy_context_waited_out_and_a_late_order_found(tmp_path: Path) -> None:
    async with chain(tmp_path) as (host, client):
        await client.wait(of("snapshot"), 40, what="snapshot")
        await host.send(op="fail_next", error=146, for_ms=2000)
        t0 = time.monotonic()
        _, r = await client.command("execute_trade", BUY)
        assert r["success"], r  # another EA held the trade context for 2 s: we waited
        assert time.monotonic() - t0 >= 1.9
        assert [o["ticket"] for o in host.open_orders()] == [r["data"]["ticket"]]

        # The server placed it, the terminal said "timeout" (128), and the order shows up
        # 1.5 s later: the EA keeps looking and answers with that ticket.
        start = len(host.lines)
        await host.send(op="fail_next", error=128, executed=True, appear_after_ms=1500)
        _, late = await client.command("execute_trade", {**BUY, "comment": "late"})
        assert late["success"], late
        orders = host.open_orders()
        assert len(orders) == 2 and late["data"]["ticket"] == orders[1]["ticket"]
        assert len(order_sends(host, start, ok=False)) == 1  # never sent twice
        # The client resends the same request: the journal's answer, no second order.
        client._n -= 1
        _, again = await client.command("execute_trade", {**BUY, "comment": "late"})
        assert again["data"]["ticket"] == late["data"]["ticket"]
        assert order_sends(host, start, ok=True) == [] and len(host.open_orders()) == 2


async def test_market_execution_sets_stops_after_the_fill(tmp_path: Path) -> None:
    async with chain(tmp_path) as (host, client):
        await client.wait(of("snapshot"), 40, what="snapshot")
        await host.send(op="symbol", symbol="EURUSD", execution="market")
        stops = {"stop_loss": 1.095, "take_profit": 1.105}
        start = len(host.lines)
        _, r = await client.command("execute_trade", {**BUY, **stops})
        assert r["success"] and "stops_warning" not in r["data"], r
        assert (r["data"]["stop_loss"], r["data"]["take_profit"]) == (1.095, 1.105)
        [pos] = host.open_orders()
        assert (pos["ticket"], pos["sl"], pos["tp"]) == (r["data"]["ticket"], 1.095, 1.105)
        calls = [e["op"] for e in host.lines[start:] if e.get("event") == "trade"]
        assert calls == ["OrderSend", "OrderModify"], calls  # opened bare, then the stops

        # The stops cannot be set: the position is open all the same, and the reply says so.
        await host.send(op="fail_next", error=130, on="OrderModify")
        _, r = await client.command("execute_trade", {**BUY, **stops})
        assert r["success"], r
        assert "WITHOUT" in r["data"]["stops_warning"] and r["data"]["stop_loss"] == 0, r
        bare = next(o for o in host.open_orders() if o["ticket"] == r["data"]["ticket"])
        assert (bare["sl"], bare["tp"]) == (0, 0)


async def test_stale_server_clock_sends_no_wrong_times(tmp_path: Path) -> None:
    """Started on a "weekend": the last quote is two days old and the server runs at UTC+2.
    Until a fresh quote the EA sends no open times (rather than ones two days off), says so
    in hello and refuses expirations; then it learns +7200 and keeps it for the next start."""
    with run_gateway(tmp_path, []) as gw:
        write_config(tmp_path / "term", f"ws://127.0.0.1:{gw.port}/mt4", token=gw.token)
        host = EaHost(tmp_path / "term", ["--server-offset", "7200",
                                          "--last-quote-age", "172800"])
        ws = await connect(f"ws://127.0.0.1:{gw.port}/commands",
                           additional_headers={"Authorization": f"Bearer {gw.token}"})
        client = Client(ws)
        await host.start()
        try:
            _, hello = await client.wait(of("hello"), 40, what="hello")
            assert hello["data"]["server_time_known"] is False, hello
            assert "server_time_offset_s" not in hello["data"]
            await client.wait(of("snapshot"), 40, what="snapshot")
            opened = await host.manual("open", symbol="EURUSD", type="buy", lots=0.1)
            _, ev = await client.wait(of("position_opened", ticket=opened["ticket"]),
                                      what="position_opened")
            assert ev["data"].get("open_time") is None, ev
            _, r = await client.command("execute_trade", {
                "symbol": "EURUSD", "type": "buy_limit", "lots": 0.1, "price": 1.09,
                "expiration": "2030-01-01T00:00:00Z"})
            assert not r["success"] and r["error"]["code"] == "expiration_denied", r

            await host.send(op="quote", symbol="EURUSD", bid=1.1001, ask=1.10022)
            await host.wait(lambda e: e.get("event") == "log"
                            and "offset 7200 s measured" in e.get("text", ""), 20,
                            "the offset measured on a fresh quote")
            second = await host.manual("open", symbol="EURUSD", type="sell", lots=0.1)
            _, ev = await client.wait(of("position_opened", ticket=second["ticket"]),
                                      what="second position_opened")
            sent = datetime.fromisoformat(ev["data"]["open_time"].replace("Z", "+00:00"))
            assert abs((sent - datetime.now(UTC)).total_seconds()) < 120, ev
            saved = tmp_path / "term" / "MQL4" / "Files" / "MT4Companion" / "server-time.txt"
            assert saved.read_text(encoding="utf-8").strip() == "Demo-Server|7200"
        finally:
            await client.close()
            await host.stop()
