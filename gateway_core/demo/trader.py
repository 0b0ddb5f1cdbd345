"""A pretend trader clicking around in the demo terminal.

Real terminals change under the gateway's feet: the trader opens and closes trades by hand,
and the EA reports them. This trader makes demo terminals do the same, so the desktop app and
the platform show live activity without anyone sending commands.
"""

from __future__ import annotations

import logging
import random

from ..protocol import OrderType
from .broker import Broker
from .market import SymbolSpec
from .orders import BrokerError, Order
from .rules import on_grid

log = logging.getLogger(__name__)

_LOT_CHOICES = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0)
_PENDING_TYPES: tuple[OrderType, ...] = ("buy_limit", "sell_limit", "buy_stop", "sell_stop")


class PretendTrader:
    def __init__(self, broker: Broker, rng: random.Random, *, max_orders: int = 6) -> None:
        self._broker = broker
        self._rng = rng
        self._max_orders = max_orders
        self._initial_balance = broker.account.balance

    def top_up(self) -> bool:
        """Refill a drained demo account once it is flat, like a demo server's top-up.

        A random trader pays the spread on every round trip, so a demo left running for
        days would otherwise end with an empty account and nothing left to show.
        """
        balance = self._broker.account.balance
        if balance >= 0.3 * self._initial_balance or self._broker.positions():
            return False
        self._broker.deposit(round(self._initial_balance - balance, 2))
        log.info("pretend trader: account topped up to %.2f", self._initial_balance)
        return True

    def act(self) -> str | None:
        """Do one random thing a trader might do; returns what was tried (for logs/tests)."""
        positions = self._broker.positions()
        pending = self._broker.pending_orders()
        total = len(positions) + len(pending)
        if total >= self._max_orders:
            choices = ["close", "partial", "delete"]
        elif not positions and not pending:
            choices = ["open", "open", "pending"]
        else:
            choices = ["open", "open", "close", "partial", "modify", "pending", "delete"]
        if self.top_up():
            return "top up"
        action = self._rng.choice(choices)
        try:
            match action:
                case "open":
                    return self._open()
                case "pending":
                    return self._place_pending()
                case "close" if positions:
                    return self._close(self._rng.choice(positions))
                case "partial" if positions:
                    return self._partial(self._rng.choice(positions))
                case "modify" if positions:
                    return self._modify(self._rng.choice(positions))
                case "delete" if pending:
                    order = self._rng.choice(pending)
                    self._broker.delete(order.ticket, manual=True)
                    return f"delete #{order.ticket}"
        except BrokerError as exc:
            # A trader sees the same errors a command would; they just try something else.
            log.debug("pretend trader: %s refused: %s", action, exc.message)
            return f"{action} refused ({exc.mt4_code})"
        return None

    def _spec(self) -> SymbolSpec:
        return self._rng.choice(list(self._broker.market.specs.values()))

    def _stops_away(self, spec: SymbolSpec) -> float:
        level = max(spec.stops_level, 10)
        return self._rng.randint(level * 3, level * 30) * spec.point

    def _open(self) -> str:
        spec = self._spec()
        side: OrderType = self._rng.choice(("buy", "sell"))
        lots = min(self._rng.choice(_LOT_CHOICES), spec.max_lot)
        sl = tp = 0.0
        if self._rng.random() < 0.5:
            market = self._broker.market
            ref = market.bid(spec.name) if side == "buy" else market.ask(spec.name)
            sign = 1 if side == "buy" else -1
            sl = ref - sign * self._stops_away(spec)
            tp = ref + sign * self._stops_away(spec)
        order = self._broker.open(
            spec.name,
            side,
            lots,
            stop_loss=sl,
            take_profit=tp,
            slippage=10,
            comment="manual",
            manual=True,
        )
        return f"open {side} {lots} {spec.name} #{order.ticket}"

    def _place_pending(self) -> str:
        spec = self._spec()
        kind = self._rng.choice(_PENDING_TYPES)
        market = self._broker.market
        away = self._stops_away(spec)
        is_buy = kind.startswith("buy")
        ref = market.ask(spec.name) if is_buy else market.bid(spec.name)
        below = kind in ("buy_limit", "sell_stop")
        price = ref - away if below else ref + away
        order = self._broker.open(
            spec.name,
            kind,
            min(self._rng.choice(_LOT_CHOICES), spec.max_lot),
            price=price,
            comment="manual",
            manual=True,
        )
        return f"place {kind} {spec.name} @ {order.open_price} #{order.ticket}"

    def _close(self, order: Order) -> str:
        self._broker.close(order.ticket, slippage=10, manual=True)
        return f"close #{order.ticket}"

    def _partial(self, order: Order) -> str:
        spec = self._broker.market.spec(order.symbol)
        if order.lots < 2 * spec.min_lot - 1e-9:
            return self._close(order)
        lots = on_grid(order.lots / 2, spec.lot_step)
        result = self._broker.close(order.ticket, lots, slippage=10, manual=True)
        return f"partial close {lots} of #{order.ticket} -> #{result.new_ticket}"

    def _modify(self, order: Order) -> str:
        spec = self._broker.market.spec(order.symbol)
        sign = 1 if order.is_buy else -1
        ref = order.current_price
        self._broker.modify(
            order.ticket,
            stop_loss=ref - sign * self._stops_away(spec),
            take_profit=ref + sign * self._stops_away(spec),
            manual=True,
        )
        return f"modify #{order.ticket}"
