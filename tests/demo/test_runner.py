"""Demo terminals over real loopback WebSockets against a minimal stand-in gateway."""

from __future__ import annotations

import asyncio
import random

import pytest

from gateway_core.demo.runner import (
    Backoff,
    DemoFleet,
    agent_ids,
    agent_url,
    run_demo_terminals,
)

from .fake_gateway import TIMEOUT, TOKEN, FakeGateway


def fleet_for(gateway: FakeGateway, count: int = 1, token: str = TOKEN) -> DemoFleet:
    return DemoFleet(
        gateway.url,
        token,
        count,
        seed=1,
        tick_interval=0.05,
        manual_trade_rate=0.0,
        backoff_base=0.01,
        backoff_cap=0.05,
    )


@pytest.mark.asyncio
async def test_connects_with_token_and_trades(gateway: FakeGateway) -> None:
    async with fleet_for(gateway) as fleet:
        session = await gateway.next_session()
        assert session.path == "/mt4/demo-1"
        hello = await session.next_of("hello")
        assert hello.data.agent_id == "demo-1" and hello.data.account_login == 5000001
        await session.next_of("snapshot")
        await asyncio.wait_for(fleet.wait_connected(), TIMEOUT)
        assert fleet.connected_agents() == ["demo-1"]

        await session.command(
            command="execute_trade",
            request_id="t-1",
            data={"symbol": "EURUSD", "type": "buy", "lots": 0.1},
        )
        opened = await session.next_of("position_opened")
        reply = await session.next_of("trade_executed")
        assert reply.request_id == "t-1" and reply.success
        assert reply.data.ticket == opened.data.ticket
        # the market keeps ticking: live P/L follows
        await session.next_of("positions_update")
    assert gateway.refused.empty()


@pytest.mark.asyncio
async def test_reconnects_after_the_server_closes(gateway: FakeGateway) -> None:
    async with fleet_for(gateway) as fleet:
        first = await gateway.next_session()
        await first.next_of("snapshot")
        await first.command(
            command="execute_trade",
            request_id="t-1",
            data={"symbol": "XAUUSD", "type": "sell", "lots": 0.2},
        )
        ticket = (await first.next_of("trade_executed")).data.ticket

        await first.ws.close(1012, "restarting")
        second = await gateway.next_session()
        await second.next_of("hello")
        snapshot = await second.next_of("snapshot")
        # the terminal outlives its connection: the position is still there
        assert [p.ticket for p in snapshot.data.positions] == [ticket]
        assert fleet.links["demo-1"].connections == 2

        # and a retried command on the new connection is answered, not executed again
        await second.command(
            command="execute_trade",
            request_id="t-1",
            data={"symbol": "XAUUSD", "type": "sell", "lots": 0.2},
        )
        again = await second.next_of("trade_executed")
        assert again.data.ticket == ticket
        assert len(fleet.terminals["demo-1"].broker.positions()) == 1


@pytest.mark.asyncio
async def test_wrong_token_is_retried_with_backoff(gateway: FakeGateway) -> None:
    async with fleet_for(gateway, token="wrong") as fleet:
        for _ in range(3):  # refused, and tried again, and again
            assert await asyncio.wait_for(gateway.refused.get(), TIMEOUT) == "token"
        link = fleet.links["demo-1"]
        assert link.connections == 0 and not link.connected.is_set()
        assert link.last_error is not None and "401" in link.last_error
    assert gateway.sessions.empty()


@pytest.mark.asyncio
async def test_run_demo_terminals_until_stopped(gateway: FakeGateway) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_demo_terminals(
            gateway.url, TOKEN, 3, seed=7, tick_interval=0.05, manual_trade_rate=0.0, stop=stop
        )
    )
    sessions = [await gateway.next_session() for _ in range(3)]
    logins = sorted([(await s.next_of("hello")).data.account_login for s in sessions])
    assert sorted(s.path for s in sessions) == ["/mt4/demo-1", "/mt4/demo-2", "/mt4/demo-3"]
    assert logins == [5000001, 5000002, 5000003]
    stop.set()
    await asyncio.wait_for(task, TIMEOUT)
    for s in sessions:
        await asyncio.wait_for(s.closed.wait(), TIMEOUT)
        assert s.ws.close_code == 1000


def test_agent_ids_and_urls() -> None:
    assert agent_ids(3) == ["demo-1", "demo-2", "demo-3"]
    assert agent_url("ws://127.0.0.1:8090", "demo-2") == "ws://127.0.0.1:8090/mt4/demo-2"
    assert agent_url("ws://127.0.0.1:8090/mt4/", "demo-2") == "ws://127.0.0.1:8090/mt4/demo-2"


def test_backoff_grows_to_a_cap_with_jitter() -> None:
    backoff = Backoff(base=0.5, cap=8.0, rng=random.Random(1))
    delays = [backoff.next_delay() for _ in range(10)]
    ceilings = [min(8.0, 0.5 * 2**i) for i in range(10)]
    for delay, ceiling in zip(delays, ceilings, strict=True):
        assert ceiling / 2 <= delay <= ceiling
    assert len(set(delays)) == len(delays)  # jittered, not lockstep
    backoff.reset()
    assert backoff.next_delay() <= 0.5


@pytest.mark.asyncio
async def test_cancelled_while_stopping_leaves_no_tasks_behind(gateway: FakeGateway) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(run_demo_terminals(gateway.url, TOKEN, 2, stop=stop))
    sessions = [await gateway.next_session() for _ in range(2)]
    for s in sessions:
        await s.next_of("hello")
    stop.set()
    await asyncio.sleep(0)  # let it begin stopping, then cancel it like an impatient caller
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    left = [t for t in asyncio.all_tasks() if t.get_name().startswith("demo-terminal:")]
    await asyncio.wait_for(asyncio.gather(*left, return_exceptions=True), TIMEOUT)
    assert all(t.done() for t in left)
    for s in sessions:
        await asyncio.wait_for(s.closed.wait(), TIMEOUT)
