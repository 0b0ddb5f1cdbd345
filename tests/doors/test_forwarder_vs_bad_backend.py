"""The forwarder against a backend that misbehaves in every way a link peer can: garbage,
acks out of range, never acking, closing after every frame. Then an honest backend takes
over, and it must hold every event exactly once, in order, with no gap."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
import pytest
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from gateway_core.demo.runner import DemoFleet
from gateway_core.forwarder import Backoff, Forwarder, Outbox, ReplyJournal, RiskPolicy
from gateway_core.forwarder.sqlite_store import open_store
from gateway_core.server import Gateway, GatewayConfig

TOKEN = "local-token-0123456789abcdef"
pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]

MODES = ("garbage", "ack_future", "ack_negative", "never_ack", "close_after_frame",
         "wrong_first_frame")


@dataclass
class BadBackend:
    """Answers according to `mode`. In "honest" and the ack_* modes it stores what it
    receives (by seq, first copy wins, like a real store); in the others it stores nothing,
    so an event the forwarder dropped from its outbox there would be lost."""

    mode: str = "honest"
    stored: dict[int, dict[str, Any]] = field(default_factory=dict)
    resent_differently: list[int] = field(default_factory=list)
    sessions: int = 0
    server: Server | None = None
    port: int = 0

    @property
    def contiguous(self) -> int:
        n = 0
        while n + 1 in self.stored:
            n += 1
        return n

    async def start(self) -> None:
        self.server = await serve(self._handle, "127.0.0.1", 0, max_size=None)
        self.port = next(iter(self.server.sockets)).getsockname()[1]

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    def _store(self, raw: str | bytes) -> int:
        frame = json.loads(raw)
        for ev in frame["events"] if frame["type"] == "batch" else [frame]:
            seq = ev["seq"]
            if seq in self.stored:
                if self.stored[seq] != ev:
                    self.resent_differently.append(seq)
            elif seq <= self.contiguous + 1:
                self.stored[seq] = ev
        return self.contiguous

    async def _handle(self, ws: ServerConnection) -> None:
        self.sessions += 1
        mode = self.mode
        try:
            json.loads(await ws.recv())  # hello
            if mode == "wrong_first_frame":
                await ws.send(json.dumps({"type": "ack", "seq": 1}))
                await ws.wait_closed()
                return
            await ws.send(json.dumps({"type": "welcome", "link_version": 1, "user_id": "42",
                                      "acked_seq": self.contiguous}))
            async for raw in ws:
                # Only a backend that acks (rightly or wrongly) has stored the frame.
                have = self._store(raw) if mode.startswith(("honest", "ack_")) else 0
                if mode == "honest":
                    await ws.send(json.dumps({"type": "ack", "seq": have}))
                elif mode == "garbage":
                    for junk in ("{oops", b"\x00\xff", '{"type":"ack"}', "[]",
                                 '{"type":"ack","seq":"1"}', "x" * 5000):
                        await ws.send(junk)
                elif mode == "ack_future":
                    await ws.send(json.dumps({"type": "ack", "seq": have + 1_000_000}))
                elif mode == "ack_negative":
                    await ws.send(json.dumps({"type": "ack", "seq": -5}))
                elif mode == "close_after_frame":
                    await ws.close(1011, "bye")
                    return
                # never_ack: read on, say nothing
        except ConnectionClosed:
            pass


async def until(cond: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def test_nothing_lost_or_doubled_through_every_misbehaviour(tmp_path: Path) -> None:
    gateway = Gateway(GatewayConfig(token=TOKEN, port=0))
    port = await gateway.start()
    backend = BadBackend()
    await backend.start()
    conn = open_store(tmp_path / "outbox.sqlite3")
    forwarder = Forwarder(
        gateway, url=f"ws://127.0.0.1:{backend.port}/mt4",
        token=jwt.encode({"sub": "42", "exp": int(time.time() + 3600)}, "x" * 40, "HS256"),
        outbox=Outbox(conn), journal=ReplyJournal(conn), policy=RiskPolicy(max_lots=5),
        backoff=Backoff(base=0.02, cap=0.1, min_delay=0.01),
    )
    forwarder.start()
    fleet = DemoFleet(f"ws://127.0.0.1:{port}", TOKEN, 3, seed=3, manual_trade_rate=0)
    await fleet.start()
    violations: list[tuple[str, int, int]] = []

    async def watch() -> None:
        # The outbox may only forget what the backend really stored, at every moment.
        while True:
            if forwarder.outbox.acked_seq > backend.contiguous:
                violations.append((backend.mode, forwarder.outbox.acked_seq,
                                   backend.contiguous))
            await asyncio.sleep(0.005)

    watcher = asyncio.get_running_loop().create_task(watch())
    try:
        await until(lambda: backend.contiguous > 0)
        for mode in MODES:
            backend.mode = mode
            sessions = backend.sessions
            # Drop the current (honest) link so the next session runs in the new mode.
            for conn_ws in list(backend.server.connections):  # type: ignore[union-attr]
                await conn_ws.close(1001, "mode change")
            await until(lambda s=sessions: backend.sessions > s)  # type: ignore[misc]
            stored = backend.contiguous
            # Whatever the backend said, the outbox keeps everything not really stored.
            await until(lambda n=stored: forwarder.outbox.last_seq > n + 5)  # type: ignore[misc]
        assert violations == [], violations[:5]
        backend.mode = "honest"
        for conn_ws in list(backend.server.connections):  # type: ignore[union-attr]
            await conn_ws.close(1001, "honest again")
        await fleet.stop()
        await until(lambda: forwarder.status.state == "connected"
                    and forwarder.outbox.depth == 0
                    and backend.contiguous == forwarder.outbox.last_seq)
        assert sorted(backend.stored) == list(range(1, forwarder.outbox.last_seq + 1))
        assert backend.resent_differently == []
        assert gateway.handler_crashes == 0
    finally:
        watcher.cancel()
        await fleet.stop()
        await forwarder.stop()
        await gateway.stop()
        await backend.stop()
