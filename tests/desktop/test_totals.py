"""Every total the main window shows equals the sum of its rows, after every tick that
comes through the real gateway from real demo terminals (the stale "floating" P/L bug:
the total moved only when rows came or went, not when prices moved)."""

from __future__ import annotations

import re

import pytest

from desktop.agents_model import COL_POSITIONS
from desktop.controller import Controller
from desktop.runtime import Runtime
from gateway_core.protocol import PositionsUpdate

from .conftest import live, until
from .test_live import open_trade

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(60)]

LABEL = re.compile(r"\((\d+)\).*floating.*?([+-][\d,]+\.\d\d)")


def shown_totals(ctl: Controller) -> tuple[int, float]:
    match = LABEL.search(ctl.window.positions_label.text())
    assert match, ctl.window.positions_label.text()
    return int(match.group(1)), float(match.group(2).replace(",", ""))


def mismatches(ctl: Controller) -> list[str]:
    """What the window shows against what its rows add up to, in words."""
    rows = ctl.positions.rows
    problems = []
    count, floating = shown_totals(ctl)
    want = round(sum(r.profit or 0.0 for r in rows), 2)
    if count != len(rows):
        problems.append(f"label says {count} positions, table has {len(rows)}")
    if abs(floating - want) > 0.005:
        problems.append(f"floating {floating:+.2f} but rows add up to {want:+.2f}")
    agents = ctl.agents
    for i, agent in enumerate(agents.rows):
        shown = agents.data(agents.index(i, COL_POSITIONS))
        mine = sum(1 for r in rows if r.agent_id == agent.agent_id)
        if shown != str(mine):
            problems.append(f"{agent.agent_id}: accounts table says {shown} positions, "
                            f"the positions table has {mine}")
    return problems


@live
async def test_every_total_equals_its_rows_after_each_tick(
    controller: Controller, runtime: Runtime
) -> None:
    seen: list[str] = []
    ticks = {"n": 0}

    def after_event(agent_id: str, event: object) -> None:
        # Connected after the controller: runs once the views have taken the event in.
        ticks["n"] += isinstance(event, PositionsUpdate)
        seen.extend(f"after {type(event).__name__}: {p}" for p in mismatches(controller))

    controller.bridge.gateway_event.connect(after_event)
    first = await open_trade(controller, "demo-1", "EURUSD", 0.3)
    await open_trade(controller, "demo-1", "GBPUSD", 0.2, "sell")
    await open_trade(controller, "demo-2", "EURUSD", 0.1)
    await until(lambda: len(controller.positions.rows) == 3, what="three rows")
    start = ticks["n"]
    await until(lambda: ticks["n"] >= start + 4, timeout=20, what="price ticks")
    moved = shown_totals(controller)[1]
    reply = await controller.actions.close(  # a row goes away mid-stream
        "demo-1", first)
    assert reply.success, reply.error
    await until(lambda: controller.positions.get(("demo-1", first)) is None, what="closed")
    start = ticks["n"]
    await until(lambda: ticks["n"] >= start + 4, timeout=20, what="more ticks")
    assert seen == []
    assert mismatches(controller) == []
    assert shown_totals(controller)[0] == 2
    # The total really moved with prices (a frozen total would pass the sums only by luck).
    assert moved != 0.0
