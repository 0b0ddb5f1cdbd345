"""The EA against the real gateway: `mt4-gateway serve` and the MQL4 host as subprocesses, a
/commands client checking what it receives. Also measures latencies (printed; run with -s)."""

from __future__ import annotations

import asyncio
import json
import random
import socket
import statistics
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from websockets.asyncio.client import ClientConnection, connect

from tests.e2e.gateway_process import run_gateway

from .harness import LOGIN, EaHost, needs_host, write_config

pytestmark = [needs_host, pytest.mark.asyncio]
AGENT = f"mt4-{LOGIN}"
Json = dict[str, Any]


class Client:
    """A /commands client that records everything with its arrival time."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.msgs: list[tuple[float, Json]] = []
        self.cond = asyncio.Condition()
        self._task = asyncio.create_task(self._read())
        self._n = 0

    async def _read(self) -> None:
        async for raw in self.ws:
            msg = json.loads(raw)
            async with self.cond:
                self.msgs.append((time.perf_counter(), msg))
                self.cond.notify_all()

    async def wait(
        self, pred: Callable[[Json], bool], timeout: float = 20, start: int = 0, what: str = ""
    ) -> tuple[float, Json]:
        async def _w() -> tuple[float, Json]:
            async with self.cond:
                while True:
                    for t, m in self.msgs[start:]:
                        if pred(m):
                            return t, m
                    await self.cond.wait()

        try:
            return await asyncio.wait_for(_w(), timeout)
        except TimeoutError:
            raise AssertionError(f"timed out waiting for {what}") from None

    async def command(self, command: str, data: Json | None = None) -> tuple[float, Json]:
        self._n += 1
        rid = f"e2e-{self._n}"
        start = len(self.msgs)
        msg: Json = {"command": command, "request_id": rid, "agent_id": AGENT}
        if data is not None:
            msg["data"] = data
        t0 = time.perf_counter()
        await self.ws.send(json.dumps(msg))
        t, reply = await self.wait(lambda m: m.get("request_id") == rid, 30, start, f"reply {rid}")
        return t - t0, reply

    async def close(self) -> None:
        await self.ws.close()
        self._task.cancel()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest_asyncio.fixture
async def system(tmp_path: Path) -> AsyncIterator[tuple[Any, EaHost, Client]]:
    with run_gateway(tmp_path, ["--port", str(free_port())]) as gw:
        write_config(tmp_path / "term", f"ws://127.0.0.1:{gw.port}/mt4", token=gw.token)
        host = EaHost(tmp_path / "term")
        await host.start()
        ws = await connect(
            f"ws://127.0.0.1:{gw.port}/commands",
            additional_headers={"Authorization": f"Bearer {gw.token}"},
        )
        client = Client(ws)
        try:
            await client.wait(
                lambda m: m.get("type") == "snapshot" and m.get("agent_id") == AGENT,
                40,
                what="the EA's snapshot",
            )
            yield gw, host, client
        finally:
            await client.close()
            await host.stop()


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


async def test_trades_and_latency_through_the_real_gateway(
    system: tuple[Any, EaHost, Client],
) -> None:
    _, host, client = system
    event_lat: list[float] = []
    for i in range(30):
        # random spacing so trades land at random points of the EA's 25 ms timer cycle
        await asyncio.sleep(random.uniform(0, 0.03))
        start = len(client.msgs)
        t0 = time.perf_counter()
        ans = await host.manual("open", symbol="EURUSD", type="buy" if i % 2 else "sell", lots=0.01)
        t, _ev = await client.wait(
            lambda m, a=ans: (
                m.get("type") == "position_opened" and m["data"]["ticket"] == a["ticket"]
            ),
            10,
            start,
            "opened",
        )
        event_lat.append(t - t0)
    rtt: list[float] = []
    for _ in range(30):
        await asyncio.sleep(random.uniform(0, 0.03))
        dt, reply = await client.command(
            "execute_trade", {"symbol": "EURUSD", "type": "buy", "lots": 0.01}
        )
        assert reply["success"] is True, reply
        rtt.append(dt)
    dt, reply = await client.command("close_all")
    assert reply["success"] is True and len(reply["data"]["closed"]) == 60
    bad = [m for _, m in client.msgs if m.get("type") == "error"]
    assert bad == []
    print(
        f"\nevent latency (manual trade -> /commands client, timer 25 ms): "
        f"p50 {statistics.median(event_lat) * 1000:.1f} ms, p99 {pct(event_lat, 99) * 1000:.1f} ms"
    )
    print(
        f"command round trip (client -> EA -> reply): p50 {statistics.median(rtt) * 1000:.1f} ms, "
        f"p99 {pct(rtt, 99) * 1000:.1f} ms"
    )
    assert pct(event_lat, 99) < 2 and pct(rtt, 99) < 2


async def test_failures_and_duplicates_through_the_real_gateway(
    system: tuple[Any, EaHost, Client],
) -> None:
    _, host, client = system
    _, r = await client.command("execute_trade", {"symbol": "EURUSD", "type": "buy", "lots": 0.015})
    assert r["error"]["code"] == "invalid_volume"
    await host.send(op="fail_next", error=138)
    _, r = await client.command("execute_trade", {"symbol": "EURUSD", "type": "buy", "lots": 0.1})
    assert r["success"] is True and r["data"]["attempts"] == 2
    # the same request id twice: one order
    msg = {
        "command": "execute_trade",
        "request_id": "twice-1",
        "agent_id": AGENT,
        "data": {"symbol": "EURUSD", "type": "sell", "lots": 0.1},
    }
    await client.ws.send(json.dumps(msg))
    await client.ws.send(json.dumps(msg))
    await client.wait(lambda m: m.get("request_id") == "twice-1", 20, what="reply")
    await client.command("get_snapshot")
    sells = [o for o in host.open_orders() if o["type"] == 1]
    assert len(sells) == 1


async def test_gateway_restart_the_ea_reconnects(tmp_path: Path) -> None:
    port = free_port()
    term = tmp_path / "term"
    (tmp_path / "a").mkdir()
    with run_gateway(tmp_path / "a", ["--port", str(port)]) as gw:
        write_config(term, f"ws://127.0.0.1:{port}/mt4", token=gw.token)
        token = gw.token
        host = EaHost(term)
        await host.start()
        try:
            ws = await connect(
                f"ws://127.0.0.1:{port}/commands",
                additional_headers={"Authorization": f"Bearer {token}"},
            )
            c1 = Client(ws)
            await c1.wait(lambda m: m.get("type") == "snapshot", 40, what="snapshot")
            ans = await host.manual("open", symbol="EURUSD", type="buy", lots=0.1)
            await c1.wait(lambda m: m.get("type") == "position_opened", 10, what="opened")
            await c1.close()
        except BaseException:
            await host.stop()
            raise
    try:
        await host.manual("close", ticket=ans["ticket"])  # while the gateway is down
        (tmp_path / "b").mkdir()
        with run_gateway(tmp_path / "b", ["--port", str(port)], token=token):
            ws = await connect(
                f"ws://127.0.0.1:{port}/commands",
                additional_headers={"Authorization": f"Bearer {token}"},
            )
            c2 = Client(ws)
            try:
                _, closed = await c2.wait(
                    lambda m: m.get("type") == "position_closed", 60, what="the catch-up close"
                )
                assert closed["data"]["ticket"] == ans["ticket"]
                _, _snap = await c2.wait(
                    lambda m: m.get("type") == "snapshot" and m["data"]["positions"] == [],
                    20,
                    what="the converged snapshot",
                )
                _, r = await c2.command("get_snapshot")
                assert r["success"] is True
            finally:
                await c2.close()
    finally:
        await host.stop()
