"""The gateway door: `ws://HOST:PORT/mt4`, served as a raw ASGI websocket next to Socket.IO.

Handshake: `Authorization: Bearer <JWT>`, refused with HTTP 401 (and a one-line reason)
when missing, badly signed, expired or naming no valid user. Then the gateway's `hello`,
our `welcome` with the highest seq stored for it, and a stream of event/batch frames that
are validated, deduplicated by (gateway, seq), folded into each agent's state, stored,
acknowledged, and emitted to the user's room. Close codes: 4003 this gateway id belongs
to another user (the gateway stops retrying), 4000 replaced by a newer connection of the
same gateway (on this node, or found at commit time when another node claimed it), 4400
protocol error, 1013 the database is unreachable (the gateway retries later and resends
everything unacknowledged).

A frame's effects are folded into the agents' views, committed, and only then acked and
emitted; after a commit that failed for good the link ends and its views are never
saved (the disconnect notice reloads the stored state first). While
the database is unreachable the commit is retried (capped backoff) and nothing is acked;
the link stops reading meanwhile, so the gateway's own outbox holds the backlog.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from gateway_core.protocol import AGENT_MESSAGE, NOTICE
from gateway_core.protocol.link import (
    LINK_VERSION,
    LinkBatch,
    LinkEvent,
    LinkHello,
    LinkProtocolError,
    LinkWelcome,
    encode_ack,
    parse_gateway_frame,
)

from .agent_view import AgentView
from .auth import AuthError, bearer, verify_token
from .store import GatewayOwnedElsewhere, LinkSuperseded, StoreUnavailable

if TYPE_CHECKING:
    from .app import Backend

log = logging.getLogger(__name__)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

HELLO_TIMEOUT = 10.0
COMMIT_RETRY_FOR = 60.0
"""How long one frame's commit is retried before the link is closed (1013) instead."""
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
                 acked: int, epoch: int, agents: dict[str, AgentView]) -> None:
        self.backend = backend
        self.user_id = user_id
        self.gateway_id = gateway_id
        self._send_raw = send
        self._send_lock = asyncio.Lock()
        self.acked = acked
        self.epoch = epoch
        self.agents = agents
        self.duplicates = 0
        self.gaps = 0
        self.rejected = 0
        self.closed = False
        self.uncommitted = False

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

    async def ingest(self, events: list[LinkEvent]) -> bool:
        """Validate, fold, commit, ack, emit. False: the link must end (it was closed)."""
        backend = self.backend
        acked = self.acked
        changed: dict[str, AgentView] = {}
        log_rows: list[tuple[int, str, str]] = []
        to_emit: list[dict[str, Any]] = []
        replies: list[tuple[str, dict[str, Any]]] = []
        for ev in events:
            if ev.seq <= acked:
                self.duplicates += 1
                continue
            if ev.seq != acked + 1:
                self.gaps += 1
                log.warning("gateway %s: seq jumped from %d to %d", self.gateway_id,
                            acked, ev.seq)
            acked = ev.seq
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
        if not log_rows:
            await self.send_text(encode_ack(self.acked))
            return True
        async with backend.user_lock(self.user_id):
            if not await self._commit(acked, changed, log_rows):
                # The views hold effects that were never stored: never save them.
                self.uncommitted = True
                return False
            self.acked = acked
            await self.send_text(encode_ack(acked))
            await backend.emit_events(self.user_id, to_emit)
        for agent_id, reply in replies:
            await backend.router.on_reply(self.user_id, agent_id, reply)
        return True

    async def _commit(self, acked: int, changed: dict[str, AgentView],
                      log_rows: list[tuple[int, str, str]]) -> bool:
        store = self.backend.store
        loop = asyncio.get_running_loop()
        give_up = loop.time() + COMMIT_RETRY_FOR
        delay = 0.05
        while not self.closed:
            try:
                await store.commit_batch(self.gateway_id, self.epoch, self.user_id, acked,
                                         changed.values(), log_rows)
                return True
            except LinkSuperseded:
                log.info("gateway %s: a newer link (elsewhere) holds it; closing this one",
                         self.gateway_id)
                await self.close(4000, "replaced by a newer connection of this gateway")
                return False
            except StoreUnavailable:
                if loop.time() > give_up:
                    await self.close(1013, "platform database unavailable; try again later")
                    return False
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
        return False

    async def gateway_gone(self) -> None:
        """The link ended: its agents cannot be reached until it comes back (unless a newer
        link already holds the gateway, here or on another node)."""
        backend = self.backend
        async with backend.user_lock(self.user_id):
            if self.uncommitted:
                try:
                    self.agents = await backend.store.load_agents(self.user_id,
                                                                  self.gateway_id)
                except StoreUnavailable:
                    return
            gone = [v for v in self.agents.values() if v.status != "disconnected"]
            for view in gone:
                view.status = "disconnected"
            if gone:
                try:
                    await backend.store.save_agents(self.user_id, self.gateway_id, self.epoch,
                                                    gone)
                except LinkSuperseded:
                    return
                except StoreUnavailable:
                    log.warning("gateway %s: could not mark its agents disconnected (database "
                                "unreachable)", self.gateway_id)
            # Every agent, not only those still connected: a gateway that stops cleanly
            # reports its terminals disconnected first, and pages must still learn that
            # the gateway itself is gone.
            await backend.emit_events(self.user_id, [
                view.status_event("the gateway is not connected to the platform")
                for view in self.agents.values()])


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
        claim = await backend.store.claim_gateway(gid, ident.user_id, backend.node_id)
        agents = await backend.store.load_agents(ident.user_id, gid)
    except GatewayOwnedElsewhere:
        log.warning("gateway %s refused: it belongs to another user (token user %s)",
                    gid, ident.user_id)
        await send({"type": "websocket.close", "code": 4003,
                    "reason": "this gateway is registered to another user"})
        return
    except StoreUnavailable:
        log.warning("gateway %s: database unreachable; asked it to retry later", gid)
        await send({"type": "websocket.close", "code": 1013,
                    "reason": "platform database unavailable; try again later"})
        return
    acked = claim.acked_seq
    link = GatewayLink(backend, ident.user_id, gid, send, acked, claim.epoch, agents)
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
            with contextlib.suppress(StoreUnavailable):
                await backend.store.release_gateway(gid, link.epoch)
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
            if not await link.ingest([frame]):
                return
        elif isinstance(frame, LinkBatch):
            if not await link.ingest(frame.events):
                return
        else:
            await link.close(4400, "hello may only be sent once")
            return
