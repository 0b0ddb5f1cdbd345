"""Bad input is refused with a code a peer can act on, and names what was wrong."""

from __future__ import annotations

import json

import pytest

from gateway_core.protocol import ProtocolError, mt4_error, parse_agent_message, parse_command

from .samples import COMMANDS, EVENTS


def _code(raw: str | bytes, parser=parse_agent_message) -> tuple[str, str]:
    with pytest.raises(ProtocolError) as info:
        parser(raw)
    return info.value.code, info.value.message


def test_invalid_json() -> None:
    assert _code(b"{not json")[0] == "invalid_json"


def test_not_an_object() -> None:
    assert _code(b"[1, 2]")[0] == "invalid_message"


def test_missing_type() -> None:
    code, msg = _code(b'{"data": {}}')
    assert code == "invalid_message"
    assert "type" in msg


def test_unknown_type_named_in_the_message() -> None:
    code, msg = _code(b'{"type": "position_teleported", "timestamp": "2026-01-25T10:30:15Z"}')
    assert code == "unknown_type"
    assert "position_teleported" in msg


def test_schema_violation_names_the_field() -> None:
    bad = json.loads(json.dumps(EVENTS["position_opened"]))
    bad["data"]["lots"] = -1
    code, msg = _code(json.dumps(bad))
    assert code == "invalid_message"
    assert "lots" in msg


def test_unknown_field_is_refused() -> None:
    bad = json.loads(json.dumps(EVENTS["heartbeat"]))
    bad["surprise"] = 1
    code, msg = _code(json.dumps(bad))
    assert code == "invalid_message"
    assert "surprise" in msg


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_refused(literal: str) -> None:
    raw = json.dumps(EVENTS["account_update"]).replace("10000.0", literal)
    assert _code(raw)[0] in ("invalid_json", "invalid_message")


def test_timestamp_without_timezone_refused() -> None:
    raw = json.dumps(EVENTS["heartbeat"]).replace("2026-01-25T10:30:15Z", "2026.01.25 10:30:15")
    code, msg = _code(raw)
    assert code == "invalid_message"
    assert "timestamp" in msg


def test_pending_order_needs_price() -> None:
    bad = json.loads(json.dumps(COMMANDS["execute_trade"]))
    del bad["data"]["price"]
    code, msg = _code(json.dumps(bad), parse_command)
    assert code == "invalid_message"
    assert "price" in msg


def test_market_order_with_expiration_refused() -> None:
    bad = json.loads(json.dumps(COMMANDS["execute_trade"]))
    bad["data"]["type"] = "buy"
    code, _ = _code(json.dumps(bad), parse_command)
    assert code == "invalid_message"


def test_comment_longer_than_mt4_allows_refused() -> None:
    bad = json.loads(json.dumps(COMMANDS["execute_trade"]))
    bad["data"]["comment"] = "c" * 32
    assert _code(json.dumps(bad), parse_command)[0] == "invalid_message"


def test_modify_that_changes_nothing_refused() -> None:
    raw = json.dumps({"command": "modify_position", "request_id": "r", "data": {"ticket": 1}})
    code, msg = _code(raw, parse_command)
    assert code == "invalid_message"
    assert "nothing to modify" in msg


def test_rejected_command_echoes_request_id() -> None:
    with pytest.raises(ProtocolError) as info:
        parse_command(json.dumps({"command": "execute_trade", "request_id": "abc-1",
                                  "data": {"symbol": "EURUSD"}}))
    assert info.value.request_id == "abc-1"
    err = info.value.to_message()
    assert err.request_id == "abc-1"
    assert err.rejected.startswith('{"command"')


def test_request_id_with_unsafe_characters_refused() -> None:
    raw = json.dumps({"command": "get_snapshot", "request_id": "../../etc", "data": {}})
    assert _code(raw, parse_command)[0] == "invalid_message"


def test_failed_reply_must_say_why() -> None:
    raw = json.dumps({"type": "trade_executed", "request_id": "r", "success": False})
    assert _code(raw)[0] == "invalid_message"


def test_huge_rejected_input_is_truncated_in_the_error() -> None:
    with pytest.raises(ProtocolError) as info:
        parse_agent_message("x" * 100_000)
    assert len(info.value.to_message().rejected) <= 300


@pytest.mark.parametrize(
    ("number", "name"),
    [(138, "requote"), (146, "trade_context_busy"), (130, "invalid_stops"),
     (134, "not_enough_money"), (132, "market_closed"), (4109, "trading_not_allowed"),
     (135, "price_changed"), (136, "off_quotes"), (131, "invalid_volume")],
)
def test_mt4_errors_have_stable_names(number: int, name: str) -> None:
    assert mt4_error(number)[0] == name


def test_unknown_mt4_error_stays_visible() -> None:
    code, text = mt4_error(9999)
    assert code == "mt4_error"
    assert "9999" in text
