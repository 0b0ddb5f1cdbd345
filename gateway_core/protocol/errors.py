"""Stable error codes carried by failed replies and `error` messages.

Clients key their behaviour on these names, never on the readable message, so a code is
never renamed once shipped. MT4's numeric trade errors map onto them; the number itself
still travels in `mt4_error` for support.
"""

from __future__ import annotations

from typing import Literal, get_args

ErrorCode = Literal[
    # MT4 trade server / terminal errors
    "no_change",
    "common_error",
    "invalid_trade_parameters",
    "server_busy",
    "old_version",
    "no_connection",
    "not_enough_rights",
    "too_frequent_requests",
    "account_disabled",
    "invalid_account",
    "trade_timeout",
    "invalid_price",
    "invalid_stops",
    "invalid_volume",
    "market_closed",
    "trade_disabled",
    "not_enough_money",
    "price_changed",
    "off_quotes",
    "broker_busy",
    "requote",
    "order_locked",
    "long_positions_only",
    "too_many_requests",
    "modification_too_close",
    "trade_context_busy",
    "expiration_denied",
    "too_many_orders",
    "hedging_prohibited",
    "fifo_violation",
    "invalid_ticket",
    "trading_not_allowed",
    "dll_not_allowed",
    "unknown_symbol",
    "mt4_error",
    # gateway-side failures
    "unknown_agent",
    "agent_offline",
    "agent_replaced",
    "timeout",
    "invalid_json",
    "unknown_type",
    "invalid_message",
    "message_too_large",
    "rate_limited",
    "unsupported_protocol",
    "duplicate_request",
    "command_expired",
    "remote_trading_disabled",
    "max_lots_exceeded",
    "symbol_not_allowed",
    "rejected_at_desk",
    "not_confirmed_in_time",
    "not_found",
    "internal_error",
    "gateway_shutting_down",
]

ERROR_CODES: frozenset[str] = frozenset(get_args(ErrorCode))

MT4_ERRORS: dict[int, tuple[ErrorCode, str]] = {
    1: ("no_change", "Nothing to change: the order already has these values"),
    2: ("common_error", "Common error"),
    3: ("invalid_trade_parameters", "Invalid trade parameters"),
    4: ("server_busy", "Trade server is busy"),
    5: ("old_version", "Old version of the client terminal"),
    6: ("no_connection", "No connection with the trade server"),
    7: ("not_enough_rights", "Not enough rights"),
    8: ("too_frequent_requests", "Too frequent requests"),
    64: ("account_disabled", "Account disabled"),
    65: ("invalid_account", "Invalid account"),
    128: ("trade_timeout", "Trade timeout"),
    129: ("invalid_price", "Invalid price"),
    130: ("invalid_stops", "Invalid stops: S/L or T/P too close to the price or wrong side"),
    131: ("invalid_volume", "Invalid trade volume"),
    132: ("market_closed", "Market is closed"),
    133: ("trade_disabled", "Trading is disabled for this symbol or account"),
    134: ("not_enough_money", "Not enough money for this trade"),
    135: ("price_changed", "Price changed"),
    136: ("off_quotes", "Off quotes"),
    137: ("broker_busy", "Broker is busy"),
    138: ("requote", "Requote: the price moved beyond the allowed slippage"),
    139: ("order_locked", "Order is locked and being processed"),
    140: ("long_positions_only", "Only long positions are allowed"),
    141: ("too_many_requests", "Too many requests"),
    145: ("modification_too_close", "Modification denied: order too close to market"),
    146: ("trade_context_busy", "Trade context is busy"),
    147: ("expiration_denied", "Expiration dates are denied by the broker"),
    148: ("too_many_orders", "Too many open and pending orders"),
    149: ("hedging_prohibited", "Hedging is prohibited"),
    150: ("fifo_violation", "Prohibited by FIFO rules"),
    4051: ("invalid_trade_parameters", "Invalid function parameter value"),
    4106: ("unknown_symbol", "Unknown symbol"),
    4108: ("invalid_ticket", "Invalid ticket"),
    4109: ("trading_not_allowed", "Trading is not allowed: enable AutoTrading in the terminal"),
    4110: ("long_positions_only", "Longs only allowed in the expert properties"),
    4111: ("long_positions_only", "Shorts only allowed in the expert properties"),
}


def mt4_error(code: int) -> tuple[ErrorCode, str]:
    """Name and readable text for an MT4 error number; unknown numbers stay visible."""
    return MT4_ERRORS.get(code, ("mt4_error", f"MT4 error {code}"))
