"""At most once: repeated request ids, restarts between OrderSend and the reply, recovery of
journal entries left in "sending"."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest

from .harness import LOGIN, EaHost, FakeGateway, needs_host

pytestmark = [needs_host, pytest.mark.asyncio]

BUY = {"symbol": "EURUSD", "type": "buy", "lots": 0.1}


def journal_path(sandbox: Path) -> Path:
    return sandbox / "MQL4" / "Files" / "MT4Companion" / f"journal-mt4-{LOGIN}.txt"


def tag_of(rid: str) -> str:
    return "mc" + hashlib.md5(rid.encode()).hexdigest()[:8]


async def test_same_request_twice_trades_once(gateway: FakeGateway, ea: EaHost) -> None:
    first = await gateway.command("execute_trade", BUY, rid="dup-1")
    again = await gateway.command("execute_trade", BUY, rid="dup-1")
    assert first["success"] is True
    assert again == first
    assert len(ea.open_orders()) == 1


async def test_repeat_while_in_flight_gets_one_reply(gateway: FakeGateway, ea: EaHost) -> None:
    await ea.send(op="fail_next", error=138)  # keeps the first one busy for a retry
    msg = json.dumps({"command": "execute_trade", "request_id": "dup-2", "data": BUY})
    await gateway.send(msg)
    await gateway.send(msg)
    await gateway.wait_msg(lambda m: m.get("request_id") == "dup-2", 20, "the reply")
    await gateway.command("get_snapshot")  # a barrier: anything for dup-2 came before
    await gateway.command("get_snapshot")
    replies = [m for m in gateway.conn.messages if m.get("request_id") == "dup-2"]
    assert len(replies) == 1 and replies[0]["success"] is True
    assert len(ea.open_orders()) == 1


async def test_restart_between_send_and_reply_trades_at_most_once(
    gateway: FakeGateway, ea: EaHost
) -> None:
    msg = json.dumps({"command": "execute_trade", "request_id": "restart-1", "data": BUY})
    await gateway.send(msg)
    await ea.send(op="restart_ea")
    conn2 = await gateway.wait_conn(2, timeout=30)
    await gateway.wait_msg(lambda m: m.get("type") == "snapshot", 20, "snapshot", conn=conn2)
    start = len(conn2.messages)
    await gateway.send(msg)  # the gateway retries the same request
    reply = await gateway.wait_msg(
        lambda m: m.get("request_id") == "restart-1", 20, "reply", conn=conn2, start=start
    )
    orders = ea.open_orders()
    assert len(orders) <= 1
    assert reply["success"] is (len(orders) == 1)
    if orders:
        assert reply["data"]["ticket"] == orders[0]["ticket"]
    again = await gateway.command("execute_trade", BUY, rid="restart-1")
    assert again["success"] == reply["success"]
    assert len(ea.open_orders()) == len(orders)


async def test_sending_entry_with_placed_order_is_answered_after_restart(
    gateway: FakeGateway, ea: EaHost
) -> None:
    rid = "lost-reply-1"
    tag = tag_of(rid)
    # The EA wrote "sending", OrderSend reached the server, then the terminal died.
    ans = await ea.manual("open", symbol="EURUSD", type="buy", lots=0.1, comment=tag + " mine")
    ticket = ans["ticket"]
    entry = {
        "command": "execute_trade",
        "tag": tag,
        "symbol": "EURUSD",
        "type": "buy",
        "lots": 0.1,
        "magic": 0,
    }
    with journal_path(ea.sandbox).open("a", encoding="utf-8") as f:
        f.write(f"{rid}|sending|{int(time.time())}|{json.dumps(entry)}\n")
    await ea.send(op="restart_ea")
    conn2 = await gateway.wait_conn(2, timeout=30)
    reply = await gateway.wait_msg(
        lambda m: m.get("request_id") == rid, 20, "the recovered reply", conn=conn2
    )
    assert reply["success"] is True and reply["data"]["ticket"] == ticket
    again = await gateway.command("execute_trade", BUY, rid=rid)
    assert again["success"] is True and again["data"]["ticket"] == ticket
    assert len(ea.open_orders()) == 1


async def test_sending_entry_without_order_is_not_resent(gateway: FakeGateway, ea: EaHost) -> None:
    rid = "never-placed-1"
    entry = {
        "command": "execute_trade",
        "tag": tag_of(rid),
        "symbol": "EURUSD",
        "type": "sell",
        "lots": 0.1,
        "magic": 0,
    }
    with journal_path(ea.sandbox).open("a", encoding="utf-8") as f:
        f.write(f"{rid}|sending|{int(time.time())}|{json.dumps(entry)}\n")
    await ea.send(op="restart_ea")
    conn2 = await gateway.wait_conn(2, timeout=30)
    reply = await gateway.wait_msg(
        lambda m: m.get("request_id") == rid, 20, "the recovered reply", conn=conn2
    )
    assert reply["success"] is False and "not executed" in reply["error"]["message"]
    again = await gateway.command(
        "execute_trade", {"symbol": "EURUSD", "type": "sell", "lots": 0.1}, rid=rid
    )
    assert again["success"] is False
    assert ea.open_orders() == []


async def test_journal_records_sending_before_done(gateway: FakeGateway, ea: EaHost) -> None:
    r = await gateway.command("execute_trade", BUY, rid="journal-1")
    lines = journal_path(ea.sandbox).read_text(encoding="utf-8").splitlines()
    mine = [ln.split("|", 3) for ln in lines if ln.startswith("journal-1|")]
    assert [x[1] for x in mine] == ["sending", "done"]
    assert json.loads(mine[1][3]) == r
