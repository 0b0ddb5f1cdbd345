"""Replies: exactly one per command, matched by `request_id`.

`execute_trade` is answered with the spec's `trade_executed`; every other command with
`command_result`. A failure carries a stable `ErrorCode` and a readable message.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from .common import AgentId, Lots, Price, RequestId, Ticket, Timestamp, WireModel
from .errors import ErrorCode


class ErrorInfo(WireModel):
    code: ErrorCode
    message: str = Field(max_length=500)
    mt4_error: int | None = None


class TradeResultData(WireModel):
    ticket: Ticket
    open_price: Price
    lots: Lots | None = None
    symbol: str | None = Field(default=None, max_length=32)
    type: str | None = Field(default=None, max_length=16)
    attempts: int | None = Field(default=None, ge=1)
    stop_loss: Price | None = None
    take_profit: Price | None = None
    # Market execution opens first and sets S/L and T/P after: if that second step failed,
    # the trade still happened, and this says plainly that the stops are not set.
    stops_warning: str | None = Field(default=None, max_length=500)


class _Reply(WireModel):
    request_id: RequestId
    success: bool
    error: ErrorInfo | None = None
    agent_id: AgentId | None = None
    timestamp: Timestamp | None = None

    @model_validator(mode="after")
    def _failure_has_error(self) -> _Reply:
        if not self.success and self.error is None:
            raise ValueError("a failed reply must carry an error")
        if self.success and self.error is not None:
            raise ValueError("a successful reply cannot carry an error")
        return self


class TradeExecuted(_Reply):
    type: Literal["trade_executed"]
    data: TradeResultData | None = None


CommandName = Literal[
    "execute_trade",
    "modify_position",
    "close_position",
    "close_all",
    "delete_order",
    "subscribe_quotes",
    "get_snapshot",
]


class CommandResult(_Reply):
    """Result of any command but execute_trade. `data` depends on the command:
    close_position -> ticket, close_price, closed_lots, new_ticket (partial);
    close_all -> closed/failed lists; modify/delete -> ticket."""

    type: Literal["command_result"]
    command: CommandName
    data: dict[str, Any] | None = None
