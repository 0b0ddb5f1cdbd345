"""The gateway door's token check, in front of `gateway_link.serve_gateway`.

Only gateway tokens whose id the store knows and has not revoked get through: a web token
gets HTTP 401 `wrong_kind`, a revoked or unknown gateway token HTTP 401 `revoked`. The
door also records which live connection each token id has on this node, the gateway id,
version and online/last-seen state for `GET /api/gateways`, and closes a connection with
4401 `revoked` when its token is revoked.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from .auth import AuthError, bearer, verify_token
from .gateway_link import deny
from .pairing import CLOSE_REVOKED, Pairing

log = logging.getLogger(__name__)

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Serve = Callable[[Scope, Receive, Send], Awaitable[None]]

REVOKED_MESSAGE = ("revoked: this gateway's link was revoked on the platform (or is "
                   "unknown to it); link it again with a new pairing code")


class _Connection:
    def __init__(self, token_id: str, send: Send) -> None:
        self.token_id = token_id
        self.raw_send = send
        self.gateway_id: str | None = None
        self.version: str | None = None
        self.link: object | None = None
        self.accepted = False
        self.opened = False
        self.closed = False
        self.revoked = False


class GatewayDoor:
    def __init__(self, pairing: Pairing, secret: str,
                 links: Mapping[str, object]) -> None:
        self.pairing = pairing
        self._secret = secret
        self._links = links
        self._live: defaultdict[str, set[_Connection]] = defaultdict(set)
        pairing.on_revoked(self.close_revoked)

    def live_token_ids(self) -> set[str]:
        return {t for t, conns in self._live.items() if conns}

    async def __call__(self, scope: Scope, receive: Receive, send: Send,
                       serve: Serve) -> None:
        first = await receive()
        if first["type"] != "websocket.connect":
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        client = (scope.get("client") or ("?", 0))[0]
        try:
            ident = verify_token(bearer(headers.get("authorization")), self._secret,
                                 expect="gateway")
        except AuthError as exc:
            log.info("gateway from %s refused: %s", client, exc.kind)
            await deny(scope, send, 401, exc.message)
            return
        assert ident.token_id is not None  # verify_token guarantees it for gateway tokens
        conn = _Connection(ident.token_id, send)
        # Registered before the store is asked, so a revocation racing with this handshake
        # either is seen by the check or finds the connection here.
        self._live[conn.token_id].add(conn)
        try:
            try:
                state = await self.pairing.store.token_state(conn.token_id)
            except Exception as exc:
                log.warning("gateway from %s: cannot check its token: %s", client, exc)
                await deny(scope, send, 503, "the platform cannot check tokens right now; "
                           "try again")
                return
            if (state is None or state.revoked or state.user_id != ident.user_id
                    or conn.revoked):
                log.info("gateway from %s refused: revoked or unknown token id %s", client,
                         conn.token_id)
                await deny(scope, send, 401, REVOKED_MESSAGE)
                return
            await serve(scope, self._receiver(conn, first, receive), self._sender(conn))
        finally:
            self._live[conn.token_id].discard(conn)
            if not self._live[conn.token_id]:
                del self._live[conn.token_id]
            if conn.opened:
                try:
                    await self.pairing.store.link_closed(conn.token_id, self.pairing.node_id,
                                                         self.pairing.clock())
                except Exception as exc:
                    # Shutting down (the store is closed): startup marks the node's links
                    # offline anyway.
                    log.info("cannot record that gateway %s went offline: %s",
                             conn.gateway_id, exc)

    def _receiver(self, conn: _Connection, first: Message, receive: Receive) -> Receive:
        replay: list[Message] = [first]

        async def wrapped() -> Message:
            if replay:
                return replay.pop()
            msg = await receive()
            if conn.gateway_id is None and msg.get("type") == "websocket.receive":
                _note_hello(conn, msg.get("text") or msg.get("bytes") or b"")
            return msg

        return wrapped

    def _sender(self, conn: _Connection) -> Send:
        async def wrapped(msg: Message) -> None:
            if conn.closed:
                return  # closed for revocation: the link's last words go nowhere
            kind = msg.get("type")
            if kind == "websocket.close":
                conn.closed = True
            elif kind == "websocket.accept":
                conn.accepted = True
            elif kind == "websocket.send" and not conn.opened and conn.gateway_id:
                # The first frame out is the welcome: the link is registered by now.
                conn.opened = True
                conn.link = self._links.get(conn.gateway_id)
                try:
                    await self.pairing.store.link_opened(conn.token_id, conn.gateway_id,
                                                         conn.version, self.pairing.node_id,
                                                         self.pairing.clock())
                except Exception as exc:
                    # Only the gateway list's online/last-seen suffers: keep the link.
                    log.warning("cannot record that gateway %s is online: %s",
                                conn.gateway_id, exc)
            await conn.raw_send(msg)

        return wrapped

    async def close_revoked(self, token_id: str) -> None:
        for conn in list(self._live.get(token_id, ())):
            conn.revoked = True
            if conn.closed or not conn.accepted:
                continue  # not accepted yet: the token check refuses it
            log.info("closing gateway %s: its token was revoked", conn.gateway_id or "?")
            try:
                link = conn.link
                close = getattr(link, "close", None)
                if close is not None and self._links.get(conn.gateway_id or "") is link:
                    # Through the link, so the close is ordered after any frame in flight.
                    await close(CLOSE_REVOKED, "revoked")
                else:
                    await self._sender(conn)({"type": "websocket.close",
                                              "code": CLOSE_REVOKED, "reason": "revoked"})
            except Exception as exc:
                log.info("gateway link already gone while revoking: %s", exc)


def _note_hello(conn: _Connection, raw: str | bytes) -> None:
    """Remember the gateway id and version of the hello; `serve_gateway` validates it."""
    try:
        frame = json.loads(raw)
    except ValueError:
        return
    if isinstance(frame, dict) and frame.get("type") == "hello":
        gid, version = frame.get("gateway_id"), frame.get("gateway_version")
        if isinstance(gid, str) and 0 < len(gid) <= 128:
            conn.gateway_id = gid
        if isinstance(version, str) and len(version) <= 64:
            conn.version = version
