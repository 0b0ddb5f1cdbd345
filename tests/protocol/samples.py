"""One valid example of every message, for round-trip tests and fixtures."""

from __future__ import annotations

from typing import Any

TS = "2026-01-25T10:30:15Z"
ACCOUNT = {"balance": 10000.0, "equity": 10010.5, "margin": 100.0, "margin_free": 9910.5,
           "margin_level": 10010.5, "profit": 10.5, "credit": 0.0}
POSITION = {"ticket": 1001, "symbol": "EURUSD", "type": "buy", "lots": 0.1,
            "open_price": 1.1, "stop_loss": 1.09, "take_profit": 1.12, "magic_number": 7,
            "comment": "x", "open_time": TS, "current_price": 1.1005, "profit": 5.0,
            "swap": -0.2, "commission": -0.7}
PENDING = {"ticket": 1002, "symbol": "GBPUSD", "type": "buy_limit", "lots": 0.2,
           "price": 1.25, "stop_loss": 1.24, "take_profit": 1.27, "expiration": TS,
           "magic_number": 0, "comment": "", "open_time": TS}

EVENTS: dict[str, dict[str, Any]] = {
    "hello": {"type": "hello", "timestamp": TS, "data": {
        "agent_id": "mt4-123", "account_login": 123, "account_name": "Ann Trader",
        "server": "Demo-Server", "company": "Broker Ltd", "currency": "USD", "leverage": 100,
        "terminal_build": 1420, "ea_version": "1.0.0", "protocol_version": 1,
        "trade_allowed": True, "dll_allowed": True, "heartbeat_interval_ms": 5000}},
    "snapshot": {"type": "snapshot", "timestamp": TS, "agent_id": "mt4-123", "data": {
        "account": ACCOUNT, "positions": [POSITION], "pending_orders": [PENDING]}},
    "position_opened": {"type": "position_opened", "timestamp": TS, "data": POSITION},
    "position_closed": {"type": "position_closed", "timestamp": TS, "data": {
        "ticket": 1001, "close_price": 1.1010, "profit": 10.0, "commission": -0.7,
        "swap": -0.2, "net_profit": 9.1, "symbol": "EURUSD", "lots": 0.1,
        "close_time": TS, "reason": "take_profit"}},
    "position_modified": {"type": "position_modified", "timestamp": TS,
                          "data": {"ticket": 1001, "stop_loss": 1.095, "take_profit": 0}},
    "position_partially_closed": {"type": "position_partially_closed", "timestamp": TS,
                                  "data": {"ticket": 1001, "new_ticket": 1003,
                                           "closed_lots": 0.04, "remaining_lots": 0.06,
                                           "close_price": 1.1008, "profit": 3.2,
                                           "commission": -0.28, "swap": 0.0,
                                           "net_profit": 2.92, "close_time": TS}},
    "order_placed": {"type": "order_placed", "timestamp": TS, "data": PENDING},
    "order_modified": {"type": "order_modified", "timestamp": TS,
                       "data": {"ticket": 1002, "price": 1.251, "stop_loss": 1.24,
                                "take_profit": 1.27, "expiration": None}},
    "order_deleted": {"type": "order_deleted", "timestamp": TS,
                      "data": {"ticket": 1002, "reason": "expired"}},
    "order_triggered": {"type": "order_triggered", "timestamp": TS,
                        "data": {**POSITION, "ticket": 1002, "symbol": "GBPUSD",
                                 "lots": 0.2, "open_price": 1.25}},
    "positions_update": {"type": "positions_update", "timestamp": TS, "data": {"positions": [
        {"ticket": 1001, "current_price": 1.1007, "profit": 7.0, "swap": -0.2}]}},
    "account_update": {"type": "account_update", "timestamp": TS, "data": ACCOUNT},
    "quote": {"type": "quote", "timestamp": TS,
              "data": {"symbol": "EURUSD", "bid": 1.1, "ask": 1.1002, "time": TS}},
    "symbol_info": {"type": "symbol_info", "timestamp": TS, "data": {
        "symbol": "EURUSD", "digits": 5, "point": 0.00001, "min_lot": 0.01, "max_lot": 100,
        "lot_step": 0.01, "stops_level": 10, "freeze_level": 0, "contract_size": 100000,
        "trade_allowed": True, "description": "Euro vs US Dollar"}},
    "heartbeat": {"type": "heartbeat", "timestamp": TS, "agent_id": "mt4-123",
                  "status": "connected"},
}

REPLIES: dict[str, dict[str, Any]] = {
    "trade_executed_ok": {"type": "trade_executed", "request_id": "r-1", "success": True,
                          "data": {"ticket": 5, "open_price": 1.1, "lots": 0.1,
                                   "symbol": "EURUSD", "type": "buy", "attempts": 2}},
    "trade_executed_fail": {"type": "trade_executed", "request_id": "r-2", "success": False,
                            "error": {"code": "requote", "message": "Requote",
                                      "mt4_error": 138}},
    "command_result": {"type": "command_result", "command": "close_position",
                       "request_id": "r-3", "success": True,
                       "data": {"ticket": 5, "close_price": 1.1, "new_ticket": 6}},
}

COMMANDS: dict[str, dict[str, Any]] = {
    "execute_trade": {"command": "execute_trade", "request_id": "c-1", "agent_id": "mt4-123",
                      "data": {"symbol": "EURUSD", "type": "sell_stop", "lots": 0.5,
                               "price": 1.09, "stop_loss": 1.1, "take_profit": 1.07,
                               "slippage": 5, "magic_number": 99, "comment": "breakout",
                               "expiration": TS}},
    "modify_position": {"command": "modify_position", "request_id": "c-2",
                        "data": {"ticket": 5, "price": 1.2}},
    "close_position": {"command": "close_position", "request_id": "c-3",
                       "data": {"ticket": 5, "lots": 0.05}},
    "close_all": {"command": "close_all", "request_id": "c-4", "data": {"symbol": "EURUSD"}},
    "delete_order": {"command": "delete_order", "request_id": "c-5", "data": {"ticket": 9}},
    "subscribe_quotes": {"command": "subscribe_quotes", "request_id": "c-6",
                         "data": {"symbols": ["EURUSD", "XAUUSD"]}},
    "get_snapshot": {"command": "get_snapshot", "request_id": "c-7", "data": {}},
}
