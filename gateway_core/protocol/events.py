"""Events an EA sends to the gateway (spec section 3.2 and what the spec left out).

Every event is `{"type": ..., "timestamp": ..., "data": {...}}`; the gateway stamps the
`agent_id` of the connection it came from before passing it on, so downstream consumers
always know the source. `heartbeat` keeps the spec's flat shape.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .common import (
    MAX_PENDING_ORDERS,
    MAX_POSITIONS,
    AgentId,
    Lots,
    Money,
    OrderComment,
    PendingType,
    PositionSide,
    Price,
    Symbol,
    Ticket,
    Timestamp,
    WireModel,
)


class _Event(WireModel):
    timestamp: Timestamp
    agent_id: AgentId | None = None


# -- shared payloads ------------------------------------------------------------------


class AccountData(WireModel):
    balance: Money
    equity: Money
    margin: Money
    margin_free: Money
    margin_level: Money = Field(description="Equity / margin in percent; 0 with no margin")
    profit: Money | None = None
    credit: Money | None = None


class PositionData(WireModel):
    """An open market position (buy or sell)."""

    ticket: Ticket
    symbol: Symbol
    type: PositionSide
    lots: Lots
    open_price: Price
    stop_loss: Price = 0.0
    take_profit: Price = 0.0
    magic_number: int = 0
    comment: OrderComment = ""
    open_time: Timestamp | None = None
    current_price: Price | None = None
    profit: Money | None = None
    swap: Money | None = None
    commission: Money | None = None


class PendingOrderData(WireModel):
    """A pending order waiting for its price."""

    ticket: Ticket
    symbol: Symbol
    type: PendingType
    lots: Lots
    price: Price
    stop_loss: Price = 0.0
    take_profit: Price = 0.0
    expiration: Timestamp | None = None
    magic_number: int = 0
    comment: OrderComment = ""
    open_time: Timestamp | None = None


class PositionTick(WireModel):
    ticket: Ticket
    current_price: Price
    profit: Money
    swap: Money = 0.0
    commission: Money | None = None


# -- events ---------------------------------------------------------------------------


class HelloData(WireModel):
    agent_id: AgentId
    account_login: int = Field(ge=0)
    account_name: str | None = Field(default=None, max_length=128)
    server: str = Field(max_length=128)
    company: str = Field(max_length=128)
    currency: str = Field(max_length=16)
    leverage: int = Field(ge=0)
    terminal_build: int = Field(ge=0)
    ea_version: str = Field(max_length=32)
    protocol_version: int = Field(ge=1)
    trade_allowed: bool | None = None
    dll_allowed: bool | None = None
    heartbeat_interval_ms: int | None = Field(
        default=None, ge=100, le=600_000, description="How often this EA sends heartbeats"
    )
    server_time_offset_s: int | None = Field(
        default=None,
        ge=-86_400,
        le=86_400,
        description="Trade server time minus UTC, as the EA measured it on a fresh quote",
    )
    server_time_known: bool | None = Field(
        default=None,
        description="False: the EA has no trustworthy server time offset yet; its event "
        "times may be off by the broker's time zone and it refuses expirations",
    )


class Hello(_Event):
    type: Literal["hello"]
    data: HelloData


class SnapshotData(WireModel):
    account: AccountData
    positions: list[PositionData] = Field(default_factory=list, max_length=MAX_POSITIONS)
    pending_orders: list[PendingOrderData] = Field(
        default_factory=list, max_length=MAX_PENDING_ORDERS
    )


class Snapshot(_Event):
    """Everything open right now; replaces what the gateway knew about this agent."""

    type: Literal["snapshot"]
    data: SnapshotData


class PositionOpened(_Event):
    type: Literal["position_opened"]
    data: PositionData


class PositionClosedData(WireModel):
    ticket: Ticket
    close_price: Price
    profit: Money
    commission: Money = 0.0
    swap: Money = 0.0
    net_profit: Money
    symbol: Symbol | None = None
    lots: Lots | None = None
    close_time: Timestamp | None = None
    reason: Literal["manual", "stop_loss", "take_profit", "stop_out", "gateway"] | None = None


class PositionClosed(_Event):
    type: Literal["position_closed"]
    data: PositionClosedData


class PositionModifiedData(WireModel):
    ticket: Ticket
    stop_loss: Price
    take_profit: Price


class PositionModified(_Event):
    type: Literal["position_modified"]
    data: PositionModifiedData


class PartialCloseData(WireModel):
    """Part of a position closed: the remainder lives on under `new_ticket` (MT4 rule)."""

    ticket: Ticket
    new_ticket: Ticket
    closed_lots: Lots
    remaining_lots: Lots
    close_price: Price
    profit: Money
    commission: Money = 0.0
    swap: Money = 0.0
    net_profit: Money
    close_time: Timestamp | None = None

    @model_validator(mode="after")
    def _new_ticket_differs(self) -> PartialCloseData:
        if self.new_ticket == self.ticket:
            raise ValueError("new_ticket must differ from ticket")
        return self


class PositionPartiallyClosed(_Event):
    type: Literal["position_partially_closed"]
    data: PartialCloseData


class OrderPlaced(_Event):
    type: Literal["order_placed"]
    data: PendingOrderData


class OrderModifiedData(WireModel):
    ticket: Ticket
    price: Price
    stop_loss: Price
    take_profit: Price
    expiration: Timestamp | None = None


class OrderModified(_Event):
    type: Literal["order_modified"]
    data: OrderModifiedData


class OrderDeletedData(WireModel):
    ticket: Ticket
    reason: Literal["cancelled", "expired"] = "cancelled"


class OrderDeleted(_Event):
    type: Literal["order_deleted"]
    data: OrderDeletedData


class OrderTriggered(_Event):
    """A pending order filled: in MT4 it keeps its ticket and becomes a market position."""

    type: Literal["order_triggered"]
    data: PositionData


class PositionsUpdateData(WireModel):
    positions: list[PositionTick] = Field(max_length=MAX_POSITIONS)


class PositionsUpdate(_Event):
    """Live price/profit/swap for the positions that changed since the last update."""

    type: Literal["positions_update"]
    data: PositionsUpdateData


class AccountUpdate(_Event):
    type: Literal["account_update"]
    data: AccountData


class QuoteData(WireModel):
    symbol: Symbol
    bid: Price
    ask: Price
    time: Timestamp | None = None


class Quote(_Event):
    type: Literal["quote"]
    data: QuoteData


class SymbolInfoData(WireModel):
    symbol: Symbol
    digits: int = Field(ge=0, le=10)
    point: float = Field(gt=0)
    min_lot: Lots
    max_lot: Lots
    lot_step: Lots
    stops_level: int = Field(ge=0, description="Minimum S/L, T/P distance in points")
    freeze_level: int = Field(default=0, ge=0)
    contract_size: float | None = Field(default=None, gt=0)
    trade_allowed: bool
    description: str | None = Field(default=None, max_length=128)


class SymbolInfo(_Event):
    type: Literal["symbol_info"]
    data: SymbolInfoData


class Heartbeat(_Event):
    """The spec's flat heartbeat: no `data`, agent id and status at the top."""

    type: Literal["heartbeat"]
    status: Literal["connected"] = "connected"
