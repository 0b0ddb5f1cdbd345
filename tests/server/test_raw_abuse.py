"""Protocol abuse over raw TCP: what RFC 6455 says happens, and no file descriptor left
behind afterwards."""

from __future__ import annotations

import asyncio
import base64
import os
import struct
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from gateway_core.server import Gateway

from .conftest import BASE_CONFIG, TOKEN, Running

pytestmark = pytest.mark.asyncio

CONFIG = BASE_CONFIG.__class__(**{**BASE_CONFIG.__dict__, "open_timeout": 1.0})


@pytest_asyncio.fixture
async def raw_gw() -> AsyncIterator[Running]:
    gateway = Gateway(CONFIG)
    port = await gateway.start()
    try:
        yield Running(gateway, port)
    finally:
        await gateway.stop()


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd")) if Path("/proc/self/fd").exists() else 0


def _request(path: str = "/commands", *, upgrade: bool = True, version: str = "13",
             key: bool = True, extra: str = "") -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", f"Authorization: Bearer {TOKEN}"]
    if upgrade:
        lines += ["Upgrade: websocket", "Connection: Upgrade"]
    if key:
        lines.append("Sec-WebSocket-Key: " + base64.b64encode(os.urandom(16)).decode())
    lines.append(f"Sec-WebSocket-Version: {version}")
    if extra:
        lines.append(extra)
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def _status_of(gw: Running, request: bytes) -> int | None:
    """HTTP status the server answers with, or None when it just closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", gw.port)
    try:
        writer.write(request)
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), 5)
        return int(line.split()[1]) if line else None
    finally:
        writer.close()


async def _upgraded(gw: Running, path: str = "/commands") -> tuple[asyncio.StreamReader,
                                                                  asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", gw.port)
    writer.write(_request(path))
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert head.startswith(b"HTTP/1.1 101"), head
    return reader, writer


def _frame(opcode: int, payload: bytes, *, fin: bool = True,
           length_override: int | None = None) -> bytes:
    mask = os.urandom(4)
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload) if length_override is None else length_override
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 1 << 16:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head + mask + masked


async def _close_code(reader: asyncio.StreamReader) -> int | None:
    """Read server frames until its close frame; the close code, or None if the TCP
    connection ended without one."""
    while True:
        try:
            b0, b1 = await asyncio.wait_for(reader.readexactly(2), 5)
        except asyncio.IncompleteReadError:
            return None
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", await reader.readexactly(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", await reader.readexactly(8))[0]
        payload = await reader.readexactly(n)
        if b0 & 0x0F == 0x8:
            return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005


@pytest.mark.parametrize(
    ("request_kw", "statuses"),
    [
        ({"upgrade": False}, {400, 426}),
        ({"version": "8"}, {400, 426}),
        ({"key": False}, {400}),
        ({"extra": "X-Big: " + "a" * 20_000}, {400, 413, 431, None}),
    ],
)
async def test_bad_handshakes_are_refused(raw_gw: Running, request_kw: dict[str, object],
                                          statuses: set[int | None]) -> None:
    assert await _status_of(raw_gw, _request(**request_kw)) in statuses  # type: ignore[arg-type]
    # The server is still fine for a proper client.
    async with raw_gw.client() as cl:
        assert "welcome" in await cl.recv()


async def test_slowloris_and_half_open_sockets_are_closed(raw_gw: Running) -> None:
    before = _open_fds()
    idle = [await asyncio.open_connection("127.0.0.1", raw_gw.port) for _ in range(5)]
    slow = await asyncio.open_connection("127.0.0.1", raw_gw.port)
    slow[1].write(b"GET /commands HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    for reader, _ in [*idle, slow]:
        # open_timeout is 1 s: the server ends each one (EOF) well within 5 s, having
        # sent at most an HTTP refusal.
        rest = await asyncio.wait_for(reader.read(), 5)
        assert rest == b"" or rest.startswith(b"HTTP/1.1 4")
        assert reader.at_eof()
    for _, writer in [*idle, slow]:
        writer.close()
    await _fds_back_to(before)


async def _fds_back_to(before: int, timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while _open_fds() > before:
        if loop.time() > deadline:
            raise AssertionError(f"{_open_fds() - before} file descriptors leaked")
        await asyncio.sleep(0.05)


@pytest.mark.parametrize(
    ("frame", "codes"),
    [
        (_frame(0x9, b"p" * 126), {1002}),                  # ping over 125 bytes
        (_frame(0x3, b"x"), {1002}),                        # reserved opcode
        (_frame(0xB, b""), {1002}),                         # reserved control opcode
        (_frame(0x9, b"p", fin=False), {1002}),             # fragmented control frame
        (_frame(0x1, b'{"a":"\xff\xfe"}'), {1007}),         # invalid UTF-8 in text
        (_frame(0x2, b"", length_override=2**63), {1002, 1009}),
        (_frame(0x2, b"", length_override=2**64 - 1), {1002, 1009}),
        (_frame(0x1, b"", length_override=5 << 20), {1009}),  # over the 4 MiB limit
    ],
)
async def test_protocol_violations_close_with_rfc_codes(raw_gw: Running, frame: bytes,
                                                        codes: set[int]) -> None:
    before = _open_fds()
    for path in ("/commands", "/mt4/raw-1"):
        reader, writer = await _upgraded(raw_gw, path)
        writer.write(frame)
        await writer.drain()
        assert await _close_code(reader) in codes
        writer.close()
    assert raw_gw.gateway.handler_crashes == 0
    await _fds_back_to(before)
    async with raw_gw.client() as cl:
        assert "welcome" in await cl.recv()
