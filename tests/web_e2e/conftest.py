"""One real chain per test module (platform-backend serve <- mt4-gateway serve --demo 2)
and one Chromium per module: the browser tests share them to keep the suite short."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import Browser, async_playwright
from websockets.asyncio.client import connect

from ..e2e_platform.harness import (
    LOCAL_TOKEN,
    Backend,
    GatewayProc,
    issue_token,
    wait_for_async,
)
from .browser import launch, require_browser_and_panel

OWNER = "42"


@dataclass
class Chain:
    tmp: Path
    backend: Backend
    gateway: GatewayProc

    @property
    def url(self) -> str:
        return self.backend.http_url

    async def restart_backend(self, while_down: Any = None) -> None:
        """Stop the backend, run `while_down()` (if given), start it again on the same port
        and database."""
        self.backend.terminate()
        if while_down is not None:
            await while_down()
        self.backend = Backend(self.tmp, port=self.backend.port, db=self.backend.db)
        await self.backend.start_ready()

    async def command(self, agent_id: str, command: str, data: dict[str, Any],
                      timeout: float = 20.0) -> tuple[dict[str, Any], float]:
        """Run a command in the terminal through the gateway's local /commands door, as a
        local tool would; returns the reply and the monotonic time it arrived."""
        rid = f"local-{time.monotonic_ns()}"
        async with connect(f"ws://127.0.0.1:{self.gateway.port}/commands",
                           additional_headers={"Authorization": f"Bearer {LOCAL_TOKEN}"},
                           proxy=None, max_size=None) as ws:
            await ws.send(json.dumps({"command": command, "request_id": rid,
                                      "agent_id": agent_id, "data": data}))
            async with asyncio.timeout(timeout):
                while True:
                    msg = json.loads(await ws.recv())
                    if msg.get("request_id") == rid:
                        return msg, time.monotonic()

    async def wait_terminals(self, count: int, timeout: float = 30.0) -> None:
        """Until the gateway has `count` terminals connected (the demo ones connect just
        after the gateway starts listening)."""

        async def ready() -> bool:
            return int((await self.gateway.health()).get("active_agents", 0)) >= count

        await wait_for_async(ready, timeout, f"{count} terminals at the gateway")


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def chain(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Chain]:
    require_browser_and_panel()
    tmp = tmp_path_factory.mktemp("web-chain")
    backend = Backend(tmp)
    await backend.start_ready()
    token_file = tmp / "platform-token"
    token_file.write_text(issue_token(OWNER, gateway_db=backend.db))
    gateway = GatewayProc(tmp, backend.gateway_url, token_file, demo=2, manual_rate=0)
    await gateway.start_ready()
    made = Chain(tmp, backend, gateway)
    try:
        await made.wait_terminals(2)
        yield made
    finally:
        made.gateway.terminate()
        made.backend.terminate()


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def browser() -> AsyncIterator[Browser]:
    require_browser_and_panel()
    async with async_playwright() as pw:
        b = await launch(pw)
        try:
            yield b
        finally:
            await b.close()
