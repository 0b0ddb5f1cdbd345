"""Every command executed by the real EA, with success and failure replies."""

from __future__ import annotations

import pytest

from .harness import EaHost, FakeGateway, needs_host

pytestmark = [needs_host, pytest.mark.asyncio]


async def test_execute_trade_market_and_events(gateway: FakeGateway, ea: EaHost) -> None:
    reply = await gateway.command(
        "execute_trade",
        {
            "symbol": "EURUSD",
            "type": "buy",
            "lots": 0.1,
            "stop_loss": 1.09,
            "take_profit": 1.12,
            "comment": "from app",
            "magic_number": 42,
        },
    )
    assert reply["type"] == "trade_executed" and reply["success"] is True, reply
    d = reply["data"]
    orders = {o["ticket"]: o for o in ea.open_orders()}
    assert d["ticket"] in orders and d["lots"] == 0.1 and d["attempts"] == 1
    assert d["open_price"] == pytest.approx(orders[d["ticket"]]["open_price"])
    o = orders[d["ticket"]]
    assert o["magic"] == 42 and o["comment"].startswith("mc") and o["comment"].endswith("from app")
    assert len(o["comment"]) <= 31
    # the position_opened event went out before the reply
    msgs = gateway.conn.messages
    i_open = next(
        i
        for i, m in enumerate(msgs)
        if m["type"] == "position_opened" and m["data"]["ticket"] == d["ticket"]
    )
    i_reply = next(i for i, m in enumerate(msgs) if m.get("request_id") == reply["request_id"])
    assert i_open < i_reply


async def test_execute_pending_with_expiration(gateway: FakeGateway, ea: EaHost) -> None:
    reply = await gateway.command(
        "execute_trade",
        {
            "symbol": "EURUSD",
            "type": "sell_limit",
            "lots": 0.2,
            "price": 1.105,
            "expiration": "2099-01-01T00:00:00Z",
        },
    )
    assert reply["success"] is True, reply
    placed = await gateway.wait_type("order_placed")
    assert placed["data"]["ticket"] == reply["data"]["ticket"]
    assert placed["data"]["expiration"] == "2099-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"symbol": "EURUSD", "type": "buy", "lots": 0.001}, "invalid_volume"),
        ({"symbol": "EURUSD", "type": "buy", "lots": 0.015}, "invalid_volume"),
        ({"symbol": "EURUSD", "type": "buy", "lots": 1000}, "invalid_volume"),
        ({"symbol": "EURUSD", "type": "buy", "lots": 0.1, "stop_loss": 1.09995}, "invalid_stops"),
        ({"symbol": "EURUSD", "type": "sell", "lots": 0.1, "take_profit": 1.2}, "invalid_stops"),
        ({"symbol": "EURUSD", "type": "buy_limit", "lots": 0.1, "price": 1.2}, "invalid_stops"),
        ({"symbol": "NOPE", "type": "buy", "lots": 0.1}, "unknown_symbol"),
        ({"symbol": "EURUSD", "type": "buy_stop", "lots": 0.1}, "invalid_message"),
        ({"symbol": "EURUSD", "type": "hold", "lots": 0.1}, "invalid_message"),
        ({"symbol": "EURUSD", "type": "buy", "lots": "0.1"}, "invalid_message"),
    ],
)
async def test_execute_trade_refused_up_front(
    gateway: FakeGateway, ea: EaHost, data: dict[str, object], code: str
) -> None:
    reply = await gateway.command("execute_trade", data)
    assert reply["success"] is False, reply
    assert reply["error"]["code"] == code
    assert reply["error"]["message"]
    if code in ("invalid_volume", "invalid_stops"):
        assert reply["error"]["mt4_error"] is None
    assert ea.open_orders() == []


async def test_requote_is_retried_then_succeeds(gateway: FakeGateway, ea: EaHost) -> None:
    await ea.send(op="fail_next", error=138)
    reply = await gateway.command(
        "execute_trade", {"symbol": "EURUSD", "type": "sell", "lots": 0.1}
    )
    assert reply["success"] is True, reply
    assert reply["data"]["attempts"] == 2
    assert len(ea.open_orders()) == 1


async def test_trade_context_busy_gives_up(gateway: FakeGateway, ea: EaHost) -> None:
    await ea.send(op="fail_next", error=146, count=10)
    reply = await gateway.command("execute_trade", {"symbol": "EURUSD", "type": "buy", "lots": 0.1})
    assert reply["success"] is False
    assert reply["error"]["code"] == "trade_context_busy" and reply["error"]["mt4_error"] == 146
    assert ea.open_orders() == []


async def test_server_errors_map_to_codes(gateway: FakeGateway, ea: EaHost) -> None:
    await ea.send(op="fail_next", error=134)
    reply = await gateway.command("execute_trade", {"symbol": "EURUSD", "type": "buy", "lots": 0.1})
    assert reply["error"] == {
        "code": "not_enough_money",
        "message": reply["error"]["message"],
        "mt4_error": 134,
    }


async def test_modify_close_partial_delete_close_all(gateway: FakeGateway, ea: EaHost) -> None:
    r = await gateway.command("execute_trade", {"symbol": "EURUSD", "type": "buy", "lots": 0.3})
    t = r["data"]["ticket"]
    m = await gateway.command("modify_position", {"ticket": t, "stop_loss": 1.08})
    assert m["success"] is True and m["command"] == "modify_position", m
    o = {x["ticket"]: x for x in ea.open_orders()}[t]
    assert o["sl"] == pytest.approx(1.08) and o["tp"] == 0
    m2 = await gateway.command("modify_position", {"ticket": t, "take_profit": 1.15})
    assert m2["success"] is True
    o = {x["ticket"]: x for x in ea.open_orders()}[t]
    assert o["sl"] == pytest.approx(1.08) and o["tp"] == pytest.approx(1.15)
    same = await gateway.command("modify_position", {"ticket": t, "take_profit": 1.15})
    assert same["success"] is False and same["error"]["code"] == "no_change"
    bad = await gateway.command("modify_position", {"ticket": t, "stop_loss": 1.2})
    assert bad["success"] is False and bad["error"]["code"] == "invalid_stops"
    missing = await gateway.command("modify_position", {"ticket": 999999, "stop_loss": 1.0})
    assert missing["error"]["code"] == "invalid_ticket"

    c = await gateway.command("close_position", {"ticket": t, "lots": 0.1})
    assert c["success"] is True, c
    new = c["data"]["new_ticket"]
    assert c["data"]["closed_lots"] == 0.1 and c["data"]["remaining_lots"] == 0.2
    assert new in {x["ticket"] for x in ea.open_orders()}
    part = await gateway.wait_type("position_partially_closed")
    assert part["data"]["new_ticket"] == new
    too_much = await gateway.command("close_position", {"ticket": new, "lots": 5})
    assert too_much["error"]["code"] == "invalid_volume"

    p = await gateway.command(
        "execute_trade", {"symbol": "EURUSD", "type": "buy_stop", "lots": 0.1, "price": 1.11}
    )
    pt = p["data"]["ticket"]
    wrong = await gateway.command("close_position", {"ticket": pt})
    assert wrong["success"] is False and wrong["error"]["code"] == "invalid_ticket"
    d = await gateway.command("delete_order", {"ticket": pt})
    assert d["success"] is True and d["data"]["ticket"] == pt
    await gateway.wait_type("order_deleted", pred=lambda m: m["data"]["ticket"] == pt)

    await gateway.command("execute_trade", {"symbol": "USDJPY", "type": "sell", "lots": 0.1})
    await gateway.command(
        "execute_trade", {"symbol": "EURUSD", "type": "sell_limit", "lots": 0.1, "price": 1.12}
    )
    ca = await gateway.command("close_all", {"symbol": "EURUSD"})
    assert ca["success"] is True, ca
    assert len(ca["data"]["closed"]) == 2 and ca["data"]["failed"] == []
    left = ea.open_orders()
    assert [x["symbol"] for x in left] == ["USDJPY"]
    closed = await gateway.wait_type("position_closed", pred=lambda m: m["data"]["ticket"] == new)
    assert closed["data"]["reason"] == "gateway"
    ca2 = await gateway.command("close_all")
    assert ca2["success"] is True and ea.open_orders() == []


async def test_close_all_reports_failures(gateway: FakeGateway, ea: EaHost) -> None:
    await gateway.command("execute_trade", {"symbol": "EURUSD", "type": "buy", "lots": 0.1})
    await ea.send(op="fail_next", error=133)
    ca = await gateway.command("close_all", {})
    assert ca["success"] is False
    assert ca["error"]["code"] == "trade_disabled"
    assert len(ca["data"]["failed"]) == 1 and ca["data"]["closed"] == []


async def test_get_snapshot_sends_a_fresh_snapshot(gateway: FakeGateway, ea: EaHost) -> None:
    await ea.manual("open", symbol="GBPUSD", type="sell", lots=0.5)
    start = len(gateway.conn.messages)
    reply = await gateway.command("get_snapshot", {})
    assert reply["success"] is True and reply["command"] == "get_snapshot"
    snap = await gateway.wait_type("snapshot", start=start)
    assert [p["symbol"] for p in snap["data"]["positions"]] == ["GBPUSD"]


async def test_unparseable_command_gets_invalid_message(gateway: FakeGateway, ea: EaHost) -> None:
    start = len(gateway.conn.messages)
    await gateway.send('{"command":"execute_trade","request_id":"broken-1","data":{"symbol":')
    reply = await gateway.wait_msg(
        lambda m: m.get("request_id") == "broken-1", 10, "reply", start=start
    )
    assert reply["type"] == "trade_executed" and reply["error"]["code"] == "invalid_message"
    r2 = await gateway.command("close_position", {"ticket": 1, "extra": True})
    assert r2["error"]["code"] == "invalid_message"
    # garbage without a request id is only logged, and the EA goes on
    await gateway.send("not json at all")
    ok = await gateway.command("get_snapshot")
    assert ok["success"] is True


async def test_freeze_level_refused_up_front_and_slippage_in_pips(gateway: FakeGateway,
                                                                  ea: EaHost) -> None:
    start = len(ea.lines)
    r = await gateway.command("execute_trade", {"symbol": "EURUSD", "type": "buy", "lots": 0.1,
                                                "take_profit": 1.1002})
    assert r["success"], r
    send = next(e for e in ea.lines[start:] if e.get("event") == "trade")
    assert send["op"] == "OrderSend" and send["slippage"] == 30  # 3 pips on a 5-digit quote
    ticket = r["data"]["ticket"]
    await ea.send(op="symbol", symbol="EURUSD", freeze_level=50)  # the TP is 20 points away
    start = len(ea.lines)
    for command, data in (("close_position", {"ticket": ticket}),
                          ("modify_position", {"ticket": ticket, "stop_loss": 1.09})):
        r = await gateway.command(command, data)
        assert not r["success"] and r["error"]["code"] == "modification_too_close", r
        assert "freeze level" in r["error"]["message"]
    assert not [e for e in ea.lines[start:] if e.get("event") == "trade"]  # nothing was tried
    await ea.send(op="symbol", symbol="EURUSD", freeze_level=0)
    r = await gateway.command("close_position", {"ticket": ticket})
    assert r["success"], r
