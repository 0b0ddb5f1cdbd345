"""`mt4-companion --self-test`: start the gateway on a free port with two demo terminals,
headless, and make a real trade round trip through `/commands` over a WebSocket: open a
demo trade, close it, print one line, exit 0 (or print why not and exit 1).

No Qt here: the packager runs it on build machines without a display.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from gateway_core import __version__

from .runtime import Runtime, RuntimeOptions

AGENT = "demo-1"
SYMBOL = "EURUSD"


async def _reply(ws: ClientConnection, request_id: str) -> dict[str, Any]:
    """Frames until the one reply to `request_id` (events stream in between)."""
    while True:
        msg: dict[str, Any] = json.loads(await ws.recv())
        if msg.get("request_id") == request_id and msg.get("type") in (
            "trade_executed", "command_result", "error"
        ):
            return msg


async def _round_trip(runtime: Runtime, token: str) -> str:
    assert runtime.fleet is not None
    await runtime.fleet.wait_connected()
    # The gateway knows a terminal's symbols only after its connect sequence arrived.
    while not all(  # noqa: ASYNC110 - the registry offers nothing to await for "synced"
        (a := runtime.gateway.registry.get(agent)) is not None and a.synced and SYMBOL in a.symbols
        for agent in runtime.fleet.agent_ids
    ):
        await asyncio.sleep(0.02)
    url = f"{runtime.url_base}/commands"
    async with connect(url, additional_headers={"Authorization": f"Bearer {token}"},
                       proxy=None, open_timeout=10) as ws:
        welcome = json.loads(await ws.recv())
        if welcome.get("type") != "welcome":
            raise RuntimeError(f"expected welcome, got {welcome.get('type')}")
        rid = f"selftest-open-{secrets.token_hex(4)}"
        await ws.send(json.dumps({"command": "execute_trade", "request_id": rid,
                                  "agent_id": AGENT,
                                  "data": {"symbol": SYMBOL, "type": "buy", "lots": 0.01,
                                           "comment": "self-test"}}))
        opened = await _reply(ws, rid)
        if not opened.get("success"):
            raise RuntimeError(f"open refused: {opened.get('error') or opened.get('message')}")
        ticket = opened["data"]["ticket"]
        rid = f"selftest-close-{secrets.token_hex(4)}"
        await ws.send(json.dumps({"command": "close_position", "request_id": rid,
                                  "agent_id": AGENT, "data": {"ticket": ticket}}))
        closed = await _reply(ws, rid)
        if not closed.get("success"):
            raise RuntimeError(f"close refused: {closed.get('error') or closed.get('message')}")
    return (f"opened #{ticket} buy 0.01 {SYMBOL} at {opened['data']['open_price']} on {AGENT} "
            f"and closed it at {closed['data']['close_price']}")


async def run(limit: float = 30.0) -> int:
    started = time.perf_counter()
    token = secrets.token_urlsafe(32)
    runtime = Runtime(RuntimeOptions(token=token, port=0, demo=2, demo_seed=7,
                                     demo_trade_rate=0.0, demo_tick_interval=0.1))
    try:
        port = await runtime.start()
        done = await asyncio.wait_for(_round_trip(runtime, token), limit)
    except Exception as exc:
        print(f"mt4-companion {__version__} self-test FAILED: {type(exc).__name__}: {exc}",
              flush=True)
        return 1
    finally:
        await runtime.stop()
    elapsed = time.perf_counter() - started
    print(f"mt4-companion {__version__} self-test ok: {done} via /commands on port {port} "
          f"({elapsed:.2f} s)", flush=True)
    return 0


def main() -> int:
    return asyncio.run(run())
