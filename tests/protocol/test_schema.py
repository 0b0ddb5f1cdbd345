from __future__ import annotations

import json
import subprocess
import sys

from gateway_core.protocol.schema import build_schema, checked_in_schema, render_schema


def test_checked_in_schema_matches_models() -> None:
    assert checked_in_schema() == render_schema(), (
        "gateway_core/protocol/schema.json is out of date: run "
        "`mt4-gateway schema > gateway_core/protocol/schema.json`"
    )


def test_schema_covers_every_message() -> None:
    schema = build_schema()
    defs = schema["$defs"]
    for name in ("Hello", "Snapshot", "PositionOpened", "PositionPartiallyClosed",
                 "OrderTriggered", "Quote", "SymbolInfo", "TradeExecuted", "CommandResult",
                 "ExecuteTrade", "CloseAll", "GetSnapshot", "ErrorMessage", "AgentStatusNotice"):
        assert name in defs, name
    assert schema["protocol_version"] == 1


def test_cli_prints_the_schema() -> None:
    out = subprocess.run([sys.executable, "-m", "gateway_core.cli", "schema"],
                         capture_output=True, text=True, check=True, timeout=60)
    assert json.loads(out.stdout) == json.loads(checked_in_schema())
