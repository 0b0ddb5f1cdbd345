"""The JSON Schema of every message, as checked in at `protocol/schema.json`.

EA authors and the web platform read the checked-in file; a test fails when the models
and the file drift apart, so `mt4-gateway schema > gateway_core/protocol/schema.json`
is part of every protocol change.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from pydantic import TypeAdapter

from .codec import AGENT_MESSAGE, COMMAND, NOTICE
from .common import PROTOCOL_VERSION

SCHEMA_FILE = "schema.json"


def build_schema() -> dict[str, Any]:
    keys, defs = TypeAdapter.json_schemas(
        [
            ("agent_message", "validation", AGENT_MESSAGE),
            ("command", "validation", COMMAND),
            ("gateway_notice", "serialization", NOTICE),
        ],
        title="MT4 Companion wire protocol",
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "MT4 Companion wire protocol",
        "protocol_version": PROTOCOL_VERSION,
        "description": (
            "agent_message: what an EA sends (events and replies); command: what clients "
            "send to an EA through the gateway; gateway_notice: what the gateway itself sends."
        ),
        "properties": {
            "agent_message": keys[("agent_message", "validation")],
            "command": keys[("command", "validation")],
            "gateway_notice": keys[("gateway_notice", "serialization")],
        },
        "$defs": defs.get("$defs", {}),
    }


def render_schema() -> str:
    return json.dumps(build_schema(), indent=2, sort_keys=True) + "\n"


def checked_in_schema() -> str:
    return resources.files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
