"""Connects demo terminals to a gateway over the real WebSocket path.

The thin asyncio shell around `DemoTerminal`: one task per terminal opens
`ws://HOST:PORT/mt4/{agent_id}` with the local token, feeds received commands in, sends what
the terminal produces, and reconnects with capped exponential backoff and jitter when the
connection drops. The terminal (and so its account, orders and reply cache) outlives its
connections, just like a real terminal whose EA reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from .clock import Clock, SystemClock
from .terminal import DemoTerminal, TerminalConfig

log = logging.getLogger(__name__)

FIRST_LOGIN = 5_000_001


def agent_ids(count: int, prefix: str = "demo-") -> list[str]:
    """The agent ids a fleet of `count` terminals uses: demo-1 .. demo-N."""
    return [f"{prefix}{i}" for i in range(1, count + 1)]


def agent_url(url_base: str, agent_id: str) -> str:
    """`ws://host:port` (or `ws://host:port/mt4`) plus the agent id -> the EA endpoint."""
    base = url_base.rstrip("/")
    if not base.endswith("/mt4"):
        base += "/mt4"
    return f"{base}/{agent_id}"


def open_connection(url: str, token: str) -> connect:
    """Connect the way the EA does: Bearer token, no Origin, no compression (MQL4 has no
    zlib). Use as `async with open_connection(url, token) as ws:`."""
    return connect(
        url,
        additional_headers={"Authorization": f"Bearer {token}"},
        compression=None,
        # The gateway is local; a proxy from the environment must not get in between.
        proxy=None,
        open_timeout=10,
        max_size=16 * 1024 * 1024,
    )


@dataclass(slots=True)
class Backoff:
    """Capped exponential backoff with jitter, so N terminals do not reconnect in lockstep."""

    base: float = 0.5
    cap: float = 30.0
    rng: random.Random | None = None
    attempt: int = 0

    def next_delay(self) -> float:
        ceiling = min(self.cap, self.base * 2.0**self.attempt)
        self.attempt += 1
        rng = self.rng or random
        # "Equal jitter": at least half the ceiling, so the delay still grows.
        return ceiling / 2.0 + rng.uniform(0.0, ceiling / 2.0)

    def reset(self) -> None:
        self.attempt = 0


class TerminalLink:
    """Keeps one demo terminal connected to the gateway for as long as it runs."""

    def __init__(
        self,
        terminal: DemoTerminal,
        url: str,
        token: str,
        *,
        backoff: Backoff | None = None,
    ) -> None:
        self.terminal = terminal
        self.url = url
        self._token = token
        self._backoff = backoff or Backoff()
        self.connections = 0
        """Sessions established so far (a reconnect makes it 2)."""
        self.connected = asyncio.Event()
        self.last_error: str | None = None
        self._stopping = asyncio.Event()

    def request_stop(self) -> None:
        """Finish cleanly: close the connection with 1000 and end `run()`."""
        self._stopping.set()

    async def run(self) -> None:
        """Connect, serve, reconnect; returns after `request_stop()` (or when cancelled)."""
        agent = self.terminal.agent_id
        while not self._stopping.is_set():
            try:
                async with open_connection(self.url, self._token) as ws:
                    self.connections += 1
                    self._backoff.reset()
                    self.last_error = None
                    log.info("%s: connected to %s", agent, self.url)
                    await self._session(ws)
            except (OSError, TimeoutError, WebSocketException) as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
            finally:
                self.connected.clear()
                self.terminal.disconnect()
            if self._stopping.is_set():
                break
            delay = self._backoff.next_delay()
            log.info("%s: disconnected (%s); retrying in %.2fs", agent, self.last_error, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)
        log.info("%s: stopped", agent)

    async def _session(self, ws: ClientConnection) -> None:
        """Until the connection drops (raises) or a stop is requested (returns)."""
        terminal = self.terminal
        terminal.connect()
        await self._flush(ws)
        self.connected.set()
        # recv() stays pending across loop turns (cancelling it each time is wasted work);
        # the stop event is awaited alongside so a stop leaves through the normal path and
        # the connection closes with 1000 rather than 1011.
        receiving: asyncio.Future[str | bytes] | None = None
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            while True:
                if receiving is None:
                    receiving = asyncio.ensure_future(ws.recv())
                waiting: set[asyncio.Future[Any]] = {receiving, stopping}
                done, _ = await asyncio.wait(
                    waiting,
                    timeout=terminal.seconds_until_due(),
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if stopping in done:
                    return
                if receiving in done:
                    raw = receiving.result()  # ConnectionClosed ends the session
                    receiving = None
                    terminal.receive_text(raw)
                terminal.poll()
                await self._flush(ws)
        finally:
            for pending in (receiving, stopping):
                if pending is not None and not pending.done():
                    pending.cancel()
                    with contextlib.suppress(asyncio.CancelledError, WebSocketException):
                        await pending

    async def _flush(self, ws: ClientConnection) -> None:
        for frame in self.terminal.data_to_send():
            await ws.send(frame)


class DemoFleet:
    """N demo terminals `demo-1..demo-N`, each on its own connection to the gateway.

    `async with DemoFleet(...)` or `await start()` / `await stop()`.
    """

    def __init__(
        self,
        url_base: str,
        token: str,
        count: int,
        *,
        seed: int | None = None,
        tick_interval: float = 0.25,
        manual_trade_rate: float = 0.05,
        heartbeat_interval: float = 5.0,
        first_login: int = FIRST_LOGIN,
        agent_prefix: str = "demo-",
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        clock: Clock | None = None,
        template: TerminalConfig | None = None,
    ) -> None:
        """`template` overrides defaults for every terminal (agent id and login are set
        per terminal); `seed` makes every terminal's market and trader reproducible."""
        self.url_base = url_base
        self._clock = clock or SystemClock()
        base = template or TerminalConfig(agent_id="demo-0", login=first_login)
        self.links: dict[str, TerminalLink] = {}
        for i, agent_id in enumerate(agent_ids(count, agent_prefix)):
            config = replace(
                base,
                agent_id=agent_id,
                login=first_login + i,
                tick_interval=tick_interval,
                manual_trade_rate=manual_trade_rate,
                heartbeat_interval=heartbeat_interval,
            )
            # One generator per terminal: adding a terminal does not change the others.
            rng = random.Random(f"{seed}/{agent_id}") if seed is not None else random.Random()
            terminal = DemoTerminal(config, clock=self._clock, rng=rng)
            backoff = Backoff(base=backoff_base, cap=backoff_cap, rng=rng)
            url = agent_url(url_base, agent_id)
            self.links[agent_id] = TerminalLink(terminal, url, token, backoff=backoff)
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def agent_ids(self) -> list[str]:
        return list(self.links)

    @property
    def terminals(self) -> dict[str, DemoTerminal]:
        return {agent: link.terminal for agent, link in self.links.items()}

    def connected_agents(self) -> list[str]:
        return [agent for agent, link in self.links.items() if link.connected.is_set()]

    async def start(self) -> None:
        if self._tasks:
            return
        for agent, link in self.links.items():
            self._tasks.append(asyncio.create_task(link.run(), name=f"demo-terminal:{agent}"))
        log.info("demo fleet: %d terminals -> %s", len(self.links), self.url_base)

    async def wait_connected(self, agents: Sequence[str] | None = None) -> None:
        """Until every given (default: every) terminal has a live connection.
        Wrap in asyncio.wait_for / asyncio.timeout: it waits as long as it takes."""
        for agent in agents or self.agent_ids:
            await self.links[agent].connected.wait()

    async def stop(self, grace: float = 5.0) -> None:
        """Close every connection cleanly (code 1000) and end the tasks; whatever is still
        busy after `grace` seconds (say, a handshake to a dead host) is cancelled."""
        tasks, self._tasks = self._tasks, []
        if not tasks:
            return
        for link in self.links.values():
            link.request_stop()
        try:
            _, late = await asyncio.wait(tasks, timeout=grace)
        except asyncio.CancelledError:
            # Cancelled while stopping (a caller that cancels instead of waiting): end the
            # terminals the hard way rather than leave their tasks running unowned.
            for task in tasks:
                task.cancel()
            raise
        for task in late:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def __aenter__(self) -> DemoFleet:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()


async def run_demo_terminals(
    url_base: str,
    token: str,
    count: int,
    *,
    seed: int | None = None,
    tick_interval: float = 0.25,
    manual_trade_rate: float = 0.05,
    heartbeat_interval: float = 5.0,
    stop: asyncio.Event,
) -> None:
    """Run `count` demo terminals against the gateway at `url_base` until `stop` is set."""
    fleet = DemoFleet(
        url_base,
        token,
        count,
        seed=seed,
        tick_interval=tick_interval,
        manual_trade_rate=manual_trade_rate,
        heartbeat_interval=heartbeat_interval,
    )
    await fleet.start()
    try:
        await stop.wait()
    finally:
        await fleet.stop()
