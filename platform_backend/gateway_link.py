"""The gateway door: `ws://HOST:PORT/mt4`, served as a raw ASGI websocket next to Socket.IO.

Handshake: `Authorization: Bearer <JWT>`, refused with HTTP 401 (and a one-line reason)
when missing, badly signed, expired or naming no valid user. Then the gateway's `hello`,
our `welcome` with the highest seq stored for it, and a stream of event/batch frames that
are validated, deduplicated by (gateway, seq), folded into each agent's state, stored,
acknowledged, and emitted to the user's room. Close codes: 4003 this gateway id belongs
to another user (the gateway stops retrying), 4000 replaced by a newer connection of the
same gateway, 4400 protocol error.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from gateway_core.forwarder.link_protocol import (
    LINK_VERSION,
    LinkBatch,
    LinkEvent,
    LinkHello,
    LinkProtocolError,
    LinkWelcome,
    encode_ack,
    parse_gateway_frame,
)
from gateway_core.protocol import AGENT_MESSAGE, NOTICE

from .agent_view import AgentView
from .auth import AuthError, bearer, verify_token
from .store import GatewayOwnedElsewhere

if TYPE_CHECKING:
    from .app import Backend

log = logging.getLogger(__name__)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

HELLO_TIMEOUT = 10.0
REPLY_TYPES = frozenset({"trade_executed", "command_result", "error"})


def validate_event(event: dict[str, Any]) -> str:
    """Check an event against the wire protocol; returns its type. Raises ValueError."""
    kind = event.get("type")
    try:
        if kind in ("agent_status", "error"):
            NOTICE.validate_python(event)
        else:
            AGENT_MESSAGE.validate_python(event)
    except ValidationError as exc:
        raise ValueError(str(exc.errors(include_url=False)[:1])) from None
    return str(kind)


async def deny(scope: Scope, send: Send, status: int, reason: str) -> None:
    if "websocket.http.response" in scope.get("extensions", {}):
        body = (reason + "\n").encode()
        await send({"type": "websocket.http.response.start", "status": status,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "websocket.http.response.body", "body": body})
    else:
        await send({"type": "websocket.close", "code": 1008, "reason": reason})


class GatewayLink:
    def __init__(self, backend: Backend, user_id: str, gateway_id: str, send: Send,
                 acked: int) -> None:
        self.backend = backend
        self.user_id = user_id
        self.gateway_id = gateway_id
        self._send_raw = send
        self._send_lock = asyncio.Lock()
        self.acked = acked
        self.agents = backend.store.load_agents(user_id, gateway_id)
        self.duplicates = 0
        self.gaps = 0
        self.rejected = 0
        self.closed = False

    async def send_text(self, text: str) -> None:
        async with self._send_lock:
            await self._send_raw({"type": "websocket.send", "text": text})

    async def close(self, code: int, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        async with self._send_lock:
            await self._send_raw({"type": "websocket.close", "code": code, "reason": reason})

    async def send_command(self, agent_id: str, command: dict[str, Any]) -> None:
        frame = {"type": "command", "agent_id": agent_id, "command": command}
        await self.send_text(json.dumps(frame, separators=(",", ":")))

    async def ingest(self, events: list[LinkEvent]) -> None:
        backend = self.backend
        changed: dict[str, AgentView] = {}
        log_rows: list[tuple[int, str, str]] = []
        to_emit: list[dict[str, Any]] = []
        replies: list[tuple[str, dict[str, Any]]] = []
        for ev in events:
            if ev.seq <= self.acked:
                self.duplicates += 1
                continue
            if ev.seq != self.acked + 1:
                self.gaps += 1
                log.warning("gateway %s: seq jumped from %d to %d", self.gateway_id,
                            self.acked, ev.seq)
            self.acked = ev.seq
            event = ev.event
            event["agent_id"] = ev.agent_id
            try:
                kind = validate_event(event)
            except ValueError as exc:
                self.rejected += 1
                log.warning("gateway %s seq %d: invalid event dropped: %s", self.gateway_id,
                            ev.seq, exc)
                log_rows.append((ev.seq, ev.agent_id, "rejected"))
                continue
            log_rows.append((ev.seq, ev.agent_id, kind))
            if kind in REPLY_TYPES:
                replies.append((ev.agent_id, event))
                continue
            view = self.agents.get(ev.agent_id)
            if view is None:
                view = self.agents[ev.agent_id] = AgentView(ev.agent_id)
            if view.apply(event):
                changed[ev.agent_id] = view
            to_emit.append(event)
        async with backend.user_lock(self.user_id):
            if log_rows:
                backend.store.commit_batch(self.gateway_id, self.user_id, self.acked,
                                           changed.values(), log_rows)
            await self.send_text(encode_ack(self.acked))
            for event in to_emit:
                await backend.emit_event(self.user_id, event)
        for agent_id, reply in replies:
            await backend.router.on_reply(self.user_id, agent_id, reply)

    async def gateway_gone(self) -> None:
        """The link ended: its agents cannot be reached until it comes back."""
        backend = self.backend
        async with backend.user_lock(self.user_id):
            changed = [v for v in self.agents.values() if v.status != "disconnected"]
            for view in changed:
                view.status = "disconnected"
            if changed:
                backend.store.save_agents(self.user_id, self.gateway_id, changed)
            # Every agent, not only those still connected: a gateway that stops cleanly
            # reports its terminals disconnected first, and pages must still learn that
            # the gateway itself is gone.
            for view in self.agents.values():
                await backend.emit_event(
                    self.user_id, view.status_event("the gateway is not connected to the "
                                                    "platform"))


async def serve_gateway(backend: Backend, scope: Scope, receive: Receive, send: Send) -> None:
    first = await receive()
    if first["type"] != "websocket.connect":
        return
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    try:
        ident = verify_token(bearer(headers.get("authorization")), backend.settings.jwt_secret)
    except AuthError as exc:
        client = scope.get("client") or ("?", 0)
        log.info("gateway from %s refused: %s", client[0], exc.kind)
        await deny(scope, send, 401, exc.message)
        return
    await send({"type": "websocket.accept"})
    try:
        msg = await asyncio.wait_for(receive(), HELLO_TIMEOUT)
    except TimeoutError:
        await send({"type": "websocket.close", "code": 4400, "reason": "no hello"})
        return
    if msg["type"] != "websocket.receive":
        return
    try:
        hello = parse_gateway_frame(msg.get("text") or msg.get("bytes") or b"")
        if not isinstance(hello, LinkHello):
            raise LinkProtocolError("the first frame must be hello")
    except LinkProtocolError as exc:
        await send({"type": "websocket.close", "code": 4400, "reason": str(exc)[:120]})
        return
    gid = hello.gateway_id
    try:
        acked = backend.store.claim_gateway(gid, ident.user_id, backend.node_id)
    except GatewayOwnedElsewhere:
        log.warning("gateway %s refused: it belongs to another user (token user %s)",
                    gid, ident.user_id)
        await send({"type": "websocket.close", "code": 4003,
                    "reason": "this gateway is registered to another user"})
        return
    link = GatewayLink(backend, ident.user_id, gid, send, acked)
    old = backend.router.links.get(gid)
    backend.router.links[gid] = link
    if old is not None and isinstance(old, GatewayLink):
        await old.close(4000, "replaced by a newer connection of this gateway")
    welcome = LinkWelcome(type="welcome", link_version=LINK_VERSION, user_id=ident.user_id,
                          acked_seq=acked)
    await link.send_text(welcome.model_dump_json())
    log.info("gateway %s (user %s, v%s) connected: stored up to %d, it has %d",
             gid, ident.user_id, hello.gateway_version, acked, hello.last_seq)
    try:
        await _receive_loop(link, receive)
    finally:
        if backend.router.links.get(gid) is link:
            del backend.router.links[gid]
            backend.store.release_gateway(gid, backend.node_id)
            await link.gateway_gone()
        log.info("gateway %s disconnected (%d duplicates skipped, %d gaps, %d rejected)",
                 gid, link.duplicates, link.gaps, link.rejected)


async def _receive_loop(link: GatewayLink, receive: Receive) -> None:
    while True:
        msg = await receive()
        if msg["type"] != "websocket.receive":
            return
        raw = msg.get("text") or msg.get("bytes") or b""
        try:
            frame = parse_gateway_frame(raw)
        except LinkProtocolError as exc:
            log.warning("gateway %s: %s", link.gateway_id, exc)
            await link.close(4400, str(exc)[:120])
            return
        if isinstance(frame, LinkEvent):
            await link.ingest([frame])
        elif isinstance(frame, LinkBatch):
            await link.ingest(frame.events)
        else:
            await link.close(4400, "hello may only be sent once")
            return
