"""One demo terminal, messages in and messages out, on a fake clock with pinned prices.

Every frame the terminal produces goes through `parse_agent_message` (see `drain`), so each
test also checks that what it sent is valid protocol.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from gateway_core.demo.terminal import DemoTerminal
from gateway_core.protocol import PROTOCOL_VERSION, AgentMessage

from .conftest import FakeClock, drain, reply_of, send, types

MakeTerminal = Callable[..., DemoTerminal]


def open_buy(terminal: DemoTerminal, lots: float = 0.3, rid: str = "open", **extra: Any) -> int:
    reply = reply_of(
        send(terminal, "execute_trade", rid, symbol="EURUSD", type="buy", lots=lots, **extra)
    )
    assert reply.success, reply.error
    return int(reply.data.ticket)


def run(
    terminal: DemoTerminal, clock: FakeClock, seconds: float, step: float = 0.05
) -> list[AgentMessage]:
    out: list[AgentMessage] = []
    for _ in range(round(seconds / step)):
        clock.advance(step)
        terminal.poll()
        out += drain(terminal)
    return out


# -- connecting -------------------------------------------------------------------------


def test_connect_sends_hello_snapshot_then_symbol_info(make_terminal: MakeTerminal) -> None:
    terminal = make_terminal()
    terminal.connect()
    messages = drain(terminal)
    assert types(messages) == ["hello", "snapshot"] + ["symbol_info"] * 4
    hello = messages[0]
    assert hello.type == "hello"
    assert hello.data.agent_id == "demo-1"
    assert hello.data.account_login == 5000001
    assert (hello.data.server, hello.data.company) == ("Demo-Server", "MT4 Companion Demo")
    assert hello.data.protocol_version == PROTOCOL_VERSION
    snapshot = messages[1]
    assert snapshot.type == "snapshot"
    assert snapshot.data.account.balance == 10_000.0
    infos = {m.data.symbol: m.data for m in messages[2:] if m.type == "symbol_info"}
    assert {s: i.digits for s, i in infos.items()} == {
        "EURUSD": 5,
        "GBPUSD": 5,
        "USDJPY": 3,
        "XAUUSD": 2,
    }
    assert infos["XAUUSD"].contract_size == 100.0
    assert infos["EURUSD"].point == pytest.approx(0.00001)


def test_reconnect_snapshot_carries_open_orders(terminal: DemoTerminal) -> None:
    ticket = open_buy(terminal)
    reply_of(
        send(
            terminal, "execute_trade", "p", symbol="EURUSD", type="buy_limit", lots=0.1, price=1.09
        )
    )
    terminal.disconnect()
    terminal.connect()
    snapshot = drain(terminal)[1]
    assert snapshot.type == "snapshot"
    assert [p.ticket for p in snapshot.data.positions] == [ticket]
    assert [p.type for p in snapshot.data.pending_orders] == ["buy_limit"]
    assert snapshot.data.account.margin > 0


def test_nothing_is_sent_while_disconnected(terminal: DemoTerminal, clock: FakeClock) -> None:
    terminal.disconnect()
    assert run(terminal, clock, 10.0) == []


# -- execute_trade ----------------------------------------------------------------------


def test_market_order_reports_the_position_then_replies(terminal: DemoTerminal) -> None:
    messages = send(
        terminal,
        "execute_trade",
        "r1",
        symbol="EURUSD",
        type="buy",
        lots=0.1,
        stop_loss=1.09,
        magic_number=7,
        comment="hi",
    )
    assert types(messages) == ["position_opened", "account_update", "trade_executed"]
    opened, account, reply = messages
    assert reply.request_id == "r1" and reply.success
    assert reply.data.ticket == opened.data.ticket
    assert reply.data.open_price == opened.data.open_price == 1.10010
    assert (opened.data.magic_number, opened.data.comment, opened.data.stop_loss) == (7, "hi", 1.09)
    assert account.data.margin == pytest.approx(110.0)


@pytest.mark.parametrize(
    ("data", "code", "mt4"),
    [
        ({"type": "buy", "lots": 0.1, "price": 1.2, "slippage": 3}, "requote", 138),
        ({"type": "buy", "lots": 0.1, "stop_loss": 1.09999}, "invalid_stops", 130),
        ({"type": "buy_stop", "lots": 0.1, "price": 1.0}, "invalid_stops", 130),
        ({"type": "buy", "lots": 0.015}, "invalid_volume", 131),
        ({"type": "buy", "lots": 50}, "not_enough_money", 134),
        ({"type": "buy", "lots": 0.1, "symbol": "BTCUSD"}, "unknown_symbol", 4106),
    ],
)
def test_trade_failures_carry_code_and_mt4_number(
    terminal: DemoTerminal, data: dict[str, Any], code: str, mt4: int
) -> None:
    messages = send(terminal, "execute_trade", "r1", **{"symbol": "EURUSD", **data})
    assert types(messages) == ["trade_executed"]
    reply = messages[0]
    assert not reply.success and reply.data is None
    assert (reply.error.code, reply.error.mt4_error) == (code, mt4)
    assert reply.error.message


def test_injected_failure_and_autotrading_off(terminal: DemoTerminal) -> None:
    terminal.broker.fail_next(146)
    reply = reply_of(send(terminal, "execute_trade", "a", symbol="EURUSD", type="buy", lots=0.1))
    assert reply.error.code == "trade_context_busy"
    terminal.broker.trade_allowed = False
    reply = reply_of(send(terminal, "execute_trade", "b", symbol="EURUSD", type="buy", lots=0.1))
    assert reply.error.code == "trading_not_allowed"


def test_duplicate_request_id_trades_once(terminal: DemoTerminal) -> None:
    first = send(terminal, "execute_trade", "dup", symbol="EURUSD", type="buy", lots=0.1)
    again = send(terminal, "execute_trade", "dup", symbol="EURUSD", type="buy", lots=0.1)
    assert types(again) == ["trade_executed"]
    assert again[0] == first[-1]
    assert len(terminal.broker.positions()) == 1
    # a failed trade is not retried either: its failure is the answer
    terminal.broker.fail_next(146)
    failed = reply_of(
        send(terminal, "execute_trade", "dup2", symbol="EURUSD", type="buy", lots=0.1)
    )
    assert (
        reply_of(send(terminal, "execute_trade", "dup2", symbol="EURUSD", type="buy", lots=0.1))
        == failed
    )
    assert len(terminal.broker.positions()) == 1
    # a close retried with the same id does not close a second time
    ticket = first[0].data.ticket
    closed = reply_of(send(terminal, "close_position", "c", ticket=ticket))
    assert (
        reply_of(send(terminal, "close_position", "c", ticket=ticket)) == closed and closed.success
    )


def test_non_trade_commands_run_again(terminal: DemoTerminal) -> None:
    assert types(send(terminal, "get_snapshot", "s")) == ["snapshot", "command_result"]
    assert types(send(terminal, "get_snapshot", "s")) == ["snapshot", "command_result"]


def test_pending_order_then_trigger_keeps_ticket(terminal: DemoTerminal, clock: FakeClock) -> None:
    messages = send(
        terminal, "execute_trade", "p", symbol="EURUSD", type="buy_stop", lots=0.1, price=1.10100
    )
    assert types(messages) == ["order_placed", "trade_executed"]
    ticket = messages[1].data.ticket
    assert messages[0].data.ticket == ticket and messages[1].data.type == "buy_stop"
    terminal.market.set_bid("EURUSD", 1.10095)
    out = run(terminal, clock, 0.3)
    triggered = [m for m in out if m.type == "order_triggered"]
    assert len(triggered) == 1
    assert (triggered[0].data.ticket, triggered[0].data.type) == (ticket, "buy")
    assert "account_update" in types(out)


def test_stop_loss_hit_is_reported(terminal: DemoTerminal, clock: FakeClock) -> None:
    ticket = open_buy(terminal, stop_loss=1.09900)
    terminal.market.set_bid("EURUSD", 1.09800)
    out = run(terminal, clock, 0.3)
    closed = [m for m in out if m.type == "position_closed"]
    assert len(closed) == 1
    data = closed[0].data
    assert (data.ticket, data.reason, data.close_price) == (ticket, "stop_loss", 1.09800)
    assert data.net_profit == pytest.approx(data.profit + data.commission + data.swap)


# -- modify, close, delete --------------------------------------------------------------


def test_modify_position(terminal: DemoTerminal) -> None:
    ticket = open_buy(terminal)
    messages = send(
        terminal, "modify_position", "m", ticket=ticket, stop_loss=1.095, take_profit=1.11
    )
    assert types(messages) == ["position_modified", "command_result"]
    assert (messages[0].data.stop_loss, messages[0].data.take_profit) == (1.095, 1.11)
    reply = messages[1]
    assert reply.success and reply.command == "modify_position" and reply.data["ticket"] == ticket
    same = reply_of(send(terminal, "modify_position", "m2", ticket=ticket, stop_loss=1.095))
    assert (same.error.code, same.error.mt4_error) == ("no_change", 1)
    bad = reply_of(send(terminal, "modify_position", "m3", ticket=ticket, stop_loss=1.1))
    assert bad.error.code == "invalid_stops"
    gone = reply_of(send(terminal, "modify_position", "m4", ticket=4242, stop_loss=1.0))
    assert (gone.command, gone.error.code) == ("modify_position", "invalid_ticket")


def test_modify_pending(terminal: DemoTerminal, clock: FakeClock) -> None:
    placed = send(
        terminal, "execute_trade", "p", symbol="EURUSD", type="sell_limit", lots=0.1, price=1.102
    )
    ticket = placed[-1].data.ticket
    expiry = (clock.now() + timedelta(hours=1)).isoformat()
    messages = send(terminal, "modify_position", "m", ticket=ticket, price=1.103, expiration=expiry)
    assert types(messages) == ["order_modified", "command_result"]
    assert messages[0].data.price == 1.103 and messages[0].data.expiration is not None


def test_close_position_whole(terminal: DemoTerminal) -> None:
    ticket = open_buy(terminal)
    terminal.market.set_bid("EURUSD", 1.10100)
    messages = send(terminal, "close_position", "c", ticket=ticket)
    assert types(messages) == ["position_closed", "account_update", "command_result"]
    closed, account, reply = messages
    assert (closed.data.ticket, closed.data.reason) == (ticket, "gateway")
    assert closed.data.profit == pytest.approx(27.0)
    assert account.data.balance == pytest.approx(10_027.0)
    assert reply.data == {
        "ticket": ticket,
        "close_price": 1.101,
        "closed_lots": 0.3,
        "profit": 27.0,
    }


def test_partial_close(terminal: DemoTerminal) -> None:
    ticket = open_buy(terminal, lots=0.3)
    messages = send(terminal, "close_position", "c", ticket=ticket, lots=0.1)
    assert types(messages) == ["position_partially_closed", "account_update", "command_result"]
    event, _, reply = messages
    new_ticket = reply.data["new_ticket"]
    assert new_ticket != ticket
    assert (event.data.ticket, event.data.new_ticket) == (ticket, new_ticket)
    assert (event.data.closed_lots, event.data.remaining_lots) == (0.1, pytest.approx(0.2))
    snapshot = send(terminal, "get_snapshot", "s")[0]
    (remainder,) = snapshot.data.positions
    assert (remainder.ticket, remainder.comment) == (new_ticket, f"from #{ticket}")
    assert terminal.broker.history[-1].comment == f"to #{new_ticket}"
    too_much = reply_of(send(terminal, "close_position", "c2", ticket=new_ticket, lots=0.5))
    assert too_much.error.code == "invalid_volume"


def test_remainder_of_a_partial_close_gets_its_own_live_figures(
    terminal: DemoTerminal, clock: FakeClock
) -> None:
    ticket = open_buy(terminal, lots=0.3)
    new_ticket = reply_of(send(terminal, "close_position", "c", ticket=ticket, lots=0.1)).data[
        "new_ticket"
    ]
    updates = [m for m in run(terminal, clock, 1.0) if m.type == "positions_update"]
    ticks = [t for u in updates for t in u.data.positions]
    assert [t.ticket for t in ticks] == [new_ticket]
    assert ticks[0].profit == pytest.approx(-2.0)  # 0.2 lots one spread down


def test_close_all_with_symbol_filter(terminal: DemoTerminal) -> None:
    a = open_buy(terminal, rid="a")
    b = open_buy(terminal, rid="b")
    reply_of(send(terminal, "execute_trade", "j", symbol="USDJPY", type="sell", lots=0.1))
    messages = send(terminal, "close_all", "all", symbol="EURUSD")
    assert types(messages) == [
        "position_closed",
        "position_closed",
        "account_update",
        "command_result",
    ]
    reply = messages[-1]
    assert reply.success and reply.command == "close_all"
    assert sorted(c["ticket"] for c in reply.data["closed"]) == sorted([a, b])
    assert reply.data["failed"] == []
    assert [p.symbol for p in terminal.broker.positions()] == ["USDJPY"]


def test_close_all_partial_failure(terminal: DemoTerminal) -> None:
    a = open_buy(terminal, rid="a")
    open_buy(terminal, rid="b")
    terminal.broker.fail_next(146)
    reply = reply_of(send(terminal, "close_all", "all"))
    assert not reply.success and reply.error.code == "trade_context_busy"
    assert [f["ticket"] for f in reply.data["failed"]] == [a]
    assert len(reply.data["closed"]) == 1


def test_delete_order(terminal: DemoTerminal) -> None:
    placed = send(
        terminal, "execute_trade", "p", symbol="XAUUSD", type="sell_stop", lots=0.1, price=1990.0
    )
    ticket = placed[-1].data.ticket
    messages = send(terminal, "delete_order", "d", ticket=ticket)
    assert types(messages) == ["order_deleted", "command_result"]
    assert (messages[0].data.ticket, messages[0].data.reason) == (ticket, "cancelled")
    assert messages[1].success and messages[1].data == {"ticket": ticket}
    again = reply_of(send(terminal, "delete_order", "d2", ticket=ticket))
    assert (again.error.code, again.error.mt4_error) == ("invalid_ticket", 4108)


# -- quotes, snapshot -------------------------------------------------------------------


def test_subscribe_quotes(make_terminal: MakeTerminal, clock: FakeClock) -> None:
    terminal = make_terminal(frozen=False)
    terminal.connect()
    drain(terminal)
    messages = send(terminal, "subscribe_quotes", "q", symbols=["EURUSD", "XAUUSD"])
    assert types(messages) == ["quote", "quote", "command_result"]
    assert messages[-1].data == {"symbols": ["EURUSD", "XAUUSD"]}
    quotes = [m for m in run(terminal, clock, 5.0) if m.type == "quote"]
    assert quotes and {q.data.symbol for q in quotes} <= {"EURUSD", "XAUUSD"}
    assert all(q.data.ask > q.data.bid for q in quotes)
    bad = reply_of(send(terminal, "subscribe_quotes", "q2", symbols=["EURUSD", "NOPE"]))
    assert (bad.success, bad.error.code) == (False, "unknown_symbol")
    assert terminal.subscriptions == {"EURUSD", "XAUUSD"}
    reply_of(send(terminal, "subscribe_quotes", "q3", symbols=[]))
    assert [m for m in run(terminal, clock, 2.0) if m.type == "quote"] == []


def test_get_snapshot(terminal: DemoTerminal) -> None:
    ticket = open_buy(terminal)
    messages = send(terminal, "get_snapshot", "s")
    assert types(messages) == ["snapshot", "command_result"]
    assert [p.ticket for p in messages[0].data.positions] == [ticket]
    assert messages[1].data == {"positions": 1, "pending_orders": 0}


# -- bad input --------------------------------------------------------------------------


def test_invalid_command_with_request_id_gets_a_failed_reply(terminal: DemoTerminal) -> None:
    raw = {
        "command": "execute_trade",
        "request_id": "bad",
        "data": {"symbol": "EURUSD", "type": "buy"},
    }
    terminal.receive_text(json.dumps(raw))
    reply = reply_of(drain(terminal))
    assert (reply.type, reply.request_id, reply.error.code) == (
        "trade_executed",
        "bad",
        "invalid_message",
    )
    raw = {"command": "close_position", "request_id": "bad2", "data": {}}
    terminal.receive_text(json.dumps(raw))
    reply = reply_of(drain(terminal))
    assert (reply.type, reply.command, reply.success) == ("command_result", "close_position", False)


@pytest.mark.parametrize(
    "raw", ["not json", '{"command": "launch_rockets", "request_id": "x"}', "[]"]
)
def test_unanswerable_input_is_dropped(terminal: DemoTerminal, raw: str) -> None:
    terminal.receive_text(raw)
    assert drain(terminal) == []


def test_expired_command_is_not_executed(terminal: DemoTerminal, clock: FakeClock) -> None:
    raw = {
        "command": "execute_trade",
        "request_id": "late",
        "expires_at": (clock.now() - timedelta(seconds=1)).isoformat(),
        "data": {"symbol": "EURUSD", "type": "buy", "lots": 0.1},
    }
    terminal.receive_text(json.dumps(raw))
    assert reply_of(drain(terminal)).error.code == "command_expired"
    assert terminal.broker.positions() == []


# -- periodic output --------------------------------------------------------------------


def test_heartbeat_interval(make_terminal: MakeTerminal, clock: FakeClock) -> None:
    terminal = make_terminal()
    terminal.connect()
    drain(terminal)
    beats = [m for m in run(terminal, clock, 21.0) if m.type == "heartbeat"]
    assert len(beats) == 4
    assert beats[0].agent_id == "demo-1" and beats[0].status == "connected"
    fast = make_terminal(heartbeat_interval=1.0)
    fast.connect()
    drain(fast)
    assert sum(m.type == "heartbeat" for m in run(fast, clock, 10.5)) == 10


def test_positions_update_is_throttled_and_only_changed_tickets(
    terminal: DemoTerminal, clock: FakeClock
) -> None:
    eur = open_buy(terminal)
    reply_of(send(terminal, "execute_trade", "j", symbol="USDJPY", type="buy", lots=0.1))
    updates: list[AgentMessage] = []
    for i in range(40):  # EURUSD moves every 50 ms for 2 s, USDJPY stays put
        terminal.market.set_bid("EURUSD", 1.10000 + (i + 1) * 0.00001)
        clock.advance(0.05)
        terminal.poll()
        updates += [m for m in drain(terminal) if m.type == "positions_update"]
    assert 3 <= len(updates) <= 5  # at most one per 500 ms
    for update in updates:
        assert [p.ticket for p in update.data.positions] == [eur]
    # prices are re-read on each market tick (250 ms), so the last update may lag by one
    assert 1.10025 <= updates[-1].data.positions[0].current_price <= 1.10040


def test_account_update_only_on_change(terminal: DemoTerminal, clock: FakeClock) -> None:
    assert [m for m in run(terminal, clock, 3.0) if m.type == "account_update"] == []
    open_buy(terminal)
    assert [m for m in run(terminal, clock, 3.0) if m.type == "account_update"] == []
    terminal.market.set_bid("EURUSD", 1.10200)
    out = [m for m in run(terminal, clock, 3.0) if m.type == "account_update"]
    assert len(out) == 1 and out[0].data.equity == pytest.approx(10_000 + 57.0)
