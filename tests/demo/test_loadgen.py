"""The benchmark load generator against the stand-in gateway."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from gateway_core.demo.loadgen import FrameTemplate, event_templates, run_load, stream_events
from gateway_core.demo.terminal import DemoTerminal, TerminalConfig
from gateway_core.protocol import parse_agent_message

from .conftest import FakeClock
from .fake_gateway import TIMEOUT, TOKEN, FakeGateway


def test_templates_render_valid_events_with_fresh_timestamps() -> None:
    terminal = DemoTerminal(
        TerminalConfig(agent_id="bench-1", login=1), clock=FakeClock(), rng=None
    )  # type: ignore[arg-type]
    templates = event_templates(terminal)
    stamp = datetime(2026, 2, 1, 12, 0, 0, 123456, tzinfo=UTC)
    kinds = set()
    for template in templates:
        message = parse_agent_message(template.render(stamp))
        assert message.timestamp == stamp
        kinds.add(message.type)
    assert kinds == {"quote", "positions_update"}
    with pytest.raises(ValueError, match="sentinel"):
        FrameTemplate('{"type":"heartbeat"}')


@pytest.mark.asyncio
async def test_stream_a_fixed_number_of_events(gateway: FakeGateway) -> None:
    stats = await asyncio.wait_for(
        stream_events(gateway.url, TOKEN, "bench-1", max_events=500), TIMEOUT
    )
    assert (stats.sent, stats.error) == (500, None)
    session = await gateway.next_session()
    assert session.path == "/mt4/bench-1"
    await session.next_of("hello")
    await session.next_of("snapshot")
    await asyncio.wait_for(session.closed.wait(), TIMEOUT)
    streamed = []
    while not session.inbox.empty():
        streamed.append(session.inbox.get_nowait())
    streamed = [m for m in streamed if m.type in ("quote", "positions_update")]
    assert len(streamed) == 500  # every one parsed by parse_agent_message in the handler


@pytest.mark.asyncio
async def test_rate_limited_streams_from_several_agents(gateway: FakeGateway) -> None:
    results = await asyncio.wait_for(
        run_load(gateway.url, TOKEN, 3, events_per_second=200, duration=0.5), TIMEOUT
    )
    assert [r.agent_id for r in results] == ["bench-1", "bench-2", "bench-3"]
    for r in results:
        assert r.error is None
        # 200/s for 0.5 s: about 100 each; loose bounds for a busy CI machine
        assert 30 <= r.sent <= 130, r
        assert r.rate <= 260


@pytest.mark.asyncio
async def test_refused_stream_reports_the_error(gateway: FakeGateway) -> None:
    stats = await asyncio.wait_for(
        stream_events(gateway.url, "wrong", "bench-1", max_events=10), TIMEOUT
    )
    assert stats.sent == 0 and stats.error is not None and "401" in stats.error
