"""A deliberately minimal WebSocket client for load generation.

The load generator must cost far less than the gateway it measures, so it writes
pre-framed bytes straight to the socket (client frames masked with a zero key, which
RFC 6455 permits: the server unmasks with XOR 0) and throws away whatever comes back.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import struct


def frame(payload: bytes) -> bytes:
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x81, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x81, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x81, 0x80 | 127, n)
    return head + b"\0\0\0\0" + payload


class RawAgent:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self._drain_task = asyncio.create_task(self._discard())

    @classmethod
    async def connect(cls, host: str, port: int, path: str, token: str | None) -> RawAgent:
        reader, writer = await asyncio.open_connection(host, port)
        key = base64.b64encode(os.urandom(16)).decode()
        auth = f"Authorization: Bearer {token}\r\n" if token else ""
        writer.write(
            (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
             f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
             f"Sec-WebSocket-Version: 13\r\n{auth}\r\n").encode()
        )
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise ConnectionError(f"handshake refused: {head[:200]!r}")
        return cls(reader, writer)

    async def _discard(self) -> None:
        with contextlib.suppress(Exception):
            while await self.reader.read(65536):
                pass

    async def send_many(self, payloads: list[bytes]) -> None:
        self.writer.write(b"".join(frame(p) for p in payloads))
        await self.writer.drain()

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.write(b"\x88\x82\0\0\0\0\x03\xe8")  # close 1000
            await self.writer.drain()
        self._drain_task.cancel()
        self.writer.close()
        with contextlib.suppress(Exception):
            await self.writer.wait_closed()
