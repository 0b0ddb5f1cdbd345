"""The demo broker's MT4 rules, errors and events, with pinned prices and a fake clock.

EURUSD is pinned at 1.10000/1.10010 (stops level 10 points), USDJPY at 150.000/150.010,
XAUUSD at 2000.00/2000.30; the account has 10,000 USD at 1:100.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

import pytest

from gateway_core.demo.broker import Broker
from gateway_core.demo.market import Market, SymbolSpec
from gateway_core.demo.orders import (
    Account,
    BrokerError,
    Closed,
    Deleted,
    Opened,
    PartiallyClosed,
    PendingChanged,
    Placed,
    PositionChanged,
    Triggered,
)

from .conftest import FakeClock


def refused(code: int, fn: Callable[[], object]) -> BrokerError:
    with pytest.raises(BrokerError) as info:
        fn()
    assert info.value.mt4_code == code, info.value.message
    return info.value


# -- market orders ----------------------------------------------------------------------


def test_market_buy_fills_at_ask_and_sell_at_bid(broker: Broker) -> None:
    buy = broker.open("EURUSD", "buy", 0.1)
    sell = broker.open("EURUSD", "sell", 0.1)
    assert (buy.open_price, sell.open_price) == (1.10010, 1.10000)
    assert buy.ticket != sell.ticket
    events = broker.drain_events()
    assert [type(e) for e in events] == [Opened, Opened]
    # a buy is worth the bid, a sell costs the ask: both start one spread down
    assert buy.profit == pytest.approx(-1.0)
    assert sell.profit == pytest.approx(-1.0)


def test_requested_price_beyond_slippage_is_a_requote(broker: Broker) -> None:
    err = refused(138, lambda: broker.open("EURUSD", "buy", 0.1, price=1.10050, slippage=3))
    assert err.code == "requote"
    assert broker.positions() == []
    # within the slippage it fills at the market
    order = broker.open("EURUSD", "buy", 0.1, price=1.10012, slippage=3)
    assert order.open_price == 1.10010


def test_execution_jitter_requotes_only_beyond_slippage(make_broker: Callable[..., Broker]) -> None:
    broker = make_broker(execution_jitter_points=5)
    for _ in range(20):
        broker.open("EURUSD", "buy", 0.01, slippage=5)
    codes = []
    for _ in range(20):
        try:
            broker.open("EURUSD", "buy", 0.01, slippage=0)
        except BrokerError as exc:
            codes.append(exc.mt4_code)
    assert codes and set(codes) == {138}


@pytest.mark.parametrize(
    ("side", "sl", "tp"),
    [
        ("buy", 1.09995, 0.0),  # S/L 5 points under the bid: inside the stops level
        ("buy", 1.10005, 0.0),  # S/L above the bid: wrong side
        ("buy", 0.0, 1.10005),  # T/P 5 points over the bid
        ("buy", 0.0, 1.09900),  # T/P below: wrong side
        ("sell", 1.10015, 0.0),  # S/L 5 points over the ask
        ("sell", 0.0, 1.10005),  # T/P 5 points under the ask
        ("sell", 0.0, 1.10100),  # T/P above: wrong side
    ],
)
def test_stops_too_close_or_wrong_side_are_invalid_stops(
    broker: Broker, side: str, sl: float, tp: float
) -> None:
    err = refused(130, lambda: broker.open("EURUSD", side, 0.1, stop_loss=sl, take_profit=tp))  # type: ignore[arg-type]
    assert err.code == "invalid_stops"


def test_stops_exactly_at_the_stops_level_are_accepted(broker: Broker) -> None:
    buy = broker.open("EURUSD", "buy", 0.1, stop_loss=1.09990, take_profit=1.10010)
    sell = broker.open("EURUSD", "sell", 0.1, stop_loss=1.10020, take_profit=1.10000)
    assert (buy.stop_loss, buy.take_profit) == (1.09990, 1.10010)
    assert (sell.stop_loss, sell.take_profit) == (1.10020, 1.10000)


@pytest.mark.parametrize("lots", [0.001, 0.015, 100.01, 250.0])
def test_volume_off_the_lot_grid_is_invalid_volume(broker: Broker, lots: float) -> None:
    assert refused(131, lambda: broker.open("EURUSD", "buy", lots)).code == "invalid_volume"


def test_margin_beyond_free_margin_is_not_enough_money(make_broker: Callable[..., Broker]) -> None:
    broker = make_broker(balance=1000.0)
    # 1 lot EURUSD at 1:100 needs 100,000 EUR / 100 = 1,100 USD
    err = refused(134, lambda: broker.open("EURUSD", "buy", 1.0))
    assert err.code == "not_enough_money"
    broker.open("EURUSD", "buy", 0.5)
    assert broker.margin == pytest.approx(550.0)


def test_unknown_symbol(broker: Broker) -> None:
    assert refused(4106, lambda: broker.open("BTCUSD", "buy", 0.1)).code == "unknown_symbol"


def test_autotrading_off_refuses_ea_trades_but_not_manual_ones(broker: Broker) -> None:
    broker.trade_allowed = False
    assert refused(4109, lambda: broker.open("EURUSD", "buy", 0.1)).code == "trading_not_allowed"
    broker.open("EURUSD", "buy", 0.1, manual=True)


def test_market_closed(broker: Broker) -> None:
    broker.market_open = False
    assert refused(132, lambda: broker.open("EURUSD", "buy", 0.1)).code == "market_closed"


def test_injected_failures_hit_the_next_operations_only(broker: Broker) -> None:
    broker.fail_next(146, times=2)
    assert refused(146, lambda: broker.open("EURUSD", "buy", 0.1)).code == "trade_context_busy"
    refused(146, lambda: broker.open("EURUSD", "buy", 0.1))
    broker.open("EURUSD", "buy", 0.1)


# -- pending orders ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "good", "wrong_side", "too_close"),
    [
        ("buy_limit", 1.09900, 1.10100, 1.10005),
        ("sell_limit", 1.10100, 1.09900, 1.10005),
        ("buy_stop", 1.10100, 1.09900, 1.10015),
        ("sell_stop", 1.09900, 1.10100, 1.09995),
    ],
)
def test_pending_prices(
    broker: Broker, kind: str, good: float, wrong_side: float, too_close: float
) -> None:
    refused(130, lambda: broker.open("EURUSD", kind, 0.1, price=wrong_side))  # type: ignore[arg-type]
    refused(130, lambda: broker.open("EURUSD", kind, 0.1, price=too_close))  # type: ignore[arg-type]
    order = broker.open("EURUSD", kind, 0.1, price=good)  # type: ignore[arg-type]
    assert order.is_pending and order.open_price == good
    assert [type(e) for e in broker.drain_events()] == [Placed]
    assert broker.margin == 0.0  # pending orders hold no margin


def test_pending_needs_price_and_a_future_expiration(broker: Broker, clock: FakeClock) -> None:
    refused(3, lambda: broker.open("EURUSD", "buy_limit", 0.1))
    past = clock.now() - timedelta(minutes=1)
    refused(3, lambda: broker.open("EURUSD", "buy_limit", 0.1, price=1.099, expiration=past))


def test_pending_stops_are_checked_against_its_entry_price(broker: Broker) -> None:
    refused(130, lambda: broker.open("EURUSD", "buy_limit", 0.1, price=1.09900, stop_loss=1.09895))
    order = broker.open("EURUSD", "buy_limit", 0.1, price=1.09900, stop_loss=1.09800)
    assert order.stop_loss == 1.09800


@pytest.mark.parametrize(
    ("kind", "price", "bid", "side"),
    [
        ("buy_limit", 1.09900, 1.09890, "buy"),  # ask 1.09900 reaches the limit
        ("buy_stop", 1.10100, 1.10090, "buy"),  # ask 1.10100 reaches the stop
        ("sell_limit", 1.10100, 1.10100, "sell"),
        ("sell_stop", 1.09900, 1.09900, "sell"),
    ],
)
def test_pending_trigger_keeps_its_ticket(
    broker: Broker, kind: str, price: float, bid: float, side: str
) -> None:
    order = broker.open("EURUSD", kind, 0.1, price=price)  # type: ignore[arg-type]
    broker.drain_events()
    broker.update()
    assert broker.drain_events() == []  # not there yet
    broker.market.set_bid("EURUSD", bid)
    broker.update()
    events = broker.drain_events()
    assert [type(e) for e in events] == [Triggered]
    filled = events[0].order
    assert (filled.ticket, filled.type) == (order.ticket, side)
    assert [p.ticket for p in broker.positions()] == [order.ticket]
    assert broker.pending_orders() == []


def test_pending_expires(broker: Broker, clock: FakeClock) -> None:
    order = broker.open(
        "EURUSD", "buy_limit", 0.1, price=1.099, expiration=clock.now() + timedelta(hours=1)
    )
    broker.drain_events()
    clock.advance(3600)
    broker.update()
    events = broker.drain_events()
    assert len(events) == 1 and isinstance(events[0], Deleted)
    assert (events[0].order.ticket, events[0].reason) == (order.ticket, "expired")


def test_delete_pending_and_the_wrong_things(broker: Broker) -> None:
    pending = broker.open("EURUSD", "sell_stop", 0.1, price=1.099)
    position = broker.open("EURUSD", "buy", 0.1)
    broker.drain_events()
    assert refused(4108, lambda: broker.delete(position.ticket)).code == "invalid_ticket"
    refused(4108, lambda: broker.delete(999))
    refused(4108, lambda: broker.close(pending.ticket))
    broker.delete(pending.ticket)
    events = broker.drain_events()
    assert isinstance(events[0], Deleted) and events[0].reason == "cancelled"
    assert broker.pending_orders() == []


# -- S/L, T/P, closing ------------------------------------------------------------------


def test_stop_loss_hit_closes_at_the_market(broker: Broker) -> None:
    order = broker.open("EURUSD", "buy", 1.0, stop_loss=1.09900)
    broker.drain_events()
    broker.market.set_bid("EURUSD", 1.09890)
    broker.update()
    (event,) = broker.drain_events()
    assert isinstance(event, Closed)
    assert (event.order.ticket, event.reason, event.close_price) == (
        order.ticket,
        "stop_loss",
        1.09890,
    )
    assert event.profit == pytest.approx(-120.0)
    assert broker.account.balance == pytest.approx(9880.0)


def test_take_profit_hit_on_a_sell(broker: Broker) -> None:
    broker.open("EURUSD", "sell", 0.5, take_profit=1.09800)
    broker.drain_events()
    broker.market.set_bid("EURUSD", 1.09790)  # ask 1.09800
    broker.update()
    (event,) = broker.drain_events()
    assert isinstance(event, Closed) and event.reason == "take_profit"
    assert event.profit == pytest.approx(100.0)


def test_full_close(broker: Broker) -> None:
    order = broker.open("EURUSD", "buy", 0.2)
    broker.market.set_bid("EURUSD", 1.10110)
    result = broker.close(order.ticket)
    assert (result.close_price, result.closed_lots, result.new_ticket) == (1.10110, 0.2, None)
    assert result.profit == pytest.approx(20.0)
    assert broker.account.balance == pytest.approx(10_020.0)
    assert isinstance(broker.drain_events()[-1], Closed)


def test_partial_close_gives_the_remainder_a_new_ticket(make_broker: Callable[..., Broker]) -> None:
    broker = make_broker(commission_per_lot=7.0)
    order = broker.open("EURUSD", "buy", 0.3, stop_loss=1.09, magic_number=42)
    assert order.commission == pytest.approx(-2.1)
    broker.drain_events()
    result = broker.close(order.ticket, 0.1)
    assert result.new_ticket is not None and result.new_ticket != order.ticket
    assert broker.get(order.ticket) is None
    remainder = broker.get(result.new_ticket)
    assert remainder is not None
    assert remainder.lots == pytest.approx(0.2)
    assert remainder.comment == f"from #{order.ticket}"
    assert (remainder.open_price, remainder.stop_loss, remainder.magic_number) == (
        order.open_price,
        1.09,
        42,
    )
    assert remainder.commission == pytest.approx(-1.4)
    closed_part = broker.history[-1]
    assert (closed_part.ticket, closed_part.comment) == (order.ticket, f"to #{result.new_ticket}")
    assert closed_part.lots == pytest.approx(0.1)
    (event,) = broker.drain_events()
    assert isinstance(event, PartiallyClosed)
    assert (event.old_ticket, event.remainder.ticket) == (order.ticket, result.new_ticket)
    assert event.commission == pytest.approx(-0.7)


@pytest.mark.parametrize("lots", [0.35, 0.005, 0.015])
def test_partial_close_volume_errors(broker: Broker, lots: float) -> None:
    order = broker.open("EURUSD", "buy", 0.3)
    refused(131, lambda: broker.close(order.ticket, lots))
    assert broker.get(order.ticket) is not None


def test_partial_close_cannot_leave_less_than_the_minimum(clock: FakeClock) -> None:
    spec = SymbolSpec(
        name="EURUSD",
        digits=5,
        base="EUR",
        quote="USD",
        start_bid=1.1,
        spread_points=10,
        volatility=0.0,
        min_lot=0.1,
    )
    market = Market(random.Random(1), (spec,))
    broker = Broker(market, clock, random.Random(1), Account(1, "USD", 100, 10_000.0))
    order = broker.open("EURUSD", "buy", 0.15)
    refused(131, lambda: broker.close(order.ticket, 0.1))


def test_close_all_with_symbol_filter_leaves_pending_orders(broker: Broker) -> None:
    broker.open("EURUSD", "buy", 0.1)
    broker.open("EURUSD", "sell", 0.1)
    jpy = broker.open("USDJPY", "buy", 0.1)
    pending = broker.open("EURUSD", "buy_limit", 0.1, price=1.09)
    closed, failed = broker.close_all("EURUSD")
    assert len(closed) == 2 and failed == []
    assert {o.ticket for o in broker.positions()} == {jpy.ticket}
    assert [o.ticket for o in broker.pending_orders()] == [pending.ticket]
    closed, failed = broker.close_all()
    assert [r.ticket for r in closed] == [jpy.ticket]


def test_close_all_reports_each_failure(broker: Broker) -> None:
    a = broker.open("EURUSD", "buy", 0.1)
    broker.open("EURUSD", "buy", 0.1)
    broker.fail_next(146)
    closed, failed = broker.close_all()
    assert [t for t, _ in failed] == [a.ticket]
    assert failed[0][1].code == "trade_context_busy"
    assert len(closed) == 1


# -- modify -----------------------------------------------------------------------------


def test_modify_position(broker: Broker) -> None:
    order = broker.open("EURUSD", "buy", 0.1)
    broker.drain_events()
    broker.modify(order.ticket, stop_loss=1.09, take_profit=1.11)
    (event,) = broker.drain_events()
    assert isinstance(event, PositionChanged)
    assert (event.order.stop_loss, event.order.take_profit) == (1.09, 1.11)
    assert refused(1, lambda: broker.modify(order.ticket, stop_loss=1.09)).code == "no_change"
    refused(130, lambda: broker.modify(order.ticket, take_profit=1.10005))
    refused(3, lambda: broker.modify(order.ticket, price=1.2))
    refused(4108, lambda: broker.modify(123, stop_loss=1.0))
    # 0 removes a stop
    broker.modify(order.ticket, stop_loss=0.0)
    assert broker.get(order.ticket).stop_loss == 0.0  # type: ignore[union-attr]


def test_modify_pending(broker: Broker, clock: FakeClock) -> None:
    order = broker.open("EURUSD", "buy_stop", 0.1, price=1.10100)
    broker.drain_events()
    expiry = clock.now() + timedelta(hours=2)
    broker.modify(order.ticket, price=1.10200, stop_loss=1.10000, expiration=expiry)
    (event,) = broker.drain_events()
    assert isinstance(event, PendingChanged)
    assert (event.order.open_price, event.order.stop_loss, event.order.expiration) == (
        1.10200,
        1.10000,
        expiry,
    )
    refused(1, lambda: broker.modify(order.ticket, price=1.10200))
    refused(130, lambda: broker.modify(order.ticket, price=1.09000))  # a buy stop under the ask


# -- account ----------------------------------------------------------------------------


def test_account_figures(broker: Broker) -> None:
    broker.open("EURUSD", "buy", 1.0)
    broker.market.set_bid("EURUSD", 1.10510)
    broker.update()
    assert broker.profit == pytest.approx(500.0)
    assert broker.equity == pytest.approx(10_500.0)
    assert broker.margin == pytest.approx(100_000 * 1.10510 / 100)
    assert broker.margin_free == pytest.approx(broker.equity - broker.margin)
    assert broker.margin_level == pytest.approx(broker.equity / broker.margin * 100, abs=0.01)


def test_profit_and_margin_in_account_currency(broker: Broker) -> None:
    jpy = broker.open("USDJPY", "buy", 1.0)  # at 150.010
    gold = broker.open("XAUUSD", "buy", 1.0)  # at 2000.30
    broker.market.set_bid("USDJPY", 151.010)
    broker.market.set_bid("XAUUSD", 2010.30)
    broker.update()
    assert jpy.profit == pytest.approx(100_000 * 1.0 / 151.010, abs=0.01)
    assert gold.profit == pytest.approx(1000.0)
    # USD-based margin for USDJPY, XAU converted at the gold price
    assert broker.margin == pytest.approx(1000.0 + 100 * 2010.30 / 100, abs=0.01)


def test_stop_out_closes_the_worst_position(make_broker: Callable[..., Broker]) -> None:
    broker = make_broker(balance=2000.0)
    order = broker.open("EURUSD", "buy", 1.0)  # margin about 1,100
    broker.drain_events()
    broker.market.set_bid("EURUSD", 1.08600)  # -1,410: equity 590, level ~54%
    broker.update()
    assert broker.drain_events() == []
    broker.market.set_bid("EURUSD", 1.08500)  # -1,510: level ~45% < 50%
    broker.update()
    (event,) = broker.drain_events()
    assert isinstance(event, Closed)
    assert (event.order.ticket, event.reason) == (order.ticket, "stop_out")
