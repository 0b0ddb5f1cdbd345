"""The spec's section 3.2/3.3 examples, copied verbatim, must parse as they stand."""

from __future__ import annotations

import json

import pytest

from gateway_core.protocol import (
    AccountUpdate,
    ClosePosition,
    ExecuteTrade,
    Heartbeat,
    ModifyPosition,
    PositionClosed,
    PositionOpened,
    TradeExecuted,
    parse_agent_message,
    parse_command,
)

SPEC_EVENTS = {
    "position_opened": """{
  "type": "position_opened",
  "timestamp": "2026-01-25T10:30:15Z",
  "data": {
    "ticket": 123456,
    "symbol": "BTCUSD",
    "type": "buy",
    "lots": 0.1,
    "open_price": 89450.00,
    "stop_loss": 89150.00,
    "take_profit": 89850.00,
    "magic_number": 42,
    "comment": "Manual trade"
  }
}""",
    "position_closed": """{
  "type": "position_closed",
  "timestamp": "2026-01-25T11:45:20Z",
  "data": {
    "ticket": 123456,
    "close_price": 89650.00,
    "profit": 200.00,
    "commission": -2.50,
    "swap": 0.00,
    "net_profit": 197.50
  }
}""",
    "account_update": """{
  "type": "account_update",
  "timestamp": "2026-01-25T10:30:15Z",
  "data": {
    "balance": 10000.00,
    "equity": 10197.50,
    "margin": 895.00,
    "margin_free": 9302.50,
    "margin_level": 1139.27
  }
}""",
    "heartbeat": """{
  "type": "heartbeat",
  "timestamp": "2026-01-25T10:30:15Z",
  "agent_id": "agent_1",
  "status": "connected"
}""",
    "trade_executed": """{
  "type": "trade_executed",
  "request_id": "uuid-1234",
  "success": true,
  "data": {
    "ticket": 123457,
    "open_price": 89450.00
  }
}""",
}

SPEC_COMMANDS = {
    "execute_trade": """{
  "command": "execute_trade",
  "request_id": "uuid-1234",
  "data": {
    "symbol": "BTCUSD",
    "type": "buy",
    "lots": 0.1,
    "stop_loss": 89150.00,
    "take_profit": 89850.00,
    "comment": "From trading-platform"
  }
}""",
    "modify_position": """{
  "command": "modify_position",
  "request_id": "uuid-1235",
  "data": {
    "ticket": 123456,
    "stop_loss": 89200.00,
    "take_profit": 89900.00
  }
}""",
    "close_position": """{
  "command": "close_position",
  "request_id": "uuid-1236",
  "data": {
    "ticket": 123456
  }
}""",
}


def test_position_opened_example_keeps_every_field() -> None:
    msg = parse_agent_message(SPEC_EVENTS["position_opened"])
    assert isinstance(msg, PositionOpened)
    assert msg.data.ticket == 123456
    assert msg.data.symbol == "BTCUSD"
    assert msg.data.type == "buy"
    assert msg.data.lots == 0.1
    assert msg.data.open_price == 89450.0
    assert msg.data.stop_loss == 89150.0
    assert msg.data.take_profit == 89850.0
    assert msg.data.magic_number == 42
    assert msg.data.comment == "Manual trade"


def test_position_closed_example() -> None:
    msg = parse_agent_message(SPEC_EVENTS["position_closed"])
    assert isinstance(msg, PositionClosed)
    assert (msg.data.profit, msg.data.commission, msg.data.net_profit) == (200.0, -2.5, 197.5)


def test_account_update_example() -> None:
    msg = parse_agent_message(SPEC_EVENTS["account_update"])
    assert isinstance(msg, AccountUpdate)
    assert msg.data.margin_level == 1139.27


def test_heartbeat_example_is_flat() -> None:
    msg = parse_agent_message(SPEC_EVENTS["heartbeat"])
    assert isinstance(msg, Heartbeat)
    assert msg.agent_id == "agent_1"
    assert msg.status == "connected"


def test_trade_executed_example() -> None:
    msg = parse_agent_message(SPEC_EVENTS["trade_executed"])
    assert isinstance(msg, TradeExecuted)
    assert msg.success and msg.data is not None
    assert (msg.data.ticket, msg.data.open_price) == (123457, 89450.0)


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("execute_trade", ExecuteTrade),
        ("modify_position", ModifyPosition),
        ("close_position", ClosePosition),
    ],
)
def test_spec_commands_parse(name: str, cls: type) -> None:
    cmd = parse_command(SPEC_COMMANDS[name])
    assert isinstance(cmd, cls)
    # Nothing the spec wrote is lost: every key it gave survives a dump.
    dumped = json.loads(cmd.model_dump_json())
    original = json.loads(SPEC_COMMANDS[name])
    for key, value in original["data"].items():
        assert dumped["data"][key] == value
    assert dumped["request_id"] == original["request_id"]


def test_spec_examples_round_trip_to_equal_json() -> None:
    for raw in SPEC_EVENTS.values():
        msg = parse_agent_message(raw)
        again = parse_agent_message(msg.model_dump_json())
        assert again == msg
