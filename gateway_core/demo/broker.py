"""An MT4-like trade server for the demo terminals.

It applies the rules a real MT4 broker applies, with the same error numbers, so clients meet
the same failures in the demo as in production: requotes when the price moved beyond the
slippage, invalid stops inside the stops level, invalid volume off the lot grid, not enough
money for the margin, error 1 for a modify that changes nothing, and MT4's partial-close
ticket rule. Every change is appended as a BrokerEvent for the terminal to report.
"""

from __future__ import annotations

import logging
import random
from collections import deque
from dataclasses import dataclass, replace
from datetime import datetime

from ..protocol import PENDING_TYPES, OrderType
from . import rules
from .clock import Clock
from .market import Market, SymbolSpec
from .orders import (
    ERR_INVALID_TICKET,
    ERR_INVALID_TRADE_PARAMETERS,
    ERR_INVALID_VOLUME,
    ERR_MARKET_CLOSED,
    ERR_NO_CHANGE,
    ERR_NOT_ENOUGH_MONEY,
    ERR_REQUOTE,
    ERR_TOO_MANY_ORDERS,
    ERR_TRADE_DISABLED,
    ERR_TRADE_NOT_ALLOWED,
    ERR_UNKNOWN_SYMBOL,
    Account,
    BrokerError,
    BrokerEvent,
    Closed,
    CloseReason,
    CloseResult,
    Deleted,
    DeleteReason,
    Opened,
    Order,
    PartiallyClosed,
    PendingChanged,
    Placed,
    PositionChanged,
    Triggered,
)

log = logging.getLogger(__name__)

_EPS = rules.LOT_EPS


@dataclass(frozen=True, slots=True)
class BrokerConfig:
    execution_jitter_points: int = 0
    """How far (points, either way) the price may move between request and fill. Beyond the
    request's slippage that is a requote (138). 0 fills exactly at the quote."""
    commission_per_lot: float = 0.0
    """Charged when a position opens (negative, like MT4 shows it); split on partial close."""
    stop_out_level: float = 50.0
    """Margin level (%) below which the broker closes the worst position."""
    max_orders: int = 200
    first_ticket: int = 10_000_001


class Broker:
    """One trading account on a simulated MT4 server. No I/O, no awaits."""

    def __init__(
        self,
        market: Market,
        clock: Clock,
        rng: random.Random,
        account: Account,
        config: BrokerConfig | None = None,
    ) -> None:
        self.market = market
        self.account = account
        self.config = config or BrokerConfig()
        self._clock = clock
        self._rng = rng
        self._orders: dict[int, Order] = {}
        self._next_ticket = self.config.first_ticket
        self._events: list[BrokerEvent] = []
        self._failures: deque[int] = deque()
        self.history: deque[Order] = deque(maxlen=1000)
        """Closed and deleted orders, newest last (closed part of a partial close included)."""
        self.trade_allowed = True
        """MT4's AutoTrading button: off refuses EA trades with 4109; manual trades go on."""
        self.market_open = True

    # -- test hooks ----------------------------------------------------------------------

    def fail_next(self, mt4_code: int, times: int = 1) -> None:
        """Make the next `times` EA trade operations fail with `mt4_code` (e.g. 146)."""
        self._failures.extend([mt4_code] * times)

    def deposit(self, amount: float) -> None:
        """A balance operation (demo top-up); reported by the next account_update."""
        self.account.balance = round(self.account.balance + amount, 2)

    # -- queries -------------------------------------------------------------------------

    def drain_events(self) -> list[BrokerEvent]:
        events, self._events = self._events, []
        return events

    def get(self, ticket: int) -> Order | None:
        return self._orders.get(ticket)

    def positions(self) -> list[Order]:
        return [o for o in self._orders.values() if not o.is_pending]

    def pending_orders(self) -> list[Order]:
        return [o for o in self._orders.values() if o.is_pending]

    @property
    def profit(self) -> float:
        return round(sum(o.profit for o in self._orders.values() if not o.is_pending), 2)

    @property
    def equity(self) -> float:
        floating = sum(
            o.profit + o.swap + o.commission for o in self._orders.values() if not o.is_pending
        )
        return round(self.account.balance + self.account.credit + floating, 2)

    @property
    def margin(self) -> float:
        return round(sum(self._margin_for(o.symbol, o.lots) for o in self.positions()), 2)

    @property
    def margin_free(self) -> float:
        return round(self.equity - self.margin, 2)

    @property
    def margin_level(self) -> float:
        margin = self.margin
        return round(self.equity / margin * 100.0, 2) if margin > 0 else 0.0

    # -- trade operations (OrderSend / OrderClose / OrderModify / OrderDelete) -------------

    def open(
        self,
        symbol: str,
        order_type: OrderType,
        lots: float,
        *,
        price: float | None = None,
        stop_loss: float = 0.0,
        take_profit: float = 0.0,
        slippage: int = 3,
        magic_number: int = 0,
        comment: str = "",
        expiration: datetime | None = None,
        manual: bool = False,
    ) -> Order:
        """OrderSend: a market position, or a pending order when `order_type` is pending."""
        self._precheck(manual)
        spec = self._spec(symbol)
        self._check_tradeable(spec)
        rules.check_volume(spec, lots)
        if len(self._orders) >= self.config.max_orders:
            raise BrokerError(ERR_TOO_MANY_ORDERS)
        sl, tp = spec.normalize(stop_loss), spec.normalize(take_profit)
        now = self._clock.now()
        if order_type in PENDING_TYPES:
            if price is None or price <= 0:
                raise BrokerError(ERR_INVALID_TRADE_PARAMETERS, "a pending order needs a price")
            entry = spec.normalize(price)
            self._check_pending_price(spec, order_type, entry)
            rules.check_stops(spec, order_type in ("buy_limit", "buy_stop"), entry, sl, tp)
            if expiration is not None and expiration <= now:
                raise BrokerError(ERR_INVALID_TRADE_PARAMETERS, "expiration is in the past")
            order = Order(
                ticket=self._new_ticket(),
                symbol=symbol,
                type=order_type,
                lots=lots,
                open_price=entry,
                open_time=now,
                stop_loss=sl,
                take_profit=tp,
                magic_number=magic_number,
                comment=comment,
                expiration=expiration,
            )
            self._orders[order.ticket] = order
            self._events.append(Placed(replace(order)))
            return order
        is_buy = order_type == "buy"
        quote = self.market.ask(symbol) if is_buy else self.market.bid(symbol)
        fill = self._fill_price(spec, quote, price, slippage)
        # MT4 checks a position's stops against the price it would close at.
        close_side = self.market.bid(symbol) if is_buy else self.market.ask(symbol)
        rules.check_stops(spec, is_buy, close_side, sl, tp)
        if self._margin_for(symbol, lots) > self.margin_free + _EPS:
            raise BrokerError(
                ERR_NOT_ENOUGH_MONEY,
                f"needs {self._margin_for(symbol, lots):.2f} margin, "
                f"free margin is {self.margin_free:.2f}",
            )
        order = Order(
            ticket=self._new_ticket(),
            symbol=symbol,
            type=order_type,
            lots=lots,
            open_price=fill,
            open_time=now,
            stop_loss=sl,
            take_profit=tp,
            magic_number=magic_number,
            comment=comment,
            commission=-round(self.config.commission_per_lot * lots, 2),
        )
        self._orders[order.ticket] = order
        self._refresh(order)
        self._events.append(Opened(replace(order)))
        return order

    def close(
        self,
        ticket: int,
        lots: float | None = None,
        *,
        slippage: int = 3,
        manual: bool = False,
    ) -> CloseResult:
        """OrderClose, whole or partial. A partial close gives the remainder a new ticket."""
        self._precheck(manual)
        order = self._position(ticket)
        spec = self._spec(order.symbol)
        self._check_tradeable(spec)
        close_lots = order.lots if lots is None else lots
        partial = close_lots < order.lots - _EPS
        if lots is not None:
            rules.check_volume(spec, lots)
            if lots > order.lots + _EPS:
                raise BrokerError(
                    ERR_INVALID_VOLUME, f"cannot close {lots} lots of a {order.lots} lot position"
                )
        remaining = rules.on_grid(order.lots - close_lots, spec.lot_step)
        if partial and remaining < spec.min_lot - _EPS:
            raise BrokerError(
                ERR_INVALID_VOLUME, f"the remaining {remaining} lots would be under the minimum"
            )
        quote = self.market.bid(order.symbol) if order.is_buy else self.market.ask(order.symbol)
        price = self._fill_price(spec, quote, None, slippage)
        reason: CloseReason = "manual" if manual else "gateway"
        if not partial:
            profit = self._close_whole(order, price, reason)
            return CloseResult(ticket, order.symbol, price, order.lots, profit)
        return self._close_part(order, spec, close_lots, remaining, price)

    def close_all(
        self, symbol: str | None = None, *, slippage: int = 3, manual: bool = False
    ) -> tuple[list[CloseResult], list[tuple[int, BrokerError]]]:
        """Close every position (of `symbol` if given); pending orders stay, as in MT4."""
        closed: list[CloseResult] = []
        failed: list[tuple[int, BrokerError]] = []
        for order in self.positions():
            if symbol is not None and order.symbol != symbol:
                continue
            try:
                closed.append(self.close(order.ticket, slippage=slippage, manual=manual))
            except BrokerError as exc:
                failed.append((order.ticket, exc))
        return closed, failed

    def delete(self, ticket: int, *, manual: bool = False) -> Order:
        """OrderDelete: only pending orders can be deleted."""
        self._precheck(manual)
        order = self._orders.get(ticket)
        if order is None:
            raise BrokerError(ERR_INVALID_TICKET, f"no open order #{ticket}")
        if not order.is_pending:
            raise BrokerError(ERR_INVALID_TICKET, f"#{ticket} is a position: close it instead")
        self._check_tradeable(self._spec(order.symbol))
        self._remove_pending(order, "cancelled")
        return order

    def modify(
        self,
        ticket: int,
        *,
        stop_loss: float | None = None,
        take_profit: float | None = None,
        price: float | None = None,
        expiration: datetime | None = None,
        manual: bool = False,
    ) -> Order:
        """OrderModify. None keeps a value; 0 removes a stop. Nothing changed is error 1."""
        self._precheck(manual)
        order = self._orders.get(ticket)
        if order is None:
            raise BrokerError(ERR_INVALID_TICKET, f"no open order #{ticket}")
        spec = self._spec(order.symbol)
        self._check_tradeable(spec)
        sl = order.stop_loss if stop_loss is None else spec.normalize(stop_loss)
        tp = order.take_profit if take_profit is None else spec.normalize(take_profit)
        if not order.is_pending:
            if price is not None and spec.normalize(price) != order.open_price:
                raise BrokerError(
                    ERR_INVALID_TRADE_PARAMETERS, "the open price of a position cannot change"
                )
            if sl == order.stop_loss and tp == order.take_profit:
                raise BrokerError(ERR_NO_CHANGE)
            close_side = (
                self.market.bid(order.symbol) if order.is_buy else self.market.ask(order.symbol)
            )
            rules.check_stops(spec, order.is_buy, close_side, sl, tp)
            order.stop_loss, order.take_profit = sl, tp
            self._events.append(PositionChanged(replace(order)))
            return order
        entry = order.open_price if price is None else spec.normalize(price)
        exp = order.expiration if expiration is None else expiration
        if (entry, sl, tp, exp) == (
            order.open_price,
            order.stop_loss,
            order.take_profit,
            order.expiration,
        ):
            raise BrokerError(ERR_NO_CHANGE)
        self._check_pending_price(spec, order.type, entry)
        rules.check_stops(spec, order.is_buy, entry, sl, tp)
        if exp is not None and exp <= self._clock.now():
            raise BrokerError(ERR_INVALID_TRADE_PARAMETERS, "expiration is in the past")
        order.open_price, order.stop_loss, order.take_profit, order.expiration = (
            entry,
            sl,
            tp,
            exp,
        )
        self._events.append(PendingChanged(replace(order)))
        return order

    # -- the server side: prices moved ---------------------------------------------------

    def update(self) -> None:
        """Re-price positions; fire pending orders, S/L, T/P, expirations and stop out."""
        now = self._clock.now()
        for order in list(self._orders.values()):
            if order.is_pending:
                if order.expiration is not None and now >= order.expiration:
                    self._remove_pending(order, "expired")
                elif rules.pending_reached(
                    order, self.market.bid(order.symbol), self.market.ask(order.symbol)
                ):
                    self._trigger(order)
                continue
            self._refresh(order)
            hit = rules.stop_hit(order)
            if hit is not None:
                self._close_whole(order, order.current_price, hit)
        self._stop_out()

    # -- internals -----------------------------------------------------------------------

    def _new_ticket(self) -> int:
        ticket = self._next_ticket
        self._next_ticket += 1
        return ticket

    def _precheck(self, manual: bool) -> None:
        # A trader clicking in the terminal is not subject to AutoTrading, and test-injected
        # failures are meant for the commands under test, not for the pretend trader.
        if manual:
            return
        if self._failures:
            raise BrokerError(self._failures.popleft(), "injected failure")
        if not self.trade_allowed:
            raise BrokerError(ERR_TRADE_NOT_ALLOWED)

    def _spec(self, symbol: str) -> SymbolSpec:
        try:
            return self.market.spec(symbol)
        except KeyError:
            raise BrokerError(ERR_UNKNOWN_SYMBOL, symbol) from None

    def _position(self, ticket: int) -> Order:
        order = self._orders.get(ticket)
        if order is None:
            raise BrokerError(ERR_INVALID_TICKET, f"no open order #{ticket}")
        if order.is_pending:
            raise BrokerError(ERR_INVALID_TICKET, f"#{ticket} is a pending order: delete it")
        return order

    def _check_tradeable(self, spec: SymbolSpec) -> None:
        if not spec.trade_allowed:
            raise BrokerError(ERR_TRADE_DISABLED, spec.name)
        if not self.market_open:
            raise BrokerError(ERR_MARKET_CLOSED, spec.name)

    def _check_pending_price(self, spec: SymbolSpec, order_type: str, entry: float) -> None:
        rules.check_pending_price(
            spec, order_type, entry, self.market.bid(spec.name), self.market.ask(spec.name)
        )

    def _fill_price(
        self, spec: SymbolSpec, quote: float, requested: float | None, slippage: int
    ) -> float:
        """Where the order fills; a requote when that is beyond `slippage` of what was asked."""
        reference = spec.normalize(requested) if requested else quote
        jitter = self.config.execution_jitter_points
        fill = quote
        if jitter:
            fill = spec.normalize(quote + self._rng.randint(-jitter, jitter) * spec.point)
        if abs(fill - reference) / spec.point > slippage + 1e-6:
            raise BrokerError(ERR_REQUOTE, f"asked {reference}, market is {fill}")
        return fill

    def _margin_for(self, symbol: str, lots: float) -> float:
        spec = self.market.spec(symbol)
        units = lots * spec.contract_size / max(self.account.leverage, 1)
        return self.market.to_account(units, spec.base, self.account.currency)

    def _profit_for(self, order: Order, price: float, lots: float) -> float:
        spec = self.market.spec(order.symbol)
        diff = price - order.open_price if order.is_buy else order.open_price - price
        amount = diff * lots * spec.contract_size
        return round(self.market.to_account(amount, spec.quote, self.account.currency), 2)

    def _refresh(self, order: Order) -> None:
        order.current_price = (
            self.market.bid(order.symbol) if order.is_buy else self.market.ask(order.symbol)
        )
        order.profit = self._profit_for(order, order.current_price, order.lots)

    def _close_whole(self, order: Order, price: float, reason: CloseReason) -> float:
        profit = self._profit_for(order, price, order.lots)
        del self._orders[order.ticket]
        self.account.balance = round(
            self.account.balance + profit + order.commission + order.swap, 2
        )
        closed = replace(order, current_price=price, profit=profit)
        self.history.append(closed)
        self._events.append(Closed(closed, price, profit, self._clock.now(), reason))
        return profit

    def _close_part(
        self, order: Order, spec: SymbolSpec, lots: float, remaining: float, price: float
    ) -> CloseResult:
        share = lots / order.lots
        commission = round(order.commission * share, 2)
        swap = round(order.swap * share, 2)
        profit = self._profit_for(order, price, lots)
        new_ticket = self._new_ticket()
        remainder = replace(
            order,
            ticket=new_ticket,
            lots=remaining,
            comment=f"from #{order.ticket}",
            commission=round(order.commission - commission, 2),
            swap=round(order.swap - swap, 2),
        )
        closed_part = replace(
            order,
            lots=lots,
            comment=f"to #{new_ticket}",
            commission=commission,
            swap=swap,
            current_price=price,
            profit=profit,
        )
        del self._orders[order.ticket]
        self._orders[new_ticket] = remainder
        self._refresh(remainder)
        self.history.append(closed_part)
        self.account.balance = round(self.account.balance + profit + commission + swap, 2)
        self._events.append(
            PartiallyClosed(
                order.ticket,
                replace(remainder),
                lots,
                price,
                profit,
                commission,
                swap,
                self._clock.now(),
            )
        )
        return CloseResult(order.ticket, order.symbol, price, lots, profit, new_ticket)

    def _remove_pending(self, order: Order, reason: DeleteReason) -> None:
        del self._orders[order.ticket]
        self.history.append(order)
        self._events.append(Deleted(replace(order), reason))

    def _trigger(self, order: Order) -> None:
        """A pending order fills at the market and becomes a position with the same ticket."""
        if self._margin_for(order.symbol, order.lots) > self.margin_free + _EPS:
            # MT4 servers delete a pending order that cannot be covered when it fires.
            log.info("pending #%s cancelled on trigger: not enough money", order.ticket)
            self._remove_pending(order, "cancelled")
            return
        is_buy = order.is_buy
        order.type = "buy" if is_buy else "sell"
        order.open_price = (
            self.market.ask(order.symbol) if is_buy else self.market.bid(order.symbol)
        )
        order.open_time = self._clock.now()
        order.expiration = None
        order.commission = -round(self.config.commission_per_lot * order.lots, 2)
        self._refresh(order)
        self._events.append(Triggered(replace(order)))

    def _stop_out(self) -> None:
        while True:
            positions = self.positions()
            if not positions or self.margin <= 0 or self.margin_level >= self.config.stop_out_level:
                return
            worst = min(positions, key=lambda o: o.profit)
            log.info(
                "stop out at margin level %.1f%%: closing #%s", self.margin_level, worst.ticket
            )
            self._close_whole(worst, worst.current_price, "stop_out")
