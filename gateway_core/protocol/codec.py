"""Parsing raw frames into messages, with errors a peer can act on.

TypeAdapters are built once at import: building one costs far more than using it.
"""

from __future__ import annotations

import json
import re
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
MESSAGE_MAX = 1000
"""ErrorMessage.message's limit: longer text (an echoed 1,000-character type name) is cut."""

# The same patterns as RequestId / AgentId in common.py: an echoed id that breaks them is
# dropped, because an error reply must never fail to build.
_REQUEST_ID = re.compile(r"[A-Za-z0-9_.:\-]{1,64}")
_AGENT_ID = re.compile(r"[A-Za-z0-9_.\-]{1,64}")


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1] + "\u2026"


def _printable(text: str) -> str:
    """Lone surrogates cannot be encoded as UTF-8 JSON: replace them."""
    return text.encode("utf-8", errors="replace").decode("utf-8")


def echoable_request_id(value: object) -> str | None:
    """`value` if it can stand in a reply's request_id, else None."""
    if isinstance(value, str) and _REQUEST_ID.fullmatch(value):
        return value
    return None


def echoable_agent_id(value: object) -> str | None:
    """`value` if it can stand in a reply's agent_id, else None."""
    if isinstance(value, str) and _AGENT_ID.fullmatch(value):
        return value
    return None


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
            rejected = rejected[: REJECTED_PREVIEW * 4].decode("utf-8", errors="replace")
        self.rejected = _printable(rejected[:REJECTED_PREVIEW])
        self.request_id = echoable_request_id(request_id)

    def to_message(self, agent_id: str | None = None) -> ErrorMessage:
        """Total: whatever the rejected input held, this builds (text is cut, ids that
        break their pattern are left out)."""
        return ErrorMessage(
            type="error",
            code=self.code,
            message=_clip(_printable(self.message), MESSAGE_MAX),
            rejected=self.rejected,
            request_id=self.request_id,
            agent_id=echoable_agent_id(agent_id),
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
        tag = _clip(str(ctx.get("tag", "?")), 80)
        return _Classified("unknown_type", f"unknown {what} {tag!r}")
    details = "; ".join(
        f"{_clip('.'.join(str(p) for p in e['loc'][1:]), 120) or '(message)'}: "
        f"{_clip(e['msg'], 160)}"
        for e in errors[:5]
    )
    return _Classified("invalid_message", f"schema violation: {details}")


def _request_id_of(raw: str | bytes) -> str | None:
    """Best effort: echo the request id of a rejected command so the sender can match it."""
    try:
        obj = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if isinstance(obj, dict):
        return echoable_request_id(obj.get("request_id"))
    return None


def parse_agent_message(raw: str | bytes) -> AgentMessage:
    """Parse a frame from an EA. Raises ProtocolError with a code the EA can log."""
    try:
        return AGENT_MESSAGE.validate_json(raw)
    except ValidationError as exc:
        c = _classify(exc, "type")
        raise ProtocolError(c.code, c.message, raw) from None
    except (RecursionError, MemoryError, ValueError) as exc:
        raise ProtocolError("invalid_message", f"unreadable frame: {type(exc).__name__}",
                            raw) from None


def parse_command(raw: str | bytes) -> Command:
    """Parse a command from a local client or the platform."""
    try:
        return COMMAND.validate_json(raw)
    except ValidationError as exc:
        c = _classify(exc, "command")
        raise ProtocolError(c.code, c.message, raw, _request_id_of(raw)) from None
    except (RecursionError, MemoryError, ValueError) as exc:
        raise ProtocolError("invalid_message", f"unreadable frame: {type(exc).__name__}",
                            raw) from None
