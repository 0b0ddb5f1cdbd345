"""Parsing raw frames into messages, with errors a peer can act on.

TypeAdapters are built once at import: building one costs far more than using it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal, TypeAlias

from pydantic import Field, TypeAdapter, ValidationError

from .commands import (
    CloseAll,
    ClosePosition,
    DeleteOrder,
    ExecuteTrade,
    GetSnapshot,
    ModifyPosition,
    SubscribeQuotes,
)
from .errors import ErrorCode
from .events import (
    AccountUpdate,
    Heartbeat,
    Hello,
    OrderDeleted,
    OrderModified,
    OrderPlaced,
    OrderTriggered,
    PositionClosed,
    PositionModified,
    PositionOpened,
    PositionPartiallyClosed,
    PositionsUpdate,
    Quote,
    Snapshot,
    SymbolInfo,
)
from .notices import AgentStatusNotice, ErrorMessage, Welcome
from .replies import CommandResult, TradeExecuted

_EventUnion = (
    Hello
    | Snapshot
    | PositionOpened
    | PositionClosed
    | PositionModified
    | PositionPartiallyClosed
    | OrderPlaced
    | OrderModified
    | OrderDeleted
    | OrderTriggered
    | PositionsUpdate
    | AccountUpdate
    | Quote
    | SymbolInfo
    | Heartbeat
)
_ReplyUnion = TradeExecuted | CommandResult

Event: TypeAlias = Annotated[_EventUnion, Field(discriminator="type")]

Reply: TypeAlias = Annotated[_ReplyUnion, Field(discriminator="type")]

AgentMessage: TypeAlias = Annotated[_EventUnion | _ReplyUnion, Field(discriminator="type")]
"""Anything an EA may send: an event or a reply to a command."""

Command: TypeAlias = Annotated[
    ExecuteTrade
    | ModifyPosition
    | ClosePosition
    | CloseAll
    | DeleteOrder
    | SubscribeQuotes
    | GetSnapshot,
    Field(discriminator="command"),
]

GatewayNotice: TypeAlias = Annotated[
    ErrorMessage | AgentStatusNotice | Welcome, Field(discriminator="type")
]

AGENT_MESSAGE: TypeAdapter[AgentMessage] = TypeAdapter(AgentMessage)
COMMAND: TypeAdapter[Command] = TypeAdapter(Command)
EVENT: TypeAdapter[Event] = TypeAdapter(Event)
REPLY: TypeAdapter[Reply] = TypeAdapter(Reply)
NOTICE: TypeAdapter[GatewayNotice] = TypeAdapter(GatewayNotice)

REJECTED_PREVIEW = 200


class ProtocolError(Exception):
    """A frame that is not a valid message. `to_message()` is what the sender gets back."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        rejected: str | bytes = "",
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code: ErrorCode = code
        self.message = message
        if isinstance(rejected, bytes):
            rejected = rejected.decode("utf-8", errors="replace")
        self.rejected = rejected[:REJECTED_PREVIEW]
        self.request_id = request_id

    def to_message(self, agent_id: str | None = None) -> ErrorMessage:
        return ErrorMessage(
            type="error",
            code=self.code,
            message=self.message,
            rejected=self.rejected,
            request_id=self.request_id,
            agent_id=agent_id,
        )


@dataclass(frozen=True, slots=True)
class _Classified:
    code: ErrorCode
    message: str


def _classify(exc: ValidationError, what: Literal["type", "command"]) -> _Classified:
    errors = exc.errors(include_url=False, include_input=False)
    first = errors[0]
    kind = first["type"]
    if kind == "json_invalid":
        return _Classified("invalid_json", f"not valid JSON: {first['msg']}")
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return _Classified("invalid_message", "a message must be a JSON object")
    if kind == "union_tag_not_found":
        return _Classified("invalid_message", f"the message has no '{what}' field")
    if kind == "union_tag_invalid":
        ctx = first.get("ctx") or {}
        tag = ctx.get("tag", "?")
        return _Classified("unknown_type", f"unknown {what} {tag!r}")
    details = "; ".join(
        f"{'.'.join(str(p) for p in e['loc'][1:]) or '(message)'}: {e['msg']}" for e in errors[:5]
    )
    return _Classified("invalid_message", f"schema violation: {details}")


def _request_id_of(raw: str | bytes) -> str | None:
    """Best effort: echo the request id of a rejected command so the sender can match it."""
    import json

    try:
        obj = json.loads(raw)
    except ValueError:
        return None
    if isinstance(obj, dict):
        rid = obj.get("request_id")
        if isinstance(rid, str) and 0 < len(rid) <= 64:
            return rid
    return None


def parse_agent_message(raw: str | bytes) -> AgentMessage:
    """Parse a frame from an EA. Raises ProtocolError with a code the EA can log."""
    try:
        return AGENT_MESSAGE.validate_json(raw)
    except ValidationError as exc:
        c = _classify(exc, "type")
        raise ProtocolError(c.code, c.message, raw) from None


def parse_command(raw: str | bytes) -> Command:
    """Parse a command from a local client or the platform."""
    try:
        return COMMAND.validate_json(raw)
    except ValidationError as exc:
        c = _classify(exc, "command")
        raise ProtocolError(c.code, c.message, raw, _request_id_of(raw)) from None
