"""Load generation for benchmarks: simulated agents streaming events into a gateway.

Each agent connects like a demo terminal (hello, snapshot, symbol_info from a real
`DemoTerminal`), then streams `quote` and `positions_update` events, the hot path of a busy
terminal, at a given rate or as fast as the connection takes them. Frames are rendered by
the protocol models once; only the timestamp is refreshed per event, so the generator costs
little next to the gateway it measures, and a subscriber can compute agent-to-subscriber
latency from each event's `timestamp` (wall clock, microseconds).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from websockets.exceptions import WebSocketException

from ..protocol import PositionsUpdate, PositionsUpdateData, PositionTick, Quote, QuoteData
from .clock import SystemClock
from .runner import FIRST_LOGIN, agent_ids, agent_url, open_connection
from .terminal import DemoTerminal, TerminalConfig

log = logging.getLogger(__name__)

_SENTINEL = datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC)


@dataclass(slots=True)
class LoadStats:
    agent_id: str
    sent: int = 0
    """Events streamed after the connect sequence."""
    elapsed: float = 0.0
    error: str | None = None

    @property
    def rate(self) -> float:
        return self.sent / self.elapsed if self.elapsed > 0 else 0.0


class FrameTemplate:
    """A rendered event whose timestamp is filled in at send time."""

    def __init__(self, rendered: str) -> None:
        marker = _SENTINEL.isoformat().replace("+00:00", "Z")
        if rendered.count(marker) != 1:
            raise ValueError("the template must contain the sentinel timestamp exactly once")
        self._head, self._tail = rendered.split(marker)

    def render(self, now: datetime | None = None) -> str:
        stamp = (now or datetime.now(UTC)).isoformat()
        return f"{self._head}{stamp}{self._tail}"


def event_templates(terminal: DemoTerminal, count: int = 32) -> list[FrameTemplate]:
    """A varied set of quote and positions_update frames for `terminal`'s symbols."""
    rng = random.Random(terminal.agent_id)
    templates: list[FrameTemplate] = []
    symbols = terminal.market.symbols
    for i in range(count):
        symbol = symbols[i % len(symbols)]
        spec = terminal.market.spec(symbol)
        bid = spec.normalize(spec.start_bid * (1 + rng.uniform(-0.001, 0.001)))
        ask = spec.normalize(bid + spec.spread_points * spec.point)
        event: Quote | PositionsUpdate
        if i % 4 == 3:
            ticks = [
                PositionTick(
                    ticket=20_000_000 + i * 10 + k,
                    current_price=bid,
                    profit=round(rng.uniform(-200, 200), 2),
                )
                for k in range(3)
            ]
            event = PositionsUpdate(
                type="positions_update",
                timestamp=_SENTINEL,
                data=PositionsUpdateData(positions=ticks),
            )
        else:
            event = Quote(
                type="quote", timestamp=_SENTINEL, data=QuoteData(symbol=symbol, bid=bid, ask=ask)
            )
        templates.append(FrameTemplate(event.model_dump_json(exclude_none=True)))
    return templates


async def stream_events(
    url_base: str,
    token: str,
    agent_id: str,
    *,
    events_per_second: float | None = None,
    duration: float | None = None,
    max_events: int | None = None,
    stop: asyncio.Event | None = None,
    login: int = FIRST_LOGIN,
    yield_every: int = 64,
) -> LoadStats:
    """Connect one simulated agent and stream events until `duration` seconds passed,
    `max_events` were sent or `stop` is set (whichever first; none given: until cancelled).

    `events_per_second` None or 0 sends as fast as the connection accepts.
    """
    stats = LoadStats(agent_id)
    terminal = DemoTerminal(
        TerminalConfig(agent_id=agent_id, login=login),
        clock=SystemClock(),
        rng=random.Random(agent_id),
    )
    templates = event_templates(terminal)
    try:
        async with open_connection(agent_url(url_base, agent_id), token) as ws:
            terminal.connect()
            for frame in terminal.data_to_send():
                await ws.send(frame)
            started = time.monotonic()
            deadline = started + duration if duration is not None else None
            rate = events_per_second or 0.0
            n = len(templates)
            while True:
                now = time.monotonic()
                if (deadline is not None and now >= deadline) or (stop and stop.is_set()):
                    break
                if max_events is not None and stats.sent >= max_events:
                    break
                if rate > 0:
                    # Send whatever is due by now in one burst, then wait for the next one.
                    due = int((now - started) * rate) + 1 - stats.sent
                    if due <= 0:
                        await asyncio.sleep((stats.sent - (now - started) * rate) / rate)
                        continue
                else:
                    due = yield_every
                if max_events is not None:
                    due = min(due, max_events - stats.sent)
                stamp = datetime.now(UTC)
                for _ in range(due):
                    await ws.send(templates[stats.sent % n].render(stamp))
                    stats.sent += 1
                # Let other agents (and the gateway, when in-process) run between bursts.
                await asyncio.sleep(0)
            stats.elapsed = time.monotonic() - started
    except (OSError, TimeoutError, WebSocketException) as exc:
        stats.error = f"{type(exc).__name__}: {exc}"
        log.warning("%s: load stream ended: %s", agent_id, stats.error)
    return stats


async def run_load(
    url_base: str,
    token: str,
    agents: int,
    *,
    events_per_second: float | None = None,
    duration: float | None = None,
    max_events: int | None = None,
    stop: asyncio.Event | None = None,
    agent_prefix: str = "bench-",
    first_login: int = FIRST_LOGIN,
) -> list[LoadStats]:
    """`agents` simulated agents streaming at once; rates and limits are per agent."""
    ids: Sequence[str] = agent_ids(agents, agent_prefix)
    return list(
        await asyncio.gather(
            *(
                stream_events(
                    url_base,
                    token,
                    agent,
                    events_per_second=events_per_second,
                    duration=duration,
                    max_events=max_events,
                    stop=stop,
                    login=first_login + i,
                )
                for i, agent in enumerate(ids)
            )
        )
    )
