"""Long seeded runs: the pretend trader, the random walk, and what the gateway would rebuild."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from gateway_core.demo.market import Market
from gateway_core.demo.terminal import DemoTerminal, TerminalConfig
from gateway_core.protocol import AgentMessage

from .conftest import FakeClock, drain

MakeTerminal = Callable[..., DemoTerminal]


def simulate(terminal: DemoTerminal, clock: FakeClock, seconds: float) -> list[AgentMessage]:
    terminal.connect()
    out = drain(terminal)
    for _ in range(round(seconds / 0.1)):
        clock.advance(0.1)
        terminal.poll()
        out += drain(terminal)
    return out


def rebuild(messages: list[AgentMessage]) -> tuple[dict[int, Any], dict[int, Any], Any]:
    """Fold events into open positions, pending orders and account, as a gateway would."""
    positions: dict[int, Any] = {}
    pending: dict[int, Any] = {}
    account: Any = None
    for m in messages:
        match m.type:
            case "snapshot":
                positions = {p.ticket: p for p in m.data.positions}
                pending = {p.ticket: p for p in m.data.pending_orders}
                account = m.data.account
            case "position_opened" | "order_triggered":
                pending.pop(m.data.ticket, None)
                positions[m.data.ticket] = m.data
            case "position_closed":
                del positions[m.data.ticket]
            case "position_partially_closed":
                old = positions.pop(m.data.ticket)
                positions[m.data.new_ticket] = old.model_copy(
                    update={"ticket": m.data.new_ticket, "lots": m.data.remaining_lots}
                )
            case "position_modified":
                positions[m.data.ticket] = positions[m.data.ticket].model_copy(
                    update={"stop_loss": m.data.stop_loss, "take_profit": m.data.take_profit}
                )
            case "order_placed":
                pending[m.data.ticket] = m.data
            case "order_modified":
                pending[m.data.ticket] = pending[m.data.ticket].model_copy(
                    update={"price": m.data.price, "stop_loss": m.data.stop_loss}
                )
            case "order_deleted":
                del pending[m.data.ticket]
            case "account_update":
                account = m.data
    return positions, pending, account


def test_pretend_trader_events_rebuild_the_broker_state(
    make_terminal: MakeTerminal, clock: FakeClock
) -> None:
    terminal = make_terminal(frozen=False, manual_trade_rate=1.0, seed=3)
    messages = simulate(terminal, clock, 600.0)
    counts = Counter(m.type for m in messages)
    for kind in (
        "position_opened",
        "position_closed",
        "position_partially_closed",
        "position_modified",
        "order_placed",
        "order_deleted",
        "positions_update",
        "account_update",
        "heartbeat",
    ):
        assert counts[kind] > 0, (kind, counts)
    positions, pending, account = rebuild(messages)
    broker = terminal.broker
    assert sorted(positions) == sorted(o.ticket for o in broker.positions())
    assert sorted(pending) == sorted(o.ticket for o in broker.pending_orders())
    for order in broker.positions():
        seen = positions[order.ticket]
        assert (seen.lots, seen.stop_loss, seen.take_profit) == pytest.approx(
            (order.lots, order.stop_loss, order.take_profit)
        )
    assert account.balance == pytest.approx(broker.account.balance)


def test_no_manual_trades_unless_asked(make_terminal: MakeTerminal, clock: FakeClock) -> None:
    terminal = make_terminal(frozen=False)
    counts = Counter(m.type for m in simulate(terminal, clock, 120.0))
    assert set(counts) == {"hello", "snapshot", "symbol_info", "heartbeat"}


def test_same_seed_same_frames() -> None:
    def frames(seed: int) -> list[str]:
        clock = FakeClock()
        config = TerminalConfig(agent_id="demo-1", login=5000001, manual_trade_rate=1.0)
        terminal = DemoTerminal(config, clock=clock, rng=random.Random(seed))
        terminal.connect()
        out = terminal.data_to_send()
        for _ in range(300):
            clock.advance(0.1)
            terminal.poll()
            out += terminal.data_to_send()
        return out

    assert frames(5) == frames(5)
    assert frames(5) != frames(6)


def test_random_walk_stays_on_the_price_grid_and_near_its_start() -> None:
    market = Market(random.Random(11))
    for _ in range(20_000):  # about 83 minutes of 250 ms ticks
        market.step(0.25)
    for name, spec in market.specs.items():
        bid, ask = market.bid(name), market.ask(name)
        assert round(bid, spec.digits) == bid
        assert ask - bid >= spec.spread_points * spec.point - 1e-9
        assert abs(bid / spec.start_bid - 1) < 0.05


def test_drained_account_is_topped_up_once_flat(
    make_terminal: MakeTerminal, clock: FakeClock
) -> None:
    terminal = make_terminal(manual_trade_rate=1000.0)  # act on every tick
    terminal.connect()
    drain(terminal)
    terminal.broker.deposit(-9000.0)
    terminal.broker.open("EURUSD", "buy", 0.01)
    assert terminal.trader.top_up() is False  # not while a position is open
    terminal.broker.close_all()
    drain(terminal)
    assert terminal.trader.act() == "top up"
    assert terminal.broker.account.balance == 10_000.0
    clock.advance(1.0)
    terminal.poll()
    updates = [m for m in drain(terminal) if m.type == "account_update"]
    assert updates and updates[-1].data.balance == 10_000.0
