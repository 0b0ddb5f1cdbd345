"""A minimal stand-in for the gateway's EA endpoint, on a real loopback socket."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from http import HTTPStatus

import pytest_asyncio
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

from gateway_core.protocol import AgentMessage, parse_agent_message

TOKEN = "s3cret-token"
TIMEOUT = 10.0


@dataclass
class Session:
    ws: ServerConnection
    inbox: asyncio.Queue[AgentMessage] = field(default_factory=asyncio.Queue)
    closed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def path(self) -> str:
        assert self.ws.request is not None
        return self.ws.request.path

    async def next_of(self, kind: str) -> AgentMessage:
        """The next message of this type (earlier ones of other types are skipped)."""

        async def find() -> AgentMessage:
            while True:
                message = await self.inbox.get()
                if message.type == kind:
                    return message

        return await asyncio.wait_for(find(), TIMEOUT)

    async def command(self, **frame: object) -> None:
        await self.ws.send(json.dumps(frame))


class FakeGateway:
    """Checks the handshake like the real gateway and records every session."""

    def __init__(self) -> None:
        self.sessions: asyncio.Queue[Session] = asyncio.Queue()
        self.refused: asyncio.Queue[str] = asyncio.Queue()
        self.server: Server | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = next(iter(self.server.sockets)).getsockname()[:2]
        return f"ws://{host}:{port}"

    def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            self.refused.put_nowait("token")
            return connection.respond(HTTPStatus.UNAUTHORIZED, "missing or wrong token\n")
        if "Origin" in request.headers:
            self.refused.put_nowait("origin")
            return connection.respond(HTTPStatus.FORBIDDEN, "no Origin allowed\n")
        return None

    async def handler(self, ws: ServerConnection) -> None:
        session = Session(ws)
        await self.sessions.put(session)
        try:
            async for frame in ws:
                session.inbox.put_nowait(parse_agent_message(frame))
        finally:
            session.closed.set()

    async def next_session(self) -> Session:
        return await asyncio.wait_for(self.sessions.get(), TIMEOUT)


@pytest_asyncio.fixture
async def gateway() -> AsyncIterator[FakeGateway]:
    gw = FakeGateway()
    async with serve(gw.handler, "127.0.0.1", 0, process_request=gw.process_request) as server:
        gw.server = server
        yield gw
