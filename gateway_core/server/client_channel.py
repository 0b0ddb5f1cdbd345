"""A /commands client's outgoing queue, so one slow reader never stalls the gateway."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from itertools import count

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

log = logging.getLogger(__name__)
_ids = count(1)


class ClientChannel:
    def __init__(self, ws: ServerConnection, max_backlog: int) -> None:
        self.id = f"client-{next(_ids)}"
        self.ws = ws
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._max_backlog = max_backlog
        self._dropped = False
        self._writer = asyncio.create_task(self._write_loop(), name=f"{self.id}-writer")

    def offer(self, message: str) -> None:
        if self._dropped:
            return
        if self._queue.qsize() >= self._max_backlog:
            self._dropped = True
            log.warning("%s fell %d messages behind; disconnecting it", self.id, self._max_backlog)
            asyncio.get_running_loop().create_task(
                self.ws.close(1008, "client too slow: fell too far behind")
            )
            return
        self._queue.put_nowait(message)

    async def _write_loop(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                message = await self._queue.get()
                if message is None:
                    return
                await self.ws.send(message)

    async def close(self) -> None:
        self._dropped = True
        self._queue.put_nowait(None)
        self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._writer
