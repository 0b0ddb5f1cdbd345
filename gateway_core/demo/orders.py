"""The demo broker's records (orders, account) and the changes it reports.

Kept apart from the wire models on purpose: the broker behaves like an MT4 trade server and
knows nothing about JSON; the terminal translates its changes into protocol events, the way
the real EA translates what it sees in the order pool.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from ..protocol import ErrorCode, OrderType, mt4_error

# MT4 error numbers the demo broker raises (see gateway_core/protocol/errors.py for names).
ERR_NO_CHANGE = 1
ERR_INVALID_TRADE_PARAMETERS = 3
ERR_INVALID_PRICE = 129
ERR_INVALID_STOPS = 130
ERR_INVALID_VOLUME = 131
ERR_MARKET_CLOSED = 132
ERR_TRADE_DISABLED = 133
ERR_NOT_ENOUGH_MONEY = 134
ERR_REQUOTE = 138
ERR_TRADE_CONTEXT_BUSY = 146
ERR_TOO_MANY_ORDERS = 148
ERR_UNKNOWN_SYMBOL = 4106
ERR_INVALID_TICKET = 4108
ERR_TRADE_NOT_ALLOWED = 4109


class BrokerError(Exception):
    """A refused trade operation, carrying MT4's error number like GetLastError()."""

    def __init__(self, mt4_code: int, detail: str = "") -> None:
        name, text = mt4_error(mt4_code)
        self.mt4_code = mt4_code
        self.code: ErrorCode = name
        self.message = f"{text}: {detail}" if detail else text
        super().__init__(self.message)


@dataclass(slots=True)
class Order:
    """One entry of MT4's order pool: a market position or a pending order."""

    ticket: int
    symbol: str
    type: OrderType
    lots: float
    open_price: float
    """Fill price of a position; the entry price of a pending order."""
    open_time: datetime
    stop_loss: float = 0.0
    take_profit: float = 0.0
    magic_number: int = 0
    comment: str = ""
    expiration: datetime | None = None
    commission: float = 0.0
    swap: float = 0.0
    # Live values, refreshed by the broker on every price change (positions only).
    current_price: float = 0.0
    profit: float = 0.0

    @property
    def is_pending(self) -> bool:
        return self.type not in ("buy", "sell")

    @property
    def is_buy(self) -> bool:
        return self.type in ("buy", "buy_limit", "buy_stop")


@dataclass(slots=True)
class Account:
    login: int
    currency: str
    leverage: int
    balance: float
    credit: float = 0.0
    name: str = "Demo Trader"


# -- what changed: the broker appends these; the terminal turns them into events ---------


@dataclass(frozen=True, slots=True)
class Opened:
    order: Order


@dataclass(frozen=True, slots=True)
class Placed:
    order: Order


@dataclass(frozen=True, slots=True)
class Triggered:
    order: Order


CloseReason = Literal["manual", "stop_loss", "take_profit", "stop_out", "gateway"]
DeleteReason = Literal["cancelled", "expired"]


@dataclass(frozen=True, slots=True)
class Closed:
    order: Order
    close_price: float
    profit: float
    close_time: datetime
    reason: CloseReason


@dataclass(frozen=True, slots=True)
class PartiallyClosed:
    old_ticket: int
    remainder: Order
    closed_lots: float
    close_price: float
    profit: float
    commission: float
    swap: float
    close_time: datetime


@dataclass(frozen=True, slots=True)
class PositionChanged:
    order: Order


@dataclass(frozen=True, slots=True)
class PendingChanged:
    order: Order


@dataclass(frozen=True, slots=True)
class Deleted:
    order: Order
    reason: DeleteReason


BrokerEvent = (
    Opened
    | Placed
    | Triggered
    | Closed
    | PartiallyClosed
    | PositionChanged
    | PendingChanged
    | Deleted
)


@dataclass(frozen=True, slots=True)
class CloseResult:
    ticket: int
    symbol: str
    close_price: float
    closed_lots: float
    profit: float
    new_ticket: int | None = None
    """Ticket of the remainder after a partial close."""
