"""Failed replies shaped exactly like the EA's own: the gateway's refusals and timeouts,
and the demo terminals' broker errors, all come from here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..protocol import Command, CommandResult, ErrorCode, ErrorInfo, Reply, TradeExecuted

_MAX_MESSAGE = 500  # ErrorInfo.message limit


def failure_reply(
    command: Command,
    code: ErrorCode,
    message: str,
    *,
    agent_id: str | None,
    timestamp: datetime,
    mt4_error: int | None = None,
    data: dict[str, Any] | None = None,
) -> Reply:
    error = ErrorInfo(code=code, message=message[:_MAX_MESSAGE], mt4_error=mt4_error)
    if command.command == "execute_trade":
        return TradeExecuted(
            type="trade_executed",
            request_id=command.request_id,
            success=False,
            error=error,
            agent_id=agent_id,
            timestamp=timestamp,
        )
    return CommandResult(
        type="command_result",
        command=command.command,
        request_id=command.request_id,
        success=False,
        error=error,
        agent_id=agent_id,
        timestamp=timestamp,
        data=data,
    )
