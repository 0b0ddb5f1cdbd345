"""Simulated MT4 terminals that speak the EA's wire protocol (`mt4-gateway serve --demo N`).

The simulation (market, broker, terminal) is plain synchronous code driven by an injected
clock and random generator; `runner` is the thin asyncio layer that connects it to a gateway.
"""
