"""Real processes for end-to-end platform tests: `platform-backend serve`, `mt4-gateway
serve --demo N --backend-url ...`, `redis-server`; a python-socketio web client that keeps
the state it is sent; a local /commands client to ask terminals for their own state.
No fixed sleeps: everything waits on a condition with a deadline."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import socketio
from websockets.asyncio.client import connect

from platform_backend.agent_view import AgentView
from platform_backend.store import open_store

VENV_BIN = Path(sys.executable).parent
SECRET = "e2e-secret-0123456789-abcdefghijklmnop"
LOCAL_TOKEN = "local-token-for-e2e-tests-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_until(cond: Callable[[], bool], timeout: float, what: str,
                     every: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(every)


async def wait_for_async(cond: Callable[[], Awaitable[bool]], timeout: float, what: str,
                         every: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not await cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(every)


def issue_token(user: str, ttl: float = 3600, secret: str = SECRET, *,
                gateway_db: Path | str | None = None) -> str:
    """A web token, or with `gateway_db` (the backend's --db) a gateway token recorded
    there, which the gateway door requires."""
    args = [str(VENV_BIN / "platform-backend"), "issue-token", "--user", user, "--ttl", str(ttl)]
    if gateway_db is not None:
        args += ["--kind", "gateway", "--db", str(gateway_db)]
    out = subprocess.run(
        args,
        env={**os.environ, "PLATFORM_JWT_SECRET": secret},
        capture_output=True, text=True, check=True, timeout=30,
    )
    return out.stdout.strip()


class Proc:
    """A child process whose output goes to a log file we can search."""

    def __init__(self, name: str, args: Sequence[str], log_path: Path,
                 env: dict[str, str] | None = None) -> None:
        self.name = name
        self.args = list(args)
        self.log_path = log_path
        self.env = {**os.environ, **(env or {})}
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self.log_path.open("ab")
        log.write(f"\n=== start {self.name}: {' '.join(self.args)}\n".encode())
        log.flush()
        self.popen = subprocess.Popen(self.args, stdout=log, stderr=subprocess.STDOUT,
                                      env=self.env)
        log.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    async def wait_output(self, pattern: str, timeout: float = 20.0, after: int = 0) -> str:
        rx = re.compile(pattern)
        found: list[str] = []

        def seen() -> bool:
            assert self.popen is not None
            m = rx.search(self.output()[after:])
            if m:
                found.append(m.group(0))
                return True
            if self.popen.poll() is not None:
                raise AssertionError(f"{self.name} exited ({self.popen.returncode}):\n"
                                     f"{self.output()[-3000:]}")
            return False

        await wait_until(seen, timeout, f"{self.name} to print {pattern!r}")
        return found[0]

    def kill(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait(10)

    def terminate(self, timeout: float = 15.0) -> int:
        if self.popen is None:
            return 0
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
        return int(self.popen.returncode or 0)


class Backend(Proc):
    def __init__(self, tmp: Path, name: str = "backend", *, port: int | None = None,
                 db: Path | str | None = None, redis_url: str | None = None,
                 secret: str = SECRET) -> None:
        self.port = port or free_port()
        self.db = db or tmp / f"{name}.sqlite3"
        args = [str(VENV_BIN / "platform-backend"), "serve", "--port", str(self.port),
                "--db", str(self.db), "--node-id", name, "--log-level", "INFO"]
        if redis_url:
            args += ["--redis-url", redis_url]
        super().__init__(name, args, tmp / f"{name}.log", {"PLATFORM_JWT_SECRET": secret})

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/mt4"

    async def start_ready(self) -> None:
        mark = len(self.output()) if self.log_path.exists() else 0
        self.start()
        await self.wait_output(r"Application startup complete", after=mark)


class GatewayProc(Proc):
    def __init__(self, tmp: Path, backend_url: str, token_file: Path, *, demo: int = 2,
                 name: str = "gateway", manual_rate: float = 30.0, seed: int = 7,
                 extra: Sequence[str] = ()) -> None:
        self.tmp = tmp
        self.port = free_port()
        self.outbox = tmp / f"{name}-outbox.sqlite3"
        local = tmp / "local-token"
        local.write_text(LOCAL_TOKEN)
        args = [str(VENV_BIN / "mt4-gateway"), "serve", "--port", str(self.port),
                "--token-file", str(local), "--demo", str(demo),
                "--demo-seed", str(seed), "--demo-manual-rate", str(manual_rate),
                "--heartbeat-interval", "1",
                "--backend-url", backend_url, "--backend-token-file", str(token_file),
                "--outbox", str(self.outbox), *extra]
        env = {"MT4_COMPANION_DATA_DIR": str(tmp / "data"),
               "MT4_COMPANION_CONFIG_DIR": str(tmp / "config"),
               "MT4_COMPANION_LOG_DIR": str(tmp / "logs")}
        super().__init__(name, args, tmp / f"{name}.log", env)

    async def start_ready(self) -> None:
        mark = len(self.output()) if self.log_path.exists() else 0
        self.start()
        await self.wait_output(r"listening on ws://", after=mark)

    async def health(self) -> dict[str, Any]:
        import aiohttp

        async with aiohttp.ClientSession() as s, s.get(
            f"http://127.0.0.1:{self.port}/health",
            headers={"Authorization": f"Bearer {LOCAL_TOKEN}"},
        ) as r:
            body: dict[str, Any] = await r.json()
            return body

    async def terminal_truth(self, agent_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """Ask the terminal itself (get_snapshot over /commands) for its current state."""
        async with connect(f"ws://127.0.0.1:{self.port}/commands",
                           additional_headers={"Authorization": f"Bearer {LOCAL_TOKEN}"},
                           proxy=None, max_size=None) as ws:
            rid = f"truth-{time.monotonic_ns()}"
            await ws.send(json.dumps({"command": "get_snapshot", "request_id": rid,
                                      "agent_id": agent_id}))
            # The terminal sends its snapshot, then the reply: the last snapshot of this
            # agent before the reply is the terminal's own (the gateway's welcome snapshots
            # come first).
            last: dict[str, Any] | None = None
            async with asyncio.timeout(timeout):
                while True:
                    msg = json.loads(await ws.recv())
                    if msg.get("type") == "snapshot" and msg.get("agent_id") == agent_id:
                        last = msg
                    elif msg.get("request_id") == rid:
                        assert msg["success"], msg
                        assert last is not None
                        return {**last["data"], "timestamp": last["timestamp"]}


class WebClient:
    """A python-socketio client on namespace /mt4 that folds `mt4_event`s like the panel."""

    def __init__(self, url: str, token: str | None) -> None:
        self.url = url
        self.token = token
        self.sio = socketio.AsyncClient(reconnection=True, reconnection_delay=0.2,
                                        reconnection_delay_max=1.0)
        self.agents: dict[str, AgentView] = {}
        self.events: list[dict[str, Any]] = []
        self.replies: list[dict[str, Any]] = []
        self.connects = 0
        self.sio.on("mt4_event", self._on_event, namespace="/mt4")
        self.sio.on("mt4_reply", self._on_reply, namespace="/mt4")
        self.sio.on("connect", self._on_connect, namespace="/mt4")

    async def _on_connect(self) -> None:
        self.connects += 1

    async def _on_event(self, event: dict[str, Any]) -> None:
        self.events.append(event)
        agent = event.get("agent_id")
        if isinstance(agent, str):
            view = self.agents.setdefault(agent, AgentView(agent))
            view.apply(event)

    async def _on_reply(self, reply: dict[str, Any]) -> None:
        self.replies.append(reply)

    async def connect(self) -> None:
        auth = {"token": self.token} if self.token is not None else None
        await self.sio.connect(self.url, namespaces=["/mt4"], auth=auth,
                               transports=["websocket"], wait_timeout=10)

    async def command(self, payload: dict[str, Any], timeout: float = 40) -> dict[str, Any]:
        reply: dict[str, Any] = await self.sio.call("mt4_command", payload, namespace="/mt4",
                                                    timeout=timeout)
        return reply

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.sio.disconnect()

    def types(self) -> list[str]:
        return [str(e.get("type")) for e in self.events]


def stable_view(account: dict[str, Any] | None, positions: Any, pending: Any
                ) -> dict[str, Any]:
    """What must agree between the terminal and the web: tickets and their terms, balance
    (floating P/L moves every tick and is left out)."""
    pos = positions.values() if isinstance(positions, dict) else positions
    pend = pending.values() if isinstance(pending, dict) else pending
    return {
        "balance": round(float(account["balance"]), 2) if account else None,
        "positions": sorted((p["ticket"], p["symbol"], p["type"], round(p["lots"], 2),
                             p["open_price"], p.get("stop_loss", 0.0),
                             p.get("take_profit", 0.0)) for p in pos),
        "pending": sorted((o["ticket"], o["symbol"], o["type"], round(o["lots"], 2),
                           o["price"], o.get("stop_loss", 0.0), o.get("take_profit", 0.0))
                          for o in pend),
    }


def web_view(client: WebClient, agent_id: str) -> dict[str, Any]:
    v = client.agents[agent_id]
    return stable_view(v.account, v.positions, v.pending_orders)


def truth_view(truth: dict[str, Any]) -> dict[str, Any]:
    return stable_view(truth["account"], truth["positions"], truth["pending_orders"])


def redis_server_path() -> str:
    path = shutil.which("redis-server")
    if path is None:
        raise AssertionError(
            "redis-server is not installed: the multi-node tests need the real one "
            "(Debian: apt-get install -y redis-server)"
        )
    return path


async def audit(db: Path | str, gateway_id: str, last_seq: int) -> list[int]:
    """Sequence audit through the store itself (either kind): every seq from 1 up is
    stored exactly once, with no gap, at least up to `last_seq` (the gateway's highest
    when asked; live terminals may have added more since), and the stored highest seq
    covers it."""
    store = open_store(str(db))
    await store.open()
    try:
        acked = await store.acked_seq(gateway_id)
        seqs = await store.logged_seqs(gateway_id)
    finally:
        await store.close()
    assert seqs == list(range(1, len(seqs) + 1)), "gap or duplicate in the stored sequence"
    assert acked >= last_seq and len(seqs) >= acked, (acked, len(seqs), last_seq)
    return seqs
