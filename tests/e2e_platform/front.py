"""A TCP load balancer for multi-node tests, standing in for nginx's stream proxy: each
connection goes to the first node of its preference list that accepts a connection
(a down node is skipped, like a failed health check). Bytes are piped both ways; when
either side closes, so does the other, so a killed node drops its clients at once."""

from __future__ import annotations

import asyncio
import contextlib


class Front:
    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self.port = 0
        self.routed: list[int] = []
        """Which node port each accepted connection went to, in order."""
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/mt4"

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        for port in self.ports:
            try:
                upstream = await asyncio.wait_for(
                    asyncio.open_connection("127.0.0.1", port), 2)
            except (OSError, TimeoutError):
                continue
            self.routed.append(port)
            break
        if upstream is None:
            writer.close()
            return
        up_r, up_w = upstream
        a = asyncio.ensure_future(self._pipe(reader, up_w))
        b = asyncio.ensure_future(self._pipe(up_r, writer))
        for t in (a, b):
            self._tasks.add(t)
            t.add_done_callback(self._tasks.discard)
        await asyncio.wait({a, b}, return_when=asyncio.FIRST_COMPLETED)
        for w in (writer, up_w):
            w.close()
        await asyncio.gather(a, b, return_exceptions=True)

    @staticmethod
    async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await src.read(65536):
                dst.write(data)
                await dst.drain()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for t in list(self._tasks):
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
