"""Two RFC 6455 details on raw sockets: a wrong version gets 426 naming version 13, and a
half-open peer (never answers a ping) is dropped within the keepalive settings, its
descriptor released."""

from __future__ import annotations

import asyncio
import os
import struct
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from .conftest import TOKEN, Running, of_type, recv_until, with_config

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(90)]

KEY = "dGhlIHNhbXBsZSBub25jZQ=="


def open_fds() -> int:
    return len(os.listdir(Path("/proc/self/fd")))


def masked(opcode: int, payload: bytes, *, fin: bool = True, length: int | None = None) -> bytes:
    """One client frame (clients must mask), with an optional lying length field."""
    n = len(payload) if length is None else length
    first = (0x80 if fin else 0) | opcode
    if n < 126:
        head = bytes([first, 0x80 | n])
    elif n < 1 << 16:
        head = bytes([first, 0x80 | 126]) + struct.pack("!H", n)
    else:
        head = bytes([first, 0x80 | 127]) + struct.pack("!Q", n)
    mask = b"\x11\x22\x33\x44"
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def request(port: int, *, drop: tuple[str, ...] = (), extra: str = "",
            path: str = "/mt4/a1") -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Upgrade: websocket",
             "Connection: Upgrade", f"Sec-WebSocket-Key: {KEY}", "Sec-WebSocket-Version: 13",
             f"Authorization: Bearer {TOKEN}"]
    lines = [line for line in lines if line.split(":")[0] not in drop]
    return ("\r\n".join(lines) + "\r\n" + extra + "\r\n").encode()


async def exchange(port: int, data: bytes, after_upgrade: bytes = b"") -> bytes:
    """Send `data` on a fresh socket (then `after_upgrade` once the 101 is in) and read
    until the gateway closes it."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        if not after_upgrade:
            return await asyncio.wait_for(reader.read(), 15)
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 15)
        writer.write(after_upgrade)
        await writer.drain()
        return head + await asyncio.wait_for(reader.read(), 15)
    finally:
        writer.close()
        await writer.wait_closed()


def close_code(data: bytes) -> int:
    """The status code of the close frame that follows the 101 response."""
    frame = data[data.index(b"\r\n\r\n") + 4:]
    assert frame[0] == 0x88, frame[:20]  # FIN + close, unmasked from a server
    code: int = struct.unpack("!H", frame[2:4])[0]
    return code


@pytest_asyncio.fixture
async def fd_check(gw: Running) -> AsyncIterator[None]:
    """No descriptor may outlive the abuse: count before, wait for the count after."""
    before = open_fds()
    yield
    for _ in range(400):  # up to 20 s for the gateway to finish closing what it cut
        if open_fds() <= before:
            break
        await asyncio.sleep(0.05)
    assert open_fds() <= before, f"{open_fds() - before} descriptors leaked"
    assert gw.gateway.handler_crashes == 0


async def gateway_still_serves(gw: Running) -> None:
    async with gw.client() as cl:
        await recv_until(cl, of_type("welcome"))


async def test_wrong_version_gets_426_naming_13(gw: Running, fd_check: None) -> None:
    data = await exchange(gw.port, request(gw.port, drop=("Sec-WebSocket-Version",),
                                           extra="Sec-WebSocket-Version: 8\r\n"))
    assert data.startswith(b"HTTP/1.1 426"), data[:100]
    assert b"Sec-WebSocket-Version: 13" in data
    assert gw.gateway.registry.get("a1") is None
    await gateway_still_serves(gw)


@with_config(ping_interval=0.3, ping_timeout=0.5, close_timeout=0.5)
async def test_half_open_idle_socket_is_dropped(gw: Running, fd_check: None) -> None:
    async with gw.client() as cl:
        await recv_until(cl, of_type("welcome"))
        reader, writer = await asyncio.open_connection("127.0.0.1", gw.port)
        writer.write(request(gw.port))
        await writer.drain()
        await reader.readuntil(b"\r\n\r\n")
        # Never answer a ping: like a peer whose cable was pulled.
        await recv_until(cl, of_type("agent_status", agent_id="a1", status="connected"))
        await recv_until(cl, of_type("agent_status", agent_id="a1", status="disconnected"),
                         timeout=15)
        writer.close()
        await writer.wait_closed()
