"""The protocol parsers are total: any JSON value or any bytes either parse into a model or
raise ProtocolError, and the error reply built from it always builds and serializes."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from gateway_core.protocol import (
    ProtocolError,
    parse_agent_message,
    parse_command,
)
from gateway_core.protocol.notices import ErrorMessage

from .mutations import agent_frames, command_frames, fuzz_settings, json_values


def _check_total(parse: Any, raw: str | bytes) -> None:
    try:
        parse(raw)
    except ProtocolError as exc:
        msg = exc.to_message("fz")
        text = msg.model_dump_json(exclude_none=True)
        # What the sender gets back is itself a valid gateway message.
        back = ErrorMessage.model_validate_json(text)
        assert back.code == exc.code  # noqa: PT017
        assert len(back.message) <= 1000 and len(back.rejected) <= 300


@fuzz_settings(300)
@given(json_values)
def test_any_json_value(value: Any) -> None:
    raw = json.dumps(value)
    _check_total(parse_agent_message, raw)
    _check_total(parse_command, raw)


@fuzz_settings(200)
@given(st.binary(max_size=300))
def test_any_bytes(raw: bytes) -> None:
    _check_total(parse_agent_message, raw)
    _check_total(parse_command, raw)


@fuzz_settings(400)
@given(agent_frames)
def test_mutated_agent_messages(raw: str) -> None:
    _check_total(parse_agent_message, raw)


@fuzz_settings(400)
@given(command_frames)
def test_mutated_commands(raw: str) -> None:
    _check_total(parse_command, raw)
