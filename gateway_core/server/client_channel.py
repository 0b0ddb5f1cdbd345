"""A /commands client's outgoing queue, so one slow reader never stalls the gateway."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from itertools import count

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

log = logging.getLogger(__name__)
_ids = count(1)
_BATCH = 256


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
        with contextlib.suppress(ConnectionClosed, ConnectionError):
            while True:
                message = await self._queue.get()
                if message is None:
                    return
                batch = [message]
                while not self._queue.empty() and len(batch) < _BATCH:
                    nxt = self._queue.get_nowait()
                    if nxt is None:
                        self._send_batch(batch)
                        return
                    batch.append(nxt)
                if len(batch) == 1:
                    await self.ws.send(message)
                else:
                    self._send_batch(batch)
                    await self.ws.drain()

    def _send_batch(self, batch: list[str]) -> None:
        """Frame a burst of messages and hand them to the socket in one write: under load
        one syscall per message is the gateway's largest single cost."""
        proto = self.ws.protocol
        if proto.state is not State.OPEN:
            raise ConnectionClosed(proto.close_rcvd, proto.close_sent)
        for message in batch:
            proto.send_text(message.encode())
        self.ws.transport.write(b"".join(proto.data_to_send()))

    async def close(self) -> None:
        self._dropped = True
        self._queue.put_nowait(None)
        self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._writer
