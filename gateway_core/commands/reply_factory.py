"""Replies the gateway writes itself (refusals, timeouts), shaped like the EA's own."""

from __future__ import annotations

from datetime import datetime

from ..protocol import Command, CommandResult, ErrorCode, ErrorInfo, Reply, TradeExecuted


def failure_reply(
    command: Command,
    code: ErrorCode,
    message: str,
    *,
    agent_id: str | None,
    timestamp: datetime,
) -> Reply:
    error = ErrorInfo(code=code, message=message)
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
    )
