"""Hypothesis strategies for hostile frames: valid messages, then broken in every way the
issue lists (fields deleted, wrong types, huge and non-finite numbers, very long strings,
deep nesting, lone surrogates, NUL, duplicate keys, top-level arrays, agent id mismatches
including null)."""

from __future__ import annotations

import contextlib
import copy
import json
import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from ..protocol.samples import COMMANDS, EVENTS, REPLIES

LONG_RUN = os.environ.get("MT4C_FUZZ_LONG") == "1"
"""Nightly: `MT4C_FUZZ_LONG=1 scripts/test tests/fuzz` runs many more examples, random."""


def fuzz_settings(examples: int) -> settings:
    if LONG_RUN:
        return settings(max_examples=examples * 50, deadline=None, derandomize=False,
                        suppress_health_check=list(HealthCheck))
    return settings(max_examples=examples, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck), database=None)


json_scalars = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1e308, -1e308, 5e-324, 0.0, -0.0, 2**63, 2**64 - 1, -(2**63) - 1]),
    st.text(max_size=40),
    st.sampled_from(["", "\x00", "a\x00b", "\ud800", "x" * 5000, "\u202e", "<script>",
                     "mt4-123", "EURUSD", "2026-01-25T10:30:15Z", "buy"]),
)

json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=12,
)


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.append((*prefix, k))
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out.append((*prefix, i))
            out.extend(_paths(v, (*prefix, i)))
    return out


def _parent(obj: Any, path: tuple[Any, ...]) -> Any:
    for p in path[:-1]:
        obj = obj[p]
    return obj


@st.composite
def mutated(draw: st.DrawFn, samples: dict[str, dict[str, Any]]) -> str:
    """One frame: a valid sample, broken one way (or a few), as the text sent."""
    name = draw(st.sampled_from(sorted(samples)))
    msg = copy.deepcopy(samples[name])
    kind = draw(st.sampled_from([
        "delete", "retype", "retype", "add_key", "deep", "array", "dup_key", "agent_id",
        "huge_number", "long_string", "raw_bytes", "valid",
    ]))
    paths = _paths(msg)
    if kind == "delete" and paths:
        path = draw(st.sampled_from(paths))
        del _parent(msg, path)[path[-1]]
    elif kind == "retype" and paths:
        path = draw(st.sampled_from(paths))
        _parent(msg, path)[path[-1]] = draw(json_values)
    elif kind == "huge_number" and paths:
        path = draw(st.sampled_from(paths))
        _parent(msg, path)[path[-1]] = draw(st.sampled_from(
            [1e308, -1e308, 2**64 - 1, 2**63, -(2**63) - 1, 10**400]))
    elif kind == "long_string" and paths:
        path = draw(st.sampled_from(paths))
        _parent(msg, path)[path[-1]] = draw(st.sampled_from(
            ["x" * 1000, "x" * 100_000, "\x00" * 70, "\ud800" * 10, "é" * 600]))
    elif kind == "add_key":
        key = draw(st.sampled_from(["extra", "k" * 1000, "", "\x00", "type "]))
        msg[key] = draw(json_values)
    elif kind == "deep":
        depth = draw(st.sampled_from([50, 300, 5000]))
        return "[" * depth + "]" * depth if draw(st.booleans()) else (
            '{"a":' * depth + "1" + "}" * depth)
    elif kind == "array":
        return json.dumps([msg])
    elif kind == "dup_key":
        text = json.dumps(msg)
        tag = "type" if "type" in msg else "command"
        return text[:-1] + f', "{tag}": ' + json.dumps(draw(json_scalars)) + "}"
    elif kind == "agent_id":
        msg["agent_id"] = draw(st.sampled_from([None, "", "other", 7, ["x"], "a" * 65,
                                                "fz", "fz ", "FZ"]))
    elif kind == "raw_bytes":
        return draw(st.binary(max_size=64)).decode("utf-8", errors="replace")
    if draw(st.booleans()) and kind != "valid":
        # Sometimes a second break on top of the first.
        paths = _paths(msg)
        if paths:
            path = draw(st.sampled_from(paths))
            with_value = draw(json_values)
            with contextlib.suppress(KeyError, IndexError, TypeError):
                _parent(msg, path)[path[-1]] = with_value
    allow_nan = draw(st.booleans())
    if allow_nan and paths:
        path = draw(st.sampled_from(paths))
        with contextlib.suppress(KeyError, IndexError, TypeError):
            _parent(msg, path)[path[-1]] = draw(st.sampled_from(
                [float("nan"), float("inf"), float("-inf")]))
    text = json.dumps(msg, ensure_ascii=draw(st.booleans()))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate cannot travel in a text frame (invalid UTF-8 is the raw-socket
        # suite's case); as a JSON escape it can.
        text = json.dumps(msg)
    return text


agent_frames = mutated({**EVENTS, **REPLIES})
command_frames = mutated(COMMANDS)
