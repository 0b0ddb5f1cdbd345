"""Test harness for the EA: the MQL4 host as a subprocess, a fake gateway (websockets) and a raw
WebSocket server for frame-level edge cases. Nothing here sleeps a fixed time: every wait is on a
condition with a timeout."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import os
import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from gateway_core.protocol import ProtocolError, parse_agent_message

REPO = Path(__file__).resolve().parents[2]
HOST = REPO / "ea" / "host" / "mql4host.py"
EA = REPO / "ea" / "MQL4" / "Experts" / "MT4Companion.mq4"
TOKEN = "test-token-123"
LOGIN = 7654321

needs_host = pytest.mark.skipif(not HOST.exists(), reason="ea/host/mql4host.py is not there yet")

Json = dict[str, Any]


async def wait_until(
    pred: Callable[[], Any], timeout: float, what: str, cond: asyncio.Condition
) -> Any:
    """Wait until pred() returns something truthy; pred is re-checked on every notify."""

    async def _wait() -> Any:
        async with cond:
            while True:
                r = pred()
                if r:
                    return r
                await cond.wait()

    try:
        return await asyncio.wait_for(_wait(), timeout)
    except TimeoutError:
        raise AssertionError(f"timed out after {timeout}s waiting for {what}") from None


def write_config(sandbox: Path, url: str, token: str = TOKEN, **extra: Any) -> None:
    cfg = sandbox / "MQL4" / "Files" / "MT4Companion"
    cfg.mkdir(parents=True, exist_ok=True)
    lines = [
        "# test config",
        f"gateway_url={url}",
        f"token={token}",
        "agent_id=",
        "agent_id_rule=login",
    ]
    lines += [f"{k}={v}" for k, v in extra.items()]
    (cfg / "companion.cfg").write_text("\n".join(lines) + "\n", encoding="utf-8")


# ---------------------------------------------------------------------------------------------
class EaHost:
    """`python ea/host/mql4host.py --ea MT4Companion.mq4 --sandbox <dir>` driven over stdin."""

    def __init__(self, sandbox: Path, args: list[str] | None = None) -> None:
        self.sandbox = sandbox
        self.args = args or []
        self.proc: asyncio.subprocess.Process | None = None
        self.lines: list[Json] = []
        self.stderr: list[str] = []
        self.cond = asyncio.Condition()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self, timeout: float = 600) -> None:
        cmd = [
            sys.executable,
            str(HOST),
            "--ea",
            str(EA),
            "--sandbox",
            str(self.sandbox),
            "--account-login",
            str(LOGIN),
            *self.args,
        ]
        self.proc = await asyncio.create_subprocess_exec(
            *cmd,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            limit=16 * 1024 * 1024,
        )
        self._tasks = [
            asyncio.create_task(self._read_stdout()),
            asyncio.create_task(self._read_stderr()),
        ]
        await self.wait(lambda e: e.get("event") == "ready", timeout, "the EA to start")

    async def _read_stdout(self) -> None:
        assert self.proc and self.proc.stdout
        while True:
            raw = await self.proc.stdout.readline()
            if not raw:
                break
            try:
                ev = json.loads(raw)
            except ValueError:
                ev = {"event": "raw", "text": raw.decode("utf-8", "replace")}
            async with self.cond:
                self.lines.append(ev)
                self.cond.notify_all()
        async with self.cond:
            self.lines.append({"event": "exited"})
            self.cond.notify_all()

    async def _read_stderr(self) -> None:
        assert self.proc and self.proc.stderr
        while True:
            raw = await self.proc.stderr.readline()
            if not raw:
                break
            self.stderr.append(raw.decode("utf-8", "replace"))

    async def send(self, **op: Any) -> None:
        assert self.proc and self.proc.stdin
        self.proc.stdin.write((json.dumps(op) + "\n").encode())
        await self.proc.stdin.drain()

    def since(self, start: int) -> list[Json]:
        return self.lines[start:]

    async def wait(
        self, pred: Callable[[Json], bool], timeout: float = 20, what: str = "", start: int = 0
    ) -> Json:
        def check() -> Json | None:
            for ev in self.lines[start:]:
                if pred(ev):
                    return ev
                if ev.get("event") in ("exited", "ea_stopped"):
                    raise AssertionError(
                        f"host ended while waiting for {what}: {ev}\n"
                        + "".join(self.stderr[-30:])
                        + self.log_tail()
                    )
            return None

        return await wait_until(check, timeout, what or "a host event", self.cond)

    def log_tail(self, n: int = 40) -> str:
        logs = [e.get("text", "") for e in self.lines if e.get("event") in ("log", "error")]
        return "\n".join(logs[-n:])

    def broker(self) -> Json:
        for ev in reversed(self.lines):
            if ev.get("event") == "broker":
                return ev
        raise AssertionError("no broker state yet")

    def open_orders(self) -> list[Json]:
        return list(self.broker()["orders"])

    async def manual(self, op: str, timeout: float = 10, **kw: Any) -> Json:
        """A hand-made trade in the terminal; returns the host's `manual` answer."""
        start = len(self.lines)
        await self.send(op=op, **kw)
        return await self.wait(
            lambda e: e.get("event") == "manual" or e.get("event") == "error",
            timeout,
            f"manual {op}",
            start,
        )

    async def history(self) -> list[Json]:
        start = len(self.lines)
        await self.send(op="history")
        ev = await self.wait(lambda e: e.get("event") == "history", 10, "history", start)
        return list(ev["orders"])

    async def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.returncode is None:
            with contextlib.suppress(Exception):
                await self.send(op="stop")
            try:
                await asyncio.wait_for(self.proc.wait(), 15)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t


# ---------------------------------------------------------------------------------------------
@dataclass
class Conn:
    ws: ServerConnection
    path: str
    messages: list[Json] = field(default_factory=list)
    closed: bool = False


class FakeGateway:
    """A websockets server standing in for the gateway: checks the Bearer token, records and
    validates every message the EA sends, and sends commands."""

    def __init__(self, token: str = TOKEN, port: int = 0) -> None:
        self.token = token
        self.port = port
        self.conns: list[Conn] = []
        self.invalid: list[str] = []
        self.refused = 0
        self.cond = asyncio.Condition()
        self._server: Any = None
        self._seq = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/mt4"

    async def start(self) -> None:
        self._server = await serve(
            self._handler,
            "127.0.0.1",
            self.port,
            process_request=self._check,
            ping_interval=None,
            max_size=16 * 1024 * 1024,
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    def _check(self, connection: ServerConnection, request: Request) -> Response | None:
        auth = request.headers.get("Authorization", "")
        if auth != f"Bearer {self.token}" or "Origin" in request.headers:
            self.refused += 1
            return connection.respond(HTTPStatus.UNAUTHORIZED, "bad token\n")
        if not request.path.startswith("/mt4/"):
            return connection.respond(HTTPStatus.NOT_FOUND, "no such path\n")
        return None

    async def _handler(self, ws: ServerConnection) -> None:
        conn = Conn(ws, ws.request.path if ws.request else "")
        async with self.cond:
            self.conns.append(conn)
            self.cond.notify_all()
        try:
            async for raw in ws:
                text = raw if isinstance(raw, str) else raw.decode()
                try:
                    parse_agent_message(text)
                except ProtocolError as exc:
                    self.invalid.append(f"{exc.code}: {exc.message}: {text[:300]}")
                msg = json.loads(text)
                async with self.cond:
                    conn.messages.append(msg)
                    self.cond.notify_all()
        except Exception:
            pass
        finally:
            async with self.cond:
                conn.closed = True
                self.cond.notify_all()

    @property
    def conn(self) -> Conn:
        assert self.conns, "no connection yet"
        return self.conns[-1]

    def all_messages(self) -> list[Json]:
        return [m for c in self.conns for m in c.messages]

    async def wait_conn(self, n: int = 1, timeout: float = 30) -> Conn:
        await wait_until(lambda: len(self.conns) >= n, timeout, f"connection #{n}", self.cond)
        return self.conns[n - 1]

    async def wait_msg(
        self,
        pred: Callable[[Json], bool],
        timeout: float = 20,
        what: str = "",
        conn: Conn | None = None,
        start: int = 0,
    ) -> Json:
        def check() -> Json | None:
            msgs = (conn or self.conn).messages if (conn or self.conns) else []
            for m in msgs[start:]:
                if pred(m):
                    return m
            return None

        return await wait_until(check, timeout, what or "a message", self.cond)

    async def wait_type(
        self,
        type_: str,
        timeout: float = 20,
        start: int = 0,
        pred: Callable[[Json], bool] | None = None,
    ) -> Json:
        return await self.wait_msg(
            lambda m: m.get("type") == type_ and (pred is None or pred(m)),
            timeout,
            type_,
            start=start,
        )

    def count(self, type_: str) -> int:
        return sum(1 for m in self.conn.messages if m.get("type") == type_)

    def next_rid(self) -> str:
        self._seq += 1
        return f"req-{os.getpid()}-{self._seq}"

    async def send(self, obj: Json | str) -> None:
        await self.conn.ws.send(obj if isinstance(obj, str) else json.dumps(obj))

    async def command(
        self, command: str, data: Json | None = None, rid: str | None = None, timeout: float = 20
    ) -> Json:
        """Send a command and wait for its reply (the first one with that request_id)."""
        rid = rid or self.next_rid()
        start = len(self.conn.messages)
        msg: Json = {"command": command, "request_id": rid}
        if data is not None:
            msg["data"] = data
        await self.send(msg)
        return await self.wait_msg(
            lambda m: m.get("request_id") == rid, timeout, f"reply to {command} {rid}", start=start
        )


# ---------------------------------------------------------------------------------------------
def ws_accept(key: str) -> str:
    digest = hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()
    return base64.b64encode(digest).decode()


def frame(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    """An unmasked server frame."""
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([n])
    elif n < 65536:
        head += bytes([126]) + struct.pack("!H", n)
    else:
        head += bytes([127]) + struct.pack("!Q", n)
    return head + payload


@dataclass
class RawFrame:
    fin: bool
    opcode: int
    payload: bytes
    masked: bool


class RawWsServer:
    """A hand-written WebSocket server to send exactly the bytes a test wants."""

    def __init__(self, bad_accept: bool = False) -> None:
        self.bad_accept = bad_accept
        self.port = 0
        self.cond = asyncio.Condition()
        self.requests: list[str] = []
        self.frames: list[RawFrame] = []
        self.texts: list[Json] = []
        self.writer: asyncio.StreamWriter | None = None
        self.connections = 0
        self.eof = False
        self._server: asyncio.AbstractServer | None = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/mt4"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self.writer is not None:
            self.writer.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        text = head.decode()
        headers = Headers()
        for line in text.split("\r\n")[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip()] = v.strip()
        accept = ws_accept(headers.get("Sec-WebSocket-Key", ""))
        if self.bad_accept:
            accept = ws_accept("something else entirely")
        writer.write(
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
            ).encode()
        )
        await writer.drain()
        async with self.cond:
            self.requests.append(text)
            self.writer = writer
            self.connections += 1
            self.eof = False
            self.cond.notify_all()
        try:
            while True:
                b0, b1 = await reader.readexactly(2)
                n = b1 & 0x7F
                if n == 126:
                    n = struct.unpack("!H", await reader.readexactly(2))[0]
                elif n == 127:
                    n = struct.unpack("!Q", await reader.readexactly(8))[0]
                mask = await reader.readexactly(4) if b1 & 0x80 else b"\0\0\0\0"
                data = bytearray(await reader.readexactly(n))
                for i in range(n):
                    data[i] ^= mask[i & 3]
                f = RawFrame(bool(b0 & 0x80), b0 & 0x0F, bytes(data), bool(b1 & 0x80))
                async with self.cond:
                    self.frames.append(f)
                    if f.opcode == 1:
                        self.texts.append(json.loads(f.payload))
                    self.cond.notify_all()
        except (asyncio.IncompleteReadError, ConnectionError):
            async with self.cond:
                self.eof = True
                self.cond.notify_all()

    async def write(self, data: bytes) -> None:
        assert self.writer is not None
        self.writer.write(data)
        await self.writer.drain()

    async def wait(self, pred: Callable[[], Any], timeout: float = 20, what: str = "") -> Any:
        return await wait_until(pred, timeout, what, self.cond)

    async def wait_text(
        self, pred: Callable[[Json], bool], timeout: float = 20, what: str = "", start: int = 0
    ) -> Json:
        def check() -> Json | None:
            for m in self.texts[start:]:
                if pred(m):
                    return m
            return None

        return await self.wait(check, timeout, what)
