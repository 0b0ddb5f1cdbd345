"""Simulated MT4 terminals that speak the EA's wire protocol (`mt4-gateway serve --demo N`).

The simulation (market, broker, terminal) is plain synchronous code driven by an injected
clock and random generator; `runner` is the thin asyncio layer that connects it to a gateway,
`loadgen` streams events as fast as asked for benchmarks.
"""

from .broker import Broker, BrokerConfig
from .clock import Clock, SystemClock
from .loadgen import LoadStats, run_load, stream_events
from .market import DEFAULT_SYMBOLS, Market, SymbolSpec
from .orders import BrokerError
from .runner import (
    FIRST_LOGIN,
    Backoff,
    DemoFleet,
    TerminalLink,
    agent_ids,
    agent_url,
    run_demo_terminals,
)
from .terminal import DemoTerminal, TerminalConfig

__all__ = [
    "DEFAULT_SYMBOLS",
    "FIRST_LOGIN",
    "Backoff",
    "Broker",
    "BrokerConfig",
    "BrokerError",
    "Clock",
    "DemoFleet",
    "DemoTerminal",
    "LoadStats",
    "Market",
    "SymbolSpec",
    "SystemClock",
    "TerminalConfig",
    "TerminalLink",
    "agent_ids",
    "agent_url",
    "run_demo_terminals",
    "run_load",
    "stream_events",
]
