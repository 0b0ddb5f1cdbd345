from __future__ import annotations

import json
from typing import Any

import pytest

from gateway_core.protocol import (
    NOTICE,
    AgentStatusNotice,
    ErrorMessage,
    Welcome,
    parse_agent_message,
    parse_command,
)

from .samples import COMMANDS, EVENTS, REPLIES


def _drop_nulls(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _drop_nulls(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list):
        return [_drop_nulls(v) for v in obj]
    return obj


@pytest.mark.parametrize("name", sorted(EVENTS) + sorted(REPLIES))
def test_agent_message_round_trip(name: str) -> None:
    raw = {**EVENTS, **REPLIES}[name]
    msg = parse_agent_message(json.dumps(raw).encode())
    assert msg.type == raw["type"]
    again = parse_agent_message(msg.model_dump_json(exclude_none=True))
    assert again == msg
    # What we send is what we were given (bar nulls and defaults we filled in).
    dumped = json.loads(msg.model_dump_json(exclude_none=True))
    _assert_contains(dumped, _drop_nulls(raw), path=name)


def _assert_contains(actual: Any, expected: Any, path: str) -> None:
    if isinstance(expected, dict):
        assert isinstance(actual, dict), path
        for k, v in expected.items():
            assert k in actual, f"{path}.{k} lost"
            _assert_contains(actual[k], v, f"{path}.{k}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), path
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            _assert_contains(a, e, f"{path}[{i}]")
    elif isinstance(expected, float | int) and not isinstance(expected, bool):
        assert actual == pytest.approx(expected), path
    else:
        assert actual == expected, path


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_command_round_trip(name: str) -> None:
    raw = COMMANDS[name]
    cmd = parse_command(json.dumps(raw))
    assert cmd.command == name
    assert parse_command(cmd.model_dump_json()) == cmd


def test_every_message_type_has_a_sample() -> None:
    from typing import get_args

    from gateway_core.protocol.codec import AgentMessage, Command

    union = get_args(get_args(AgentMessage)[0])
    types = {cls.model_fields["type"].annotation.__args__[0] for cls in union}
    assert types == {m["type"] for m in [*EVENTS.values(), *REPLIES.values()]}
    cunion = get_args(get_args(Command)[0])
    commands = {cls.model_fields["command"].annotation.__args__[0] for cls in cunion}
    assert commands == set(COMMANDS)


def test_gateway_notices_round_trip() -> None:
    notices = [
        ErrorMessage(type="error", code="invalid_json", message="bad", rejected="{x"),
        AgentStatusNotice(type="agent_status", agent_id="a", status="stale",
                          reason="no message for 15 s", timestamp="2026-01-25T10:30:15Z"),
        Welcome(type="welcome", protocol_version=1, gateway_version="0.1.0", agents=[]),
    ]
    for n in notices:
        assert NOTICE.validate_json(n.model_dump_json()) == n
