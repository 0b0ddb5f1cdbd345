"""Shared fixtures: a hand-moved clock, seeded terminals, and frame helpers."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gateway_core.demo.broker import Broker, BrokerConfig
from gateway_core.demo.market import Market
from gateway_core.demo.orders import Account
from gateway_core.demo.terminal import DemoTerminal, TerminalConfig
from gateway_core.protocol import AgentMessage, parse_agent_message

from .fake_gateway import gateway  # the fixture, for the socket tests

__all__ = ["gateway"]


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0
        self.wall0 = datetime(2026, 1, 25, 10, 30, 0, tzinfo=UTC)

    def monotonic(self) -> float:
        return self.t

    def now(self) -> datetime:
        return self.wall0 + timedelta(seconds=self.t - 1000.0)

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def pin_prices(market: Market) -> None:
    """Freeze the walk at round, known prices."""
    market.frozen = True
    market.set_bid("EURUSD", 1.10000, spread_points=10)
    market.set_bid("GBPUSD", 1.25000, spread_points=15)
    market.set_bid("USDJPY", 150.000, spread_points=10)
    market.set_bid("XAUUSD", 2000.00, spread_points=30)


@pytest.fixture
def make_broker(clock: FakeClock) -> Callable[..., Broker]:
    def make(balance: float = 10_000.0, **config: Any) -> Broker:
        rng = random.Random(7)
        market = Market(rng)
        pin_prices(market)
        account = Account(login=5000001, currency="USD", leverage=100, balance=balance)
        return Broker(market, clock, rng, account, BrokerConfig(**config))

    return make


@pytest.fixture
def broker(make_broker: Callable[..., Broker]) -> Broker:
    return make_broker()


@pytest.fixture
def make_terminal(clock: FakeClock) -> Callable[..., DemoTerminal]:
    def make(*, frozen: bool = True, seed: int = 1, **config: Any) -> DemoTerminal:
        cfg = TerminalConfig(agent_id="demo-1", login=5000001, **config)
        terminal = DemoTerminal(cfg, clock=clock, rng=random.Random(seed))
        if frozen:
            pin_prices(terminal.market)
        return terminal

    return make


@pytest.fixture
def terminal(make_terminal: Callable[..., DemoTerminal]) -> DemoTerminal:
    """A connected terminal with the connect sequence already drained."""
    t = make_terminal()
    t.connect()
    drain(t)
    return t


def drain(terminal: DemoTerminal) -> list[AgentMessage]:
    """Everything the terminal would send, each frame validated as the gateway would."""
    return [parse_agent_message(frame) for frame in terminal.data_to_send()]


def send(
    terminal: DemoTerminal, command: str, request_id: str = "r1", **data: Any
) -> list[AgentMessage]:
    frame = {"command": command, "request_id": request_id, "data": data}
    terminal.receive_text(json.dumps(frame, default=str))
    return drain(terminal)


def types(messages: list[AgentMessage]) -> list[str]:
    return [m.type for m in messages]


def reply_of(messages: list[AgentMessage]) -> Any:
    """The single reply in a batch of messages (asserts there is exactly one)."""
    replies = [m for m in messages if m.type in ("trade_executed", "command_result")]
    assert len(replies) == 1, types(messages)
    return replies[0]
