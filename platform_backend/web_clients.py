"""The web client door: Socket.IO namespace `/mt4` (spec sections 5 and 6.1).

Connect with `auth={"token": JWT}`; a bad token is refused at connect (the client gets a
connect error `authentication failed`). Each client joins room `user_<id>` and at once gets
the current state of its agents: per agent one `mt4_event` `agent_status` and, if the
agent has reported an account, one `mt4_event` `snapshot`. Live events follow as
`mt4_event`, exactly the event objects the EA sent (plus `agent_id`).

`mt4_command` takes a spec command plus `agent_id` (and optionally `expires_at`); its reply
(`trade_executed`/`command_result`, or `error` for a malformed command) is the value of
the event's acknowledgement callback, and is also emitted to the sender as `mt4_reply`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

import socketio  # type: ignore[import-untyped]

from .agent_view import AgentView
from .auth import AuthError, verify_token
from .store import StoreUnavailable

if TYPE_CHECKING:
    from .app import Backend

log = logging.getLogger(__name__)

NAMESPACE = "/mt4"


def room(user_id: str) -> str:
    return f"user_{user_id}"


def register(sio: socketio.AsyncServer, backend: Backend) -> Callable[[], Awaitable[None]]:
    """Installs the handlers; returns `resync`, which re-sends every web client of this
    node its user's stored state (after a fan-out outage)."""
    clients: dict[str, str] = {}
    """sid -> user id of the web clients connected to this node."""

    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        try:
            ident = verify_token(token if isinstance(token, str) else None,
                                 backend.settings.jwt_secret, expect="web")
        except AuthError as exc:
            log.info("web client refused: %s", exc.kind)
            raise socketio.exceptions.ConnectionRefusedError(
                {"message": "authentication failed", "reason": exc.kind}) from None
        await sio.save_session(sid, {"user_id": ident.user_id}, namespace=NAMESPACE)
        await sio.enter_room(sid, room(ident.user_id), namespace=NAMESPACE)
        backend.web_clients += 1
        clients[sid] = ident.user_id
        if backend.bus is not None:  # before reading the state: no event falls between
            await backend.bus.watch_user(ident.user_id)
        _spawn(_send_current_state(sid, ident.user_id))

    def _spawn(coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        backend.background.add(task)
        task.add_done_callback(backend.background.discard)

    async def disconnect(sid: str, reason: Any = None) -> None:
        backend.web_clients = max(0, backend.web_clients - 1)
        user_id = clients.pop(sid, None)
        if user_id is not None and backend.bus is not None:
            await backend.bus.unwatch_user(user_id)

    async def resync() -> None:
        for sid, user_id in list(clients.items()):
            _spawn(_send_current_state(sid, user_id))

    async def mt4_command(sid: str, data: Any = None) -> dict[str, Any]:
        session = await sio.get_session(sid, namespace=NAMESPACE)
        reply = await backend.router.submit(session["user_id"], data)
        await sio.emit("mt4_reply", reply, to=sid, namespace=NAMESPACE)
        return reply

    async def _send_current_state(sid: str, user_id: str) -> None:
        # The CONNECT packet is queued when the connect handler returns; wait for it so
        # the state never overtakes it.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5.0
        spins = 0
        while not sio.manager.is_connected(sid, NAMESPACE) and loop.time() < deadline:
            spins += 1
            await asyncio.sleep(0 if spins < 100 else 0.002)
        delay = 0.2
        while True:
            async with backend.user_lock(user_id):
                try:
                    agents = await backend.store.load_agents(user_id)
                except StoreUnavailable:
                    pass
                else:
                    await _emit_state(sid, agents)
                    return
            if not sio.manager.is_connected(sid, NAMESPACE) or delay > 30:
                log.warning("web client of user %s got no stored state (database "
                            "unreachable)", user_id)
                return
            await asyncio.sleep(delay)
            delay *= 2

    async def _emit_state(sid: str, agents: dict[str, AgentView]) -> None:
        for view in agents.values():
            await sio.emit("mt4_event", view.status_event(), to=sid, namespace=NAMESPACE)
            snap = view.snapshot_event()
            if snap is not None:
                await sio.emit("mt4_event", snap, to=sid, namespace=NAMESPACE)
            for info in view.symbol_events():
                await sio.emit("mt4_event", info, to=sid, namespace=NAMESPACE)

    sio.on("connect", connect, namespace=NAMESPACE)
    sio.on("disconnect", disconnect, namespace=NAMESPACE)
    sio.on("mt4_command", mt4_command, namespace=NAMESPACE)
    return resync
