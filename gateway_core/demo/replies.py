"""Building the one reply each command gets, as the EA builds it.

`execute_trade` is answered with `trade_executed`, everything else with `command_result`;
a failure carries the stable error code and, for broker refusals, MT4's error number.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, get_args

from ..commands.reply_factory import failure_reply
from ..protocol import (
    Command,
    CommandName,
    CommandResult,
    ErrorCode,
    ErrorInfo,
    ProtocolError,
    TradeExecuted,
)

Reply = TradeExecuted | CommandResult
_COMMAND_NAMES: frozenset[str] = frozenset(get_args(CommandName))


def success(command: Command, now: datetime, data: dict[str, Any] | None = None) -> Reply:
    """A successful `command_result` (execute_trade builds its own `trade_executed`)."""
    return CommandResult(
        type="command_result",
        request_id=command.request_id,
        command=command.command,
        success=True,
        timestamp=now,
        data=data,
    )


def failure(
    command: Command,
    now: datetime,
    code: ErrorCode,
    message: str,
    mt4_code: int | None = None,
    data: dict[str, Any] | None = None,
) -> Reply:
    reply = failure_reply(command, code, message, agent_id=None, timestamp=now,
                          mt4_error=mt4_code, data=data)
    assert isinstance(reply, TradeExecuted | CommandResult)
    return reply


def rejection(raw: str | bytes, exc: ProtocolError, now: datetime) -> Reply | None:
    """The failed reply to a frame that is not a valid command, if it can be matched to
    one (a known command name and a request id); None when no reply can be addressed."""
    name: object = None
    try:
        obj = json.loads(raw)
        name = obj.get("command") if isinstance(obj, dict) else None
    except ValueError:
        pass
    if exc.request_id is None or not isinstance(name, str) or name not in _COMMAND_NAMES:
        return None
    error = ErrorInfo(code=exc.code, message=exc.message[:500])
    if name == "execute_trade":
        return TradeExecuted(
            type="trade_executed",
            request_id=exc.request_id,
            success=False,
            error=error,
            timestamp=now,
        )
    # model_validate: `name` is a checked str, not yet the CommandName literal.
    return CommandResult.model_validate(
        {
            "type": "command_result",
            "request_id": exc.request_id,
            "command": name,
            "success": False,
            "error": error,
            "timestamp": now,
        }
    )
