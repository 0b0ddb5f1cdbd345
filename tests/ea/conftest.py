from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from .harness import EaHost, FakeGateway, write_config


@pytest_asyncio.fixture
async def gateway() -> AsyncIterator[FakeGateway]:
    gw = FakeGateway()
    await gw.start()
    yield gw
    await gw.stop()
    assert not gw.invalid, "the EA sent messages the protocol rejects:\n" + "\n".join(gw.invalid)


@pytest_asyncio.fixture
async def ea(gateway: FakeGateway, tmp_path: Path) -> AsyncIterator[EaHost]:
    """The EA running in the host, connected to `gateway` and past hello + snapshot."""
    write_config(tmp_path, gateway.url, heartbeat_ms=5000)
    host = EaHost(tmp_path)
    await host.start()
    try:
        await gateway.wait_conn()
        await gateway.wait_type("snapshot", timeout=30)
        yield host
    finally:
        await host.stop()
