from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from typing import Any

import pytest
import pytest_asyncio
from websockets.asyncio.client import ClientConnection, connect

from gateway_core.server import Gateway, GatewayConfig

TOKEN = "test-token-0123456789abcdef"


@dataclass
class Running:
    gateway: Gateway
    port: int

    @property
    def base(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def agent(self, agent_id: str, token: str | None = TOKEN, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return connect(f"{self.base}/mt4/{agent_id}", additional_headers=headers,
                       open_timeout=5, **kw)

    def client(self, token: str | None = TOKEN, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return connect(f"{self.base}/commands", additional_headers=headers,
                       open_timeout=5, **kw)


BASE_CONFIG = GatewayConfig(token=TOKEN, port=0, heartbeat_interval=5.0, trade_timeout=2.0,
                            query_timeout=1.0, supervise_every=0.05)


@pytest.fixture
def config() -> GatewayConfig:
    return BASE_CONFIG


@pytest_asyncio.fixture
async def gw(config: GatewayConfig) -> AsyncIterator[Running]:
    gateway = Gateway(config)
    port = await gateway.start()
    try:
        yield Running(gateway, port)
    finally:
        await gateway.stop()


def with_config(**changes: Any) -> Any:
    """Parametrize the `config` fixture for one test."""
    return pytest.mark.parametrize("config", [replace(BASE_CONFIG, **changes)])


async def recv_json(ws: ClientConnection, timeout: float = 5.0) -> dict[str, Any]:
    raw = await asyncio.wait_for(ws.recv(), timeout)
    obj: dict[str, Any] = json.loads(raw)
    return obj


async def recv_until(ws: ClientConnection, pred: Callable[[dict[str, Any]], bool],
                     timeout: float = 5.0) -> dict[str, Any]:
    """Next message matching `pred`, skipping others; fails after `timeout` seconds."""
    async def loop() -> dict[str, Any]:
        while True:
            msg = json.loads(await ws.recv())
            if pred(msg):
                return msg  # type: ignore[no-any-return]
    return await asyncio.wait_for(loop(), timeout)


def of_type(t: str, **fields: Any) -> Callable[[dict[str, Any]], bool]:
    return lambda m: m.get("type") == t and all(m.get(k) == v for k, v in fields.items())

