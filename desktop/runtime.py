"""The gateway and its companions as the app runs them: no Qt here, so the self-test,
the app and the tests start exactly the same thing."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from gateway_core.demo import DemoFleet
from gateway_core.server import Gateway, GatewayConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RuntimeOptions:
    token: str
    port: int = 8090
    host: str = "127.0.0.1"
    demo: int = 0
    demo_seed: int | None = None
    demo_trade_rate: float = 3.0 / 60
    """Pretend manual trades per second per demo terminal."""
    demo_tick_interval: float = 0.25
    heartbeat_interval: float = 5.0


class Runtime:
    """Owns the in-process gateway and, in demo mode, the demo terminals feeding it."""

    def __init__(self, options: RuntimeOptions) -> None:
        self.options = options
        self.gateway = Gateway(
            GatewayConfig(
                token=options.token,
                host=options.host,
                port=options.port,
                heartbeat_interval=options.heartbeat_interval,
            )
        )
        self.port: int | None = None
        self.fleet: DemoFleet | None = None

    @property
    def url_base(self) -> str:
        return f"ws://{self.options.host}:{self.port}"

    async def start(self) -> int:
        """Listen and start demo terminals; raises OSError when the port is taken."""
        self.port = await self.gateway.start()
        log.info("gateway listening on %s:%s", self.options.host, self.port)
        if self.options.demo:
            self.fleet = DemoFleet(
                self.url_base,
                self.options.token,
                self.options.demo,
                seed=self.options.demo_seed,
                tick_interval=self.options.demo_tick_interval,
                manual_trade_rate=self.options.demo_trade_rate,
                heartbeat_interval=self.options.heartbeat_interval,
            )
            await self.fleet.start()
        return self.port

    def set_token(self, token: str) -> None:
        """New connections must present `token`; connected EAs and clients stay connected."""
        self.gateway.set_token(token)

    async def stop(self) -> None:
        if self.fleet is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.fleet.stop(), 5)
        await self.gateway.stop()
        log.info("gateway stopped")
