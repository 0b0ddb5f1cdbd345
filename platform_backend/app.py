"""One Starlette app on one port: `/mt4` websockets go to the gateway door, `GET /health`
is answered here, `/socket.io/` is python-socketio's ASGI app, `/api/...` the JSON API
(`api_*.py` modules), and `/` the built web panel (`web_panel.py`)."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import pkgutil
import socket
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import socketio  # type: ignore[import-untyped]
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.types import Receive, Scope, Send

from .cluster import ClusterBus
from .command_router import CommandRouter
from .gateway_link import serve_gateway
from .loop_lag import LoopLag
from .pairing import Pairing
from .pairing_door import GatewayDoor
from .store import StoreUnavailable, open_store
from .store_postgres_pairing import pairing_storage_for
from .store_url import StoreUrl, parse_store_url
from .web_clients import NAMESPACE, register, room
from .web_panel import PANEL_DIR, SecurityHeaders, panel_routes

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settings:
    jwt_secret: str
    db_path: StoreUrl | Path | str = "platform-backend.sqlite3"
    """A StoreUrl, or what `--db` takes: a path, sqlite:///PATH or postgresql://..."""
    redis_url: str | None = None
    node_id: str = field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}-"
                                                 f"{uuid.uuid4().hex[:6]}")
    command_ttl: float = 30.0
    reply_grace: float = 35.0
    cors_origins: tuple[str, ...] = ()
    panel_dir: Path = PANEL_DIR

    def __post_init__(self) -> None:
        if len(self.jwt_secret) < 32:
            raise ValueError("the JWT secret must be at least 32 characters")


class Backend:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.node_id = settings.node_id
        # No Socket.IO Redis manager: the cluster bus fans events out per user (cluster.py).
        self.sio = socketio.AsyncServer(
            async_mode="asgi",
            cors_allowed_origins=list(settings.cors_origins) or None,
            logger=False,
            engineio_logger=False,
        )
        self.sio_app = socketio.ASGIApp(self.sio, socketio_path="socket.io")
        db = settings.db_path
        self.store = open_store(db if isinstance(db, StoreUrl) else parse_store_url(str(db)))
        self.router = CommandRouter(self.store, self.node_id,
                                    command_ttl=settings.command_ttl,
                                    reply_grace=settings.reply_grace)
        self.router.on_orphan_reply = self._orphan_reply
        self.pairing = Pairing(pairing_storage_for(self.store), settings.jwt_secret,
                               self.node_id, redis_url=settings.redis_url)
        self.gateway_door = GatewayDoor(self.pairing, settings.jwt_secret, self.router.links)
        self.bus: ClusterBus | None = None
        self.web_clients = 0
        self.background: set[asyncio.Task[None]] = set()
        self.loop_lag = LoopLag()
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._resync_web_clients = register(self.sio, self)
        self.app = self._build_app()

    def user_lock(self, user_id: str) -> asyncio.Lock:
        """Orders a user's state reads+emits against event commits+emits on this node."""
        return self._locks[user_id]

    async def emit_event(self, user_id: str, event: dict[str, Any]) -> None:
        await self.emit_events(user_id, [event])

    async def emit_events(self, user_id: str, events: list[dict[str, Any]],
                          name: str = "mt4_event") -> None:
        """To the user's web clients here, then (one message) to those on other nodes."""
        await self._emit_here(user_id, name, events)
        if self.bus is not None:
            await self.bus.fan_out(user_id, name, events)

    async def _emit_here(self, user_id: str, name: str, items: list[dict[str, Any]]) -> None:
        if name not in ("mt4_event", "mt4_reply"):
            return
        for item in items:
            await self.sio.emit(name, item, room=room(user_id), namespace=NAMESPACE)

    async def _deliver_from_other_node(self, user_id: str, name: str,
                                       items: list[dict[str, Any]]) -> None:
        # Under the user's lock, like a (re)connecting client's stored-state read and
        # send: a relayed event is either in what the client was sent (it was committed
        # before it was published) or comes after it, never overwritten by older state.
        async with self.user_lock(user_id):
            await self._emit_here(user_id, name, items)

    async def _orphan_reply(self, user_id: str, reply: dict[str, Any]) -> None:
        """A reply whose asker is gone (e.g. this node restarted): the user's clients get
        it as `mt4_reply` rather than nobody."""
        await self.emit_events(user_id, [reply], "mt4_reply")

    # -- life cycle -------------------------------------------------------------------

    async def startup(self) -> None:
        await self.store.open()
        await self.store.release_node(self.node_id)
        for job, name in ((self.store.watch(), "db-watch"), (self.loop_lag.run(), "loop-lag")):
            task = asyncio.get_running_loop().create_task(job, name=name)
            self.background.add(task)
            task.add_done_callback(self.background.discard)
        await self.pairing.start()
        if self.settings.redis_url:
            self.bus = ClusterBus(self.settings.redis_url, self.router)
            self.bus.deliver = self._deliver_from_other_node
            self.bus.on_recovered = self._resync_web_clients
            await self.bus.start()
            self.router.bus = self.bus
        log.info("platform backend node %s ready (db %s%s)", self.node_id,
                 self.store.url.redacted(), ", redis" if self.bus else "")

    async def shutdown(self) -> None:
        for task in list(self.background):
            task.cancel()
        for link in list(self.router.links.values()):
            close = getattr(link, "close", None)
            if close is not None:
                await close(1001, "platform backend shutting down")
        if self.bus is not None:
            await self.bus.stop()
        await self.pairing.stop()
        with contextlib.suppress(StoreUnavailable):
            await self.store.release_node(self.node_id)
        await self.store.close()

    def health(self) -> dict[str, Any]:
        db = self.store.health
        return {
            "status": "ok" if db.state == "ok" else "retrying",
            "node_id": self.node_id,
            "db": db.as_dict(),
            "loop_lag_ms": self.loop_lag.summary_ms(),
            "gateways": len(self.router.links),
            "web_clients": self.web_clients,
            "redis": self.bus is not None,
        }

    # -- ASGI -------------------------------------------------------------------------

    def _build_app(self) -> Starlette:
        routes: list[BaseRoute] = [
            WebSocketRoute("/mt4", _GatewayDoor(self), name="gateway_door"),
            WebSocketRoute("/mt4/", _GatewayDoor(self)),
            Route("/health", self._health, methods=["GET", "HEAD"], name="health"),
            Mount("/socket.io", app=self.sio_app, name="socket_io"),
            Mount("/api", routes=api_routes(self), name="api"),
            *panel_routes(self.settings.panel_dir),
        ]
        return Starlette(routes=routes, middleware=[Middleware(SecurityHeaders)],
                         lifespan=self._lifespan)

    async def _health(self, request: Request) -> Response:
        return JSONResponse(self.health(), headers={"cache-control": "no-store"})

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        await self.startup()
        try:
            yield
        finally:
            await self.shutdown()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


class _GatewayDoor:
    """The `/mt4` websocket as a raw ASGI app: the gateway link speaks ASGI messages
    directly (its denial responses need the raw `websocket.http.response` events)."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # gateway_link types ASGI messages as plain dicts, which is what uvicorn passes.
        backend = self.backend

        async def serve(scope: Any, receive: Any, send: Any) -> None:
            await serve_gateway(backend, scope, receive, send)

        await backend.gateway_door(cast(Any, scope), cast(Any, receive), cast(Any, send), serve)


def api_routes(backend: Backend) -> list[BaseRoute]:
    """The JSON API mounted at `/api`: every `platform_backend.api_*` module provides
    `api_routes(backend) -> list[BaseRoute]` with paths relative to `/api` (so
    `Route("/pairing-codes", ...)` answers `POST /api/pairing-codes`)."""
    routes: list[BaseRoute] = []
    package = Path(__file__).parent
    for info in sorted(pkgutil.iter_modules([str(package)]), key=lambda i: i.name):
        if not info.name.startswith("api_"):
            continue
        module = importlib.import_module(f"{__package__}.{info.name}")
        provide = getattr(module, "api_routes", None)
        if provide is None:
            raise RuntimeError(f"{module.__name__} has no api_routes(backend)")
        routes.extend(provide(backend))
    return routes


def create_app(settings: Settings) -> Backend:
    return Backend(settings)
