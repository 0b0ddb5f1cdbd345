"""Commands sent to an EA (spec section 3.3 plus the ones the spec left out).

Shape: `{"command": ..., "request_id": ..., "data": {...}}`. Local clients and the
platform add `agent_id` (which terminal) and the platform an `expires_at`; the gateway
strips both before the command reaches the EA.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .common import (
    PENDING_TYPES,
    AgentId,
    CommandComment,
    Lots,
    OrderType,
    Price,
    RequestId,
    Symbol,
    Ticket,
    Timestamp,
    WireModel,
)


class _Command(WireModel):
    request_id: RequestId
    agent_id: AgentId | None = None
    expires_at: Timestamp | None = None


class ExecuteTradeData(WireModel):
    symbol: Symbol
    type: OrderType
    lots: Lots
    price: Price | None = Field(default=None, description="Required for pending orders")
    stop_loss: Price = 0.0
    take_profit: Price = 0.0
    slippage: int = Field(default=3, ge=0, le=10_000, description="Points")
    magic_number: int = Field(default=0, ge=0, lt=2**31)
    comment: CommandComment = ""
    expiration: Timestamp | None = None

    @model_validator(mode="after")
    def _pending_needs_price(self) -> ExecuteTradeData:
        if self.type in PENDING_TYPES:
            if self.price is None or self.price <= 0:
                raise ValueError(f"a {self.type} order needs a price")
        elif self.expiration is not None:
            raise ValueError("expiration applies to pending orders only")
        return self


class ExecuteTrade(_Command):
    command: Literal["execute_trade"]
    data: ExecuteTradeData


class ModifyPositionData(WireModel):
    ticket: Ticket
    stop_loss: Price | None = None
    take_profit: Price | None = None
    price: Price | None = Field(default=None, description="New entry price, pending only")
    expiration: Timestamp | None = None

    @model_validator(mode="after")
    def _changes_something(self) -> ModifyPositionData:
        if self.stop_loss is None and self.take_profit is None and self.price is None:
            raise ValueError("nothing to modify: give stop_loss, take_profit or price")
        return self


class ModifyPosition(_Command):
    command: Literal["modify_position"]
    data: ModifyPositionData


class ClosePositionData(WireModel):
    ticket: Ticket
    lots: Lots | None = Field(default=None, description="Close only this much (partial)")
    slippage: int = Field(default=3, ge=0, le=10_000)


class ClosePosition(_Command):
    command: Literal["close_position"]
    data: ClosePositionData


class CloseAllData(WireModel):
    symbol: Symbol | None = None
    slippage: int = Field(default=3, ge=0, le=10_000)


class CloseAll(_Command):
    command: Literal["close_all"]
    data: CloseAllData = Field(default_factory=CloseAllData)


class DeleteOrderData(WireModel):
    ticket: Ticket


class DeleteOrder(_Command):
    command: Literal["delete_order"]
    data: DeleteOrderData


class SubscribeQuotesData(WireModel):
    symbols: list[Symbol] = Field(max_length=64, description="Replaces the subscription")


class SubscribeQuotes(_Command):
    command: Literal["subscribe_quotes"]
    data: SubscribeQuotesData


class EmptyData(WireModel):
    pass


class GetSnapshot(_Command):
    command: Literal["get_snapshot"]
    data: EmptyData = Field(default_factory=EmptyData)


TRADE_COMMANDS: frozenset[str] = frozenset(
    {"execute_trade", "modify_position", "close_position", "close_all", "delete_order"}
)
"""Commands that move money: executed at most once per request_id, never retried blindly."""
