"""Messages in, state out: what the trader would see for one terminal."""

from __future__ import annotations

import json
from typing import Any

from gateway_core.clock import ManualClock
from gateway_core.protocol import EVENT, Event
from gateway_core.state import AgentRegistry, AgentState

from ..protocol.samples import ACCOUNT, EVENTS, PENDING, POSITION, TS


def ev(raw: dict[str, Any]) -> Event:
    return EVENT.validate_json(json.dumps(raw))


def opened(ticket: int, **kw: Any) -> Event:
    return ev({"type": "position_opened", "timestamp": TS,
               "data": {**POSITION, "ticket": ticket, **kw}})


def fresh() -> AgentState:
    state = AgentState("mt4-123")
    state.apply(ev(EVENTS["snapshot"]))
    return state


def test_snapshot_replaces_everything() -> None:
    state = AgentState("a")
    state.apply(opened(1))
    state.apply(ev(EVENTS["snapshot"]))
    assert set(state.positions) == {1001}
    assert set(state.pending_orders) == {1002}
    assert state.account is not None and state.account.balance == 10000.0
    assert state.synced


def test_open_modify_close() -> None:
    state = fresh()
    state.apply(opened(2000, lots=0.3))
    assert state.positions[2000].lots == 0.3
    state.apply(ev({"type": "position_modified", "timestamp": TS,
                    "data": {"ticket": 2000, "stop_loss": 1.05, "take_profit": 1.2}}))
    assert (state.positions[2000].stop_loss, state.positions[2000].take_profit) == (1.05, 1.2)
    state.apply(ev({"type": "position_closed", "timestamp": TS,
                    "data": {"ticket": 2000, "close_price": 1.1, "profit": 1, "net_profit": 1}}))
    assert 2000 not in state.positions


def test_partial_close_moves_remainder_to_new_ticket() -> None:
    state = fresh()
    state.apply(ev(EVENTS["position_partially_closed"]))
    assert 1001 not in state.positions
    rest = state.positions[1003]
    assert rest.lots == 0.06
    assert rest.open_price == POSITION["open_price"]
    assert rest.comment == "from #1001"


def test_pending_order_life_cycle() -> None:
    state = AgentState("a")
    state.apply(ev({"type": "order_placed", "timestamp": TS, "data": {**PENDING, "ticket": 7}}))
    assert 7 in state.pending_orders
    state.apply(ev({"type": "order_modified", "timestamp": TS,
                    "data": {"ticket": 7, "price": 1.26, "stop_loss": 0, "take_profit": 0}}))
    assert state.pending_orders[7].price == 1.26
    state.apply(ev({"type": "order_triggered", "timestamp": TS,
                    "data": {**POSITION, "ticket": 7}}))
    assert 7 not in state.pending_orders
    assert state.positions[7].type == "buy"
    state.apply(ev({"type": "order_placed", "timestamp": TS, "data": {**PENDING, "ticket": 8}}))
    state.apply(ev({"type": "order_deleted", "timestamp": TS, "data": {"ticket": 8}}))
    assert 8 not in state.pending_orders


def test_positions_update_changes_live_profit_only() -> None:
    state = fresh()
    state.apply(ev({"type": "positions_update", "timestamp": TS, "data": {"positions": [
        {"ticket": 1001, "current_price": 1.2, "profit": 999.0, "swap": -1.0},
        {"ticket": 424242, "current_price": 1.2, "profit": 1.0}]}}))
    pos = state.positions[1001]
    assert (pos.current_price, pos.profit, pos.swap) == (1.2, 999.0, -1.0)
    assert pos.open_price == POSITION["open_price"]
    assert 424242 not in state.positions


def test_account_quote_symbol_hello() -> None:
    state = AgentState("a")
    for name in ("hello", "account_update", "quote", "symbol_info", "heartbeat"):
        state.apply(ev(EVENTS[name]))
    assert state.hello is not None and state.hello.account_login == 123
    assert state.account is not None and state.account.equity == ACCOUNT["equity"]
    assert state.quotes["EURUSD"].ask == 1.1002
    assert state.symbols["EURUSD"].lot_step == 0.01
    assert state.last_heartbeat is not None


def test_snapshot_of_state_reflects_events() -> None:
    state = fresh()
    state.apply(opened(3000))
    snap = state.snapshot(ManualClock().now())
    assert snap is not None
    assert {p.ticket for p in snap.data.positions} == {1001, 3000}
    assert snap.agent_id == "mt4-123"


def test_registry_life_cycle_and_staleness() -> None:
    clock = ManualClock()
    reg = AgentRegistry(clock, heartbeat_interval=5.0)
    n = reg.connected("a")
    assert (n.status, reg.active_count()) == ("connected", 1)
    clock.advance(14.9)
    assert reg.check_stale() == []
    clock.advance(0.2)
    notices = reg.check_stale()
    assert [x.status for x in notices] == ["stale"]
    assert reg.check_stale() == []  # reported once
    back = reg.received("a", ev(EVENTS["heartbeat"]))
    assert back is not None and back.status == "connected"
    gone = reg.disconnected("a", "closed")
    assert gone is not None and gone.status == "disconnected"
    assert reg.active_count() == 0
    assert reg.disconnected("a", "again") is None


def test_registry_uses_the_eas_own_heartbeat_interval() -> None:
    clock = ManualClock()
    reg = AgentRegistry(clock, heartbeat_interval=5.0)
    reg.connected("a")
    hello = json.loads(json.dumps(EVENTS["hello"]))
    hello["data"]["heartbeat_interval_ms"] = 1000
    reg.received("a", ev(hello))
    clock.advance(3.1)
    assert [x.status for x in reg.check_stale()] == ["stale"]
