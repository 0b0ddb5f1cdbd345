"""The local gateway: a thin asyncio adapter around the agent registry and command tracker.

EAs connect on `/mt4/{agent_id}`, local clients on `/commands`; `GET /health` reports.
In-process users (desktop app, platform forwarder) call `add_listener` and `execute`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass, replace
from http import HTTPStatus
from typing import Any, Literal

from pydantic import BaseModel
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from .. import __version__
from ..clock import Clock, SystemClock
from ..commands import CommandTracker, Origin
from ..protocol import (
    PROTOCOL_VERSION,
    Command,
    CommandResult,
    Hello,
    ProtocolError,
    Reply,
    TradeExecuted,
    parse_agent_message,
    parse_command,
)
from ..protocol.notices import AgentStatusNotice, ErrorMessage, Welcome
from ..state import AgentRegistry
from .client_channel import ClientChannel
from .config import GatewayConfig
from .handshake import Refusal, Route, check_request
from .rate_limit import TokenBucket

log = logging.getLogger(__name__)

OutputKind = Literal["event", "reply", "notice"]


@dataclass(frozen=True, slots=True)
class GatewayOutput:
    """Something the gateway publishes: an agent event, a reply, or a status notice.
    `json` is exactly what /commands clients receive (with `agent_id` stamped)."""

    kind: OutputKind
    agent_id: str | None
    message: BaseModel
    json: str


Listener = Callable[[GatewayOutput], None]
_REPLACED = 4001


def _stamp(raw: str, agent_id: str, already: str | None) -> str:
    """Add the connection's agent id to a validated frame without re-serializing it."""
    if already is not None:
        return raw
    # Validated messages are non-empty JSON objects, so the first character is "{".
    return '{"agent_id":' + json.dumps(agent_id) + "," + raw.lstrip()[1:]


class Gateway:
    def __init__(self, config: GatewayConfig, clock: Clock | None = None) -> None:
        self.config = config
        self.clock: Clock = clock or SystemClock()
        self.registry = AgentRegistry(self.clock, config.heartbeat_interval)
        self.tracker = CommandTracker(
            self.clock, trade_timeout=config.trade_timeout, query_timeout=config.query_timeout
        )
        self._agent_ws: dict[str, ServerConnection] = {}
        self._clients: dict[str, ClientChannel] = {}
        self._listeners: list[Listener] = []
        self._waiters: dict[Origin, asyncio.Future[Reply]] = {}
        self._server: Server | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._connections = 0
        self._change_waiters: list[asyncio.Future[None]] = []
        # Weak: a handshake can still fail after process_request accepted it.
        self._routes: weakref.WeakKeyDictionary[ServerConnection, Route] = (
            weakref.WeakKeyDictionary()
        )
        self._started_at = self.clock.monotonic()
        self.handler_crashes = 0
        """Connection handlers that raised: each one is a defect, logged with its traceback."""
        self.backend_status: Callable[[], dict[str, Any]] | None = None
        """Set by the platform forwarder so /health can report the link."""

    # -- life cycle -------------------------------------------------------------------

    async def start(self) -> int:
        """Listen; returns the port (useful with port 0)."""
        self._server = await serve(
            self._handle,
            self.config.host,
            self.config.port,
            process_request=self._process_request,
            max_size=self.config.max_frame_bytes,
            open_timeout=self.config.open_timeout,
            ping_interval=self.config.ping_interval,
            ping_timeout=self.config.ping_timeout,
            close_timeout=self.config.close_timeout,
            compression=None,
            server_header=None,
            logger=logging.getLogger("gateway_core.server.websockets"),
        )
        self._supervisor = asyncio.create_task(self._supervise(), name="gateway-supervisor")
        sock = next(iter(self._server.sockets))
        port: int = sock.getsockname()[1]
        return port

    async def stop(self) -> None:
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        if self._server is not None:
            self._server.close(code=1001, reason="gateway shutting down")
            await self._server.wait_closed()
        for fut in self._waiters.values():
            if not fut.done():
                fut.cancel()

    # -- in-process API ---------------------------------------------------------------

    def set_token(self, token: str) -> None:
        """New connections must present `token`; those already open stay open (they
        proved the old one). Every handshake reads the config, so a swap is enough."""
        self.config = replace(self.config, token=token)

    async def wait_until(self, predicate: Callable[[], bool]) -> None:
        """Until `predicate()` holds, re-checked after everything the gateway publishes.
        Bound it with `asyncio.timeout(...)`: it waits as long as it takes."""
        loop = asyncio.get_running_loop()
        while not predicate():
            fut: asyncio.Future[None] = loop.create_future()
            self._change_waiters.append(fut)
            await fut

    def _wake(self) -> None:
        waiters, self._change_waiters = self._change_waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        self._listeners.remove(listener)

    async def execute(self, agent_id: str, command: Command, origin: Origin = "local") -> Reply:
        """Send a command and wait for its one reply (a refusal or timeout is a reply)."""
        key = (origin, agent_id, command.request_id)
        fut = self._waiters.get(key)
        if fut is None or fut.done():
            fut = asyncio.get_running_loop().create_future()
            self._waiters[key] = fut
        try:
            await self._submit(agent_id, command, key)
            return await fut
        finally:
            self._waiters.pop(key, None)

    def health(self, detailed: bool = False) -> dict[str, Any]:
        backend = self.backend_status() if self.backend_status else None
        body: dict[str, Any] = {
            "status": "ok",
            "active_agents": self.registry.active_count(),
            "backend_connected": bool(backend and backend.get("state") == "connected"),
            "version": __version__,
            "protocol_version": PROTOCOL_VERSION,
            "uptime_s": round(self.clock.monotonic() - self._started_at, 1),
        }
        if backend is not None:
            body["backend"] = backend
        if detailed:
            body["clients"] = len(self._clients)
            body["commands_in_flight"] = self.tracker.in_flight
            body["handler_crashes"] = self.handler_crashes
            body["agents"] = [a.info().model_dump(mode="json") for a in self.registry]
        return body

    # -- HTTP -------------------------------------------------------------------------

    def _process_request(self, ws: ServerConnection, request: Request) -> Response | None:
        h = request.headers
        version = h.get("Sec-WebSocket-Version")
        if version is not None and version.strip() != "13":
            # RFC 6455 4.2.2: refuse, and say which version this server speaks.
            refusal = ws.respond(HTTPStatus.UPGRADE_REQUIRED, "WebSocket version 13 only\n")
            refusal.headers["Sec-WebSocket-Version"] = "13"
            return refusal
        for name in ("Origin", "Host", "Authorization"):
            if len(h.get_all(name)) > 1:
                return ws.respond(HTTPStatus.BAD_REQUEST, f"more than one {name} header\n")
        verdict = check_request(
            request.path,
            origin=h.get("Origin"),
            host=h.get("Host"),
            authorization=h.get("Authorization"),
            token=self.config.token,
            bind_host=self.config.host,
            is_upgrade="websocket" in h.get("Upgrade", "").lower(),
        )
        if isinstance(verdict, Refusal):
            log.info(
                "refused %s %s: %s",
                request.path.split("?")[0],
                verdict.status.value,
                verdict.reason,
            )
            return ws.respond(verdict.status, verdict.reason + "\n")
        if verdict.kind == "health":
            body = json.dumps(self.health(detailed=verdict.authorized)).encode()
            headers = Headers(
                [
                    ("Content-Type", "application/json"),
                    ("Content-Length", str(len(body))),
                    ("Cache-Control", "no-store"),
                ]
            )
            return Response(200, "OK", headers, body)
        if self._connections >= self.config.max_connections:
            return ws.respond(
                HTTPStatus.SERVICE_UNAVAILABLE,
                f"too many connections (limit {self.config.max_connections})\n",
            )
        self._routes[ws] = verdict
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        route = self._routes.pop(ws)
        self._connections += 1
        try:
            if route.kind == "agent" and route.agent_id is not None:
                await self._agent_session(ws, route.agent_id)
            elif route.kind == "client":
                await self._client_session(ws)
        except Exception:
            # A defect, never an expected path: every frame handler is meant to be total.
            self.handler_crashes += 1
            log.exception("connection handler for %s crashed", route.kind)
            with contextlib.suppress(ConnectionClosed):
                await ws.close(1011, "internal error")
        finally:
            self._connections -= 1

    # -- agents -----------------------------------------------------------------------

    async def _agent_session(self, ws: ServerConnection, agent_id: str) -> None:
        old = self._agent_ws.get(agent_id)
        self._agent_ws[agent_id] = ws
        if old is not None:
            log.info("agent %s: new connection replaces the previous one", agent_id)
            asyncio.get_running_loop().create_task(
                old.close(_REPLACED, "replaced by a newer connection for this agent")
            )
        self._publish_notice(self.registry.connected(agent_id))
        log.info("agent %s connected from %s", agent_id, ws.remote_address)
        rate = self.config.agent_rate
        bucket = TokenBucket(rate.per_second, rate.burst, self.clock.monotonic)
        reason = "connection closed"
        try:
            async for raw in ws:
                if not bucket.take():
                    await self._send_error(
                        ws,
                        ProtocolError(
                            "rate_limited", f"more than {rate.per_second:.0f} messages/s", raw
                        ),
                    )
                    continue
                if isinstance(raw, bytes):
                    await self._send_error(
                        ws,
                        ProtocolError(
                            "invalid_message", "send JSON in text frames, not binary", raw
                        ),
                    )
                    continue
                self._on_agent_frame(ws, agent_id, raw)
        except ConnectionClosed:
            pass
        finally:
            if ws.close_code == _REPLACED:
                reason = "replaced by a newer connection"
            elif ws.close_code is not None:
                reason = f"connection closed ({ws.close_code} {ws.close_reason})".strip()
            if self._agent_ws.get(agent_id) is ws:
                del self._agent_ws[agent_id]
                notice = self.registry.disconnected(agent_id, reason)
                if notice is not None:
                    self._publish_notice(notice)
                log.info("agent %s disconnected: %s", agent_id, reason)

    def _on_agent_frame(self, ws: ServerConnection, agent_id: str, raw: str) -> None:
        try:
            msg = parse_agent_message(raw)
        except ProtocolError as exc:
            self._error_soon(ws, exc, agent_id)
            return
        # Present means it must match, null included: clients read the last of duplicate
        # keys, so a stamped frame must never carry a second, different agent_id.
        if "agent_id" in msg.model_fields_set and msg.agent_id != agent_id:
            self._error_soon(
                ws,
                ProtocolError(
                    "invalid_message",
                    f"agent_id {msg.agent_id!r} does not match this connection ({agent_id!r})",
                    raw,
                ),
                agent_id,
            )
            return
        if isinstance(msg, TradeExecuted | CommandResult):
            notice = self.registry.received(agent_id, None)
            if notice is not None:
                self._publish_notice(notice)
            self._on_reply(agent_id, msg, _stamp(raw, agent_id, msg.agent_id))
            return
        if isinstance(msg, Hello) and msg.data.protocol_version != PROTOCOL_VERSION:
            self._error_soon(
                ws,
                ProtocolError(
                    "unsupported_protocol",
                    f"EA speaks protocol {msg.data.protocol_version}, this gateway speaks "
                    f"{PROTOCOL_VERSION}: update the EA (Install EA in the app)",
                    raw,
                ),
                agent_id,
            )
            return
        state = self.registry.get(agent_id)
        too_many = state.over_limit(msg) if state is not None else None
        if too_many is not None:
            log.warning("agent %s: %s; event refused", agent_id, too_many)
            self._error_soon(ws, ProtocolError("limit_exceeded", too_many, raw), agent_id)
            return
        notice = self.registry.received(agent_id, msg)
        if notice is not None:
            self._publish_notice(notice)
        self._publish(GatewayOutput("event", agent_id, msg, _stamp(raw, agent_id, msg.agent_id)))

    def _on_reply(self, agent_id: str, reply: Reply, text: str) -> None:
        stamped = reply if reply.agent_id else reply.model_copy(update={"agent_id": agent_id})
        res = self.tracker.resolve(agent_id, stamped)
        if res.unexpected:
            return
        out = GatewayOutput("reply", agent_id, stamped, text)
        for origin in res.waiters:
            self._deliver_in_process(origin, stamped)
        for listener in self._listeners:
            self._call(listener, out)
        for cid, client in self._clients.items():
            if cid not in res.already_answered:
                client.offer(text)
        if self._change_waiters:
            self._wake()

    # -- clients ----------------------------------------------------------------------

    async def _client_session(self, ws: ServerConnection) -> None:
        client = ClientChannel(ws, self.config.client_queue)
        self._clients[client.id] = client
        log.info("%s connected from %s", client.id, ws.remote_address)
        now = self.clock.now()
        client.offer(
            Welcome(
                type="welcome",
                protocol_version=PROTOCOL_VERSION,
                gateway_version=__version__,
                agents=[a.info() for a in self.registry],
            ).model_dump_json()
        )
        for agent in self.registry:
            snap = agent.snapshot(now) if agent.status != "disconnected" else None
            if snap is not None:
                client.offer(snap.model_dump_json(exclude_none=True))
        rate = self.config.client_rate
        bucket = TokenBucket(rate.per_second, rate.burst, self.clock.monotonic)
        try:
            async for raw in ws:
                if not bucket.take():
                    client.offer(
                        ProtocolError(
                            "rate_limited", f"more than {rate.per_second:.0f} commands/s", raw
                        )
                        .to_message()
                        .model_dump_json()
                    )
                    continue
                await self._on_client_frame(client, raw)
        except ConnectionClosed:
            pass
        finally:
            del self._clients[client.id]
            self.tracker.forget_waiter(client.id)
            await client.close()
            log.info("%s disconnected", client.id)

    async def _on_client_frame(self, client: ClientChannel, raw: str | bytes) -> None:
        try:
            command = parse_command(raw)
        except ProtocolError as exc:
            client.offer(exc.to_message().model_dump_json())
            return
        if command.agent_id is None:
            client.offer(
                ProtocolError(
                    "invalid_message",
                    "a command needs agent_id: which terminal to send it to",
                    raw,
                    command.request_id,
                )
                .to_message()
                .model_dump_json()
            )
            return
        await self._submit(command.agent_id, command, client.id)

    # -- routing ----------------------------------------------------------------------

    async def _submit(self, agent_id: str, command: Command, origin: Origin) -> None:
        ws = self._agent_ws.get(agent_id)
        agent = self.registry.get(agent_id)
        decision = self.tracker.submit(
            agent_id,
            command,
            origin,
            agent_known=agent is not None,
            agent_online=ws is not None and agent is not None and agent.status != "disconnected",
        )
        if decision.action == "answer" and decision.reply is not None:
            self._answer(origin, decision.reply)
        elif decision.action == "send" and ws is not None:
            payload = command.model_dump_json(exclude={"agent_id", "expires_at"}, exclude_none=True)
            try:
                await ws.send(payload)
            except ConnectionClosed:
                # The reply or the deadline settles it; the EA may still have read it.
                log.warning("agent %s closed while sending %s", agent_id, command.request_id)

    def _answer(self, origin: Origin, reply: Reply) -> None:
        client = self._clients.get(origin) if isinstance(origin, str) else None
        if client is not None:
            client.offer(reply.model_dump_json(exclude_none=True))
        else:
            self._deliver_in_process(origin, reply)

    def _deliver_in_process(self, origin: Origin, reply: Reply) -> None:
        fut = self._waiters.get(origin)
        if fut is not None and not fut.done():
            fut.set_result(reply)

    # -- publishing -------------------------------------------------------------------

    def _publish(self, out: GatewayOutput) -> None:
        for listener in self._listeners:
            self._call(listener, out)
        for client in self._clients.values():
            client.offer(out.json)
        if self._change_waiters:
            self._wake()

    def _publish_notice(self, notice: AgentStatusNotice) -> None:
        self._publish(
            GatewayOutput(
                "notice", notice.agent_id, notice, notice.model_dump_json(exclude_none=True)
            )
        )

    @staticmethod
    def _call(listener: Listener, out: GatewayOutput) -> None:
        try:
            listener(out)
        except Exception:
            log.exception("listener %r failed", listener)

    def _error_soon(self, ws: ServerConnection, exc: ProtocolError, agent_id: str) -> None:
        log.info("agent %s sent bad input: %s %s", agent_id, exc.code, exc.message)
        asyncio.get_running_loop().create_task(self._send_error(ws, exc, agent_id))

    @staticmethod
    async def _send_error(
        ws: ServerConnection, exc: ProtocolError, agent_id: str | None = None
    ) -> None:
        try:
            msg: ErrorMessage = exc.to_message(agent_id)
            await ws.send(msg.model_dump_json(exclude_none=True))
        except ConnectionClosed:
            pass
        except Exception:
            log.exception("could not send an error reply (%s)", exc.code)

    async def _supervise(self) -> None:
        while True:
            await asyncio.sleep(self.config.supervise_every)
            for notice in self.registry.check_stale():
                log.warning("agent %s is stale: %s", notice.agent_id, notice.reason)
                self._publish_notice(notice)
            for expiry in self.tracker.expire():
                for origin in expiry.waiters:
                    self._answer(origin, expiry.reply)
