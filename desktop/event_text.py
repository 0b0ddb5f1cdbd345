"""Gateway events and replies in words, for the event log, the status bar and notifications."""

from __future__ import annotations

from typing import Literal

from gateway_core.forwarder.desk_confirmation import describe_command
from gateway_core.protocol import (
    PENDING_TYPES,
    AgentStatusNotice,
    Command,
    CommandResult,
    OrderDeleted,
    OrderModified,
    OrderPlaced,
    OrderTriggered,
    PositionClosed,
    PositionModified,
    PositionOpened,
    PositionPartiallyClosed,
    Reply,
    TradeExecuted,
)

from . import formatting as fmt

Level = Literal["info", "trade", "warning", "error"]

COMMAND_WORDS = {
    "execute_trade": "order",
    "modify_position": "modify",
    "close_position": "close",
    "close_all": "close all",
    "delete_order": "delete order",
    "subscribe_quotes": "quote subscription",
    "get_snapshot": "snapshot request",
}


def describe_event(event: object) -> tuple[Level, str] | None:
    """A sentence for events a trader cares about; None for ticks, quotes, heartbeats."""
    match event:
        case PositionOpened(data=p):
            return "trade", (f"Opened #{p.ticket} {fmt.order_type(p.type)} {fmt.lots(p.lots)} "
                             f"{p.symbol} at {p.open_price:g}")
        case OrderTriggered(data=p):
            return "trade", (f"Pending order #{p.ticket} filled: {fmt.order_type(p.type)} "
                             f"{fmt.lots(p.lots)} {p.symbol} at {p.open_price:g}")
        case PositionClosed(data=d):
            what = f"#{d.ticket}" + (f" {d.symbol}" if d.symbol else "")
            why = f" ({d.reason.replace('_', ' ')})" if d.reason and d.reason != "manual" else ""
            return "trade", f"Closed {what} at {d.close_price:g}: {d.net_profit:+,.2f}{why}"
        case PositionPartiallyClosed(data=d):
            return "trade", (f"Closed {fmt.lots(d.closed_lots)} lots of #{d.ticket} at "
                             f"{d.close_price:g}: {d.net_profit:+,.2f}; "
                             f"{fmt.lots(d.remaining_lots)} lots go on as #{d.new_ticket}")
        case PositionModified(data=d):
            return "info", (f"Modified #{d.ticket}: S/L {d.stop_loss:g}, T/P {d.take_profit:g}")
        case OrderPlaced(data=o):
            return "trade", (f"Placed #{o.ticket} {fmt.order_type(o.type)} {fmt.lots(o.lots)} "
                             f"{o.symbol} at {o.price:g}")
        case OrderModified(data=d):
            return "info", f"Modified order #{d.ticket}: price {d.price:g}"
        case OrderDeleted(data=d):
            return "info", f"Order #{d.ticket} {'expired' if d.reason == 'expired' else 'deleted'}"
        case _:
            return None


def describe_notice(notice: AgentStatusNotice) -> tuple[Level, str]:
    levels: dict[str, Level] = {"connected": "info", "stale": "warning",
                                "disconnected": "error"}
    level = levels[notice.status]
    reason = f": {notice.reason}" if notice.reason else ""
    return level, f"Terminal {notice.status}{reason}"


def error_words(reply: Reply) -> str:
    """The failure as the trader should read it: the message, then the code for support."""
    err = reply.error
    if err is None:
        return ""
    extra = f"MT4 error {err.mt4_error}, " if err.mt4_error is not None else ""
    return f"{err.message} ({extra}{err.code})"


def describe_reply(reply: Reply) -> tuple[Level, str]:
    if isinstance(reply, TradeExecuted):
        if reply.success and reply.data is not None:
            d = reply.data
            what = f"{fmt.order_type(d.type)} " if d.type else ""
            lots = f"{fmt.lots(d.lots)} " if d.lots else ""
            sym = f"{d.symbol} " if d.symbol else ""
            return "trade", f"Order done: {what}{lots}{sym}#{d.ticket} at {d.open_price:g}"
        return "error", f"Order refused: {error_words(reply)}"
    assert isinstance(reply, CommandResult)
    word = COMMAND_WORDS.get(reply.command, reply.command)
    if reply.success:
        data = reply.data or {}
        if reply.command == "close_all":
            return "trade", f"Close all: {len(data.get('closed', []))} closed"
        if reply.command == "close_position":
            tail = f", remainder #{data['new_ticket']}" if data.get("new_ticket") else ""
            return "trade", (f"Closed {data.get('closed_lots', '')} lots of #{data.get('ticket')} "
                             f"at {data.get('close_price')}{tail}")
        ticket = f" #{data['ticket']}" if "ticket" in data else ""
        return "info", f"{word.capitalize()}{ticket}: done"
    return "error", f"{word.capitalize()} refused: {error_words(reply)}"


def describe_platform_trade(agent_id: str, command: Command, reply: Reply,
                            digits: int = 5) -> tuple[Level, str]:
    """What the platform asked for and how it ended, for the tray: 'From the web: BUY 0.10
    EURUSD on demo-1 - filled #123 at 1.08503'."""
    asked = f"From the web: {describe_command(command)} on {agent_id}"
    if not reply.success:
        return "error", f"{asked} - refused: {error_words(reply)}"
    if isinstance(reply, TradeExecuted) and reply.data is not None:
        d = reply.data
        verb = "placed" if d.type in PENDING_TYPES else "filled"
        return "trade", f"{asked} - {verb} #{d.ticket} at {fmt.price(d.open_price, digits)}"
    data = reply.data if isinstance(reply, CommandResult) and reply.data else {}
    if command.command == "close_all":
        return "trade", f"{asked} - {len(data.get('closed', []))} closed"
    if command.command == "close_position" and data.get("close_price") is not None:
        return "trade", (f"{asked} - closed at "
                         f"{fmt.price(float(data['close_price']), digits)}")
    return "trade", f"{asked} - done"
