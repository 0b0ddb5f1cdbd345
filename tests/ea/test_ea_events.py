"""Hand-made trades in the terminal reach the gateway as events with the right tickets, prices
and profit."""

from __future__ import annotations

import pytest

from .harness import EaHost, FakeGateway, needs_host

pytestmark = [needs_host, pytest.mark.asyncio]


async def test_open_modify_partial_close_close(gateway: FakeGateway, ea: EaHost) -> None:
    ans = await ea.manual("open", symbol="EURUSD", type="buy", lots=0.3, comment="by hand")
    t = ans["ticket"]
    opened = await gateway.wait_type("position_opened", pred=lambda m: m["data"]["ticket"] == t)
    broker = {o["ticket"]: o for o in ea.open_orders()}
    d = opened["data"]
    assert d["type"] == "buy" and d["lots"] == 0.3 and d["symbol"] == "EURUSD"
    assert d["open_price"] == pytest.approx(broker[t]["open_price"])
    assert d["comment"] == "by hand"
    assert d["open_time"].endswith("Z")

    await ea.manual("modify", ticket=t, sl=1.09, tp=1.12)
    mod = await gateway.wait_type("position_modified")
    assert mod["data"] == {"ticket": t, "stop_loss": 1.09, "take_profit": 1.12}

    await ea.send(op="quote", symbol="EURUSD", bid=1.10200, ask=1.10212)
    upd = await gateway.wait_type(
        "positions_update",
        pred=lambda m: any(p["current_price"] == 1.102 for p in m["data"]["positions"]),
    )
    tick = next(p for p in upd["data"]["positions"] if p["ticket"] == t)
    assert tick["profit"] > 0
    await gateway.wait_type("account_update")

    await ea.manual("close", ticket=t, lots=0.1)
    part = await gateway.wait_type("position_partially_closed")
    p = part["data"]
    new = p["new_ticket"]
    assert p["ticket"] == t and new != t
    assert p["closed_lots"] == 0.1 and p["remaining_lots"] == 0.2
    hist = {o["ticket"]: o for o in await ea.history()}
    assert p["close_price"] == pytest.approx(hist[t]["close_price"])
    assert p["profit"] == pytest.approx(hist[t]["profit"], abs=0.01)
    assert new in {o["ticket"] for o in ea.open_orders()}
    # the remainder is not reported as a new position
    assert not any(
        m["type"] == "position_opened" and m["data"]["ticket"] == new for m in gateway.conn.messages
    )

    await ea.manual("close", ticket=new)
    closed = await gateway.wait_type("position_closed", pred=lambda m: m["data"]["ticket"] == new)
    hist = {o["ticket"]: o for o in await ea.history()}
    c = closed["data"]
    assert c["close_price"] == pytest.approx(hist[new]["close_price"])
    assert c["profit"] == pytest.approx(hist[new]["profit"], abs=0.01)
    assert c["net_profit"] == pytest.approx(c["profit"] + c["swap"] + c["commission"], abs=0.011)
    assert c["lots"] == 0.2 and c["reason"] == "manual"


async def test_pending_placed_modified_triggered_deleted(gateway: FakeGateway, ea: EaHost) -> None:
    a = await ea.manual("open", symbol="EURUSD", type="buy_limit", lots=0.1, price=1.09500)
    ta = a["ticket"]
    placed = await gateway.wait_type("order_placed", pred=lambda m: m["data"]["ticket"] == ta)
    assert placed["data"]["type"] == "buy_limit" and placed["data"]["price"] == 1.095

    await ea.manual("modify", ticket=ta, price=1.09600, sl=1.09, tp=0)
    om = await gateway.wait_type("order_modified")
    assert (
        om["data"]["ticket"] == ta
        and om["data"]["price"] == 1.096
        and om["data"]["stop_loss"] == 1.09
    )

    b = await ea.manual("open", symbol="EURUSD", type="sell_stop", lots=0.1, price=1.08000)
    tb = b["ticket"]
    await gateway.wait_type("order_placed", pred=lambda m: m["data"]["ticket"] == tb)

    await ea.send(op="quote", symbol="EURUSD", bid=1.09580, ask=1.09592)
    trig = await gateway.wait_type("order_triggered")
    assert trig["data"]["ticket"] == ta and trig["data"]["type"] == "buy"

    await ea.manual("delete", ticket=tb)
    deleted = await gateway.wait_type("order_deleted")
    assert deleted["data"] == {"ticket": tb, "reason": "cancelled"}


async def test_sl_hit_reports_reason(gateway: FakeGateway, ea: EaHost) -> None:
    a = await ea.manual("open", symbol="EURUSD", type="sell", lots=0.1, sl=1.10500)
    t = a["ticket"]
    await gateway.wait_type("position_opened", pred=lambda m: m["data"]["ticket"] == t)
    await ea.send(op="quote", symbol="EURUSD", bid=1.10600, ask=1.10612)
    closed = await gateway.wait_type("position_closed", pred=lambda m: m["data"]["ticket"] == t)
    assert closed["data"]["reason"] == "stop_loss"
    assert closed["data"]["profit"] < 0


async def test_subscribed_quotes(gateway: FakeGateway, ea: EaHost) -> None:
    reply = await gateway.command("subscribe_quotes", {"symbols": ["EURUSD", "USDJPY"]})
    assert reply["success"] is True and reply["command"] == "subscribe_quotes"
    await gateway.wait_type("quote", pred=lambda m: m["data"]["symbol"] == "USDJPY")
    await gateway.wait_type("symbol_info", pred=lambda m: m["data"]["symbol"] == "USDJPY")
    start = len(gateway.conn.messages)
    await ea.send(op="quote", symbol="USDJPY", bid=151.123, ask=151.135)
    q = await gateway.wait_type(
        "quote", start=start, pred=lambda m: m["data"]["symbol"] == "USDJPY"
    )
    assert q["data"]["bid"] == 151.123 and q["data"]["ask"] == 151.135
    bad = await gateway.command("subscribe_quotes", {"symbols": ["NOPE"]})
    assert bad["success"] is False and bad["error"]["code"] == "unknown_symbol"
