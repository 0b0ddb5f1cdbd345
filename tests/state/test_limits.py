"""Per-terminal limits: refused before they are applied, so a snapshot always builds."""

from __future__ import annotations

import json
from typing import Any

from gateway_core.protocol import parse_agent_message
from gateway_core.protocol.common import MAX_POSITIONS
from gateway_core.state.agent_state import AgentState

from ..protocol.samples import EVENTS


def _loaded() -> tuple[AgentState, Any]:
    state = AgentState("s")
    snap = parse_agent_message(json.dumps(EVENTS["snapshot"]))
    state.apply(snap)  # type: ignore[arg-type]
    return state, snap


def test_position_past_the_limit_is_refused_before_apply() -> None:
    state, _ = _loaded()
    one = next(iter(state.positions.values()))
    for t in range(1, MAX_POSITIONS + 1):
        state.positions[t] = one.model_copy(update={"ticket": t})
    extra = dict(EVENTS["position_opened"])
    extra["data"] = dict(extra["data"], ticket=MAX_POSITIONS + 5)
    event = parse_agent_message(json.dumps(extra))
    assert state.over_limit(event) is not None  # type: ignore[arg-type]
    # A ticket already held is an update, not growth.
    same = dict(extra, data=dict(extra["data"], ticket=3))
    assert state.over_limit(parse_agent_message(json.dumps(same))) is None  # type: ignore[arg-type]


def test_snapshot_building_is_total_for_accepted_state() -> None:
    from gateway_core.protocol import parse_agent_message

    state = AgentState("s")
    snap = parse_agent_message(json.dumps(EVENTS["snapshot"]))
    state.apply(snap)  # type: ignore[arg-type]
    one = next(iter(state.positions.values()))
    for t in range(1, MAX_POSITIONS + 1):
        state.positions[t] = one.model_copy(update={"ticket": t})
    built = state.snapshot(snap.timestamp)
    assert built is not None
    assert len(json.loads(built.model_dump_json())["data"]["positions"]) == MAX_POSITIONS
