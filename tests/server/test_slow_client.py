"""One client that stops reading must not hold up the gateway or other clients."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.exceptions import ConnectionClosed

from ..protocol.samples import POSITION, TS
from .conftest import Running, of_type, recv_until, with_config

pytestmark = pytest.mark.asyncio


def big_snapshot(n_positions: int) -> str:
    positions = [{**POSITION, "ticket": 1000 + i} for i in range(n_positions)]
    return json.dumps({"type": "snapshot", "timestamp": TS, "data": {
        "account": {"balance": 1, "equity": 1, "margin": 0, "margin_free": 1,
                    "margin_level": 0}, "positions": positions}})


@with_config(client_queue=20)
async def test_stalled_client_is_dropped_and_others_keep_up(gw: Running) -> None:
    frame = big_snapshot(150)  # ~50 KB
    count = 400  # ~20 MB: more than loopback socket buffers hold
    async with gw.client(max_queue=1) as stalled, gw.client(max_size=None) as fast, \
            gw.agent("a1") as ea:
        await recv_until(fast, of_type("agent_status", status="connected"))

        async def read_all() -> int:
            seen = 0
            while seen < count:
                msg = json.loads(await fast.recv())
                if msg["type"] == "snapshot":
                    seen += 1
            return seen

        reader = asyncio.create_task(read_all())
        for _ in range(count):
            await ea.send(frame)
        assert await asyncio.wait_for(reader, 60) == count
        # The stalled client was cut off with a reason instead of growing memory forever.
        async def drain_until_closed() -> None:
            while True:
                await stalled.recv()

        with pytest.raises(ConnectionClosed) as exc:
            await asyncio.wait_for(drain_until_closed(), 30)
        assert exc.value.rcvd is not None
        assert exc.value.rcvd.code == 1008
        assert "too slow" in exc.value.rcvd.reason
