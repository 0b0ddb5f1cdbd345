"""Turns what the in-process gateway publishes into Qt signals, and keeps the quote
subscriptions the views ask for (a subscription replaces the previous one per agent, so
one place must own the union)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import Counter
from typing import Any

from gateway_core.protocol import (
    AgentStatusNotice,
    Reply,
    SubscribeQuotes,
    SubscribeQuotesData,
)
from gateway_core.server import Gateway
from gateway_core.server.gateway import GatewayOutput
from gateway_core.state import AgentState

from .qt import QObject, QTimer, Signal

log = logging.getLogger(__name__)

ORIGIN = "desktop"


def new_request_id(prefix: str = "desk") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


class GatewayBridge(QObject):
    gateway_event = Signal(str, object)  # agent_id, Event model
    notice = Signal(object)  # AgentStatusNotice
    reply = Signal(str, object)  # agent_id, Reply (every reply, any origin)
    second = Signal()  # once a second: ages, link status
    link_status = Signal(object)  # dict from Gateway.backend_status, or None

    def __init__(self, gateway: Gateway, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.gateway = gateway
        self._wanted: dict[str, Counter[str]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        gateway.add_listener(self._on_output)
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._on_second)
        self._timer.start()

    def detach(self) -> None:
        self._timer.stop()
        with contextlib.suppress(ValueError):
            self.gateway.remove_listener(self._on_output)

    # -- state -----------------------------------------------------------------------

    def agents(self) -> list[AgentState]:
        return list(self.gateway.registry)

    def agent(self, agent_id: str) -> AgentState | None:
        return self.gateway.registry.get(agent_id)

    def backend(self) -> dict[str, Any] | None:
        status = self.gateway.backend_status
        if status is None:
            return None
        try:
            return status()
        except Exception:
            log.exception("backend_status failed")
            return None

    # -- commands ----------------------------------------------------------------------

    async def execute(self, agent_id: str, command: Any) -> Reply:
        return await self.gateway.execute(agent_id, command, origin=ORIGIN)

    def subscribe(self, agent_id: str, symbol: str) -> None:
        wanted = self._wanted.setdefault(agent_id, Counter())
        wanted[symbol] += 1
        if wanted[symbol] == 1:
            self._push_subscription(agent_id)

    def unsubscribe(self, agent_id: str, symbol: str) -> None:
        wanted = self._wanted.get(agent_id)
        if not wanted or wanted[symbol] <= 0:
            return
        wanted[symbol] -= 1
        if wanted[symbol] == 0:
            del wanted[symbol]
            self._push_subscription(agent_id)

    def _push_subscription(self, agent_id: str) -> None:
        symbols = sorted(self._wanted.get(agent_id, ()))
        agent = self.agent(agent_id)
        if agent is None or agent.status == "disconnected":
            return  # sent again when the agent connects
        command = SubscribeQuotes(
            command="subscribe_quotes",
            request_id=new_request_id("quotes"),
            data=SubscribeQuotesData(symbols=symbols),
        )
        task = asyncio.ensure_future(self.execute(agent_id, command))
        self._tasks.add(task)
        task.add_done_callback(self._subscription_done)

    def _subscription_done(self, task: asyncio.Task[Reply]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.warning("quote subscription failed: %s", exc)
        elif not task.result().success:
            log.info("quote subscription refused: %s", task.result().error)

    # -- gateway output ----------------------------------------------------------------

    def _on_output(self, out: GatewayOutput) -> None:
        if out.kind == "event" and out.agent_id is not None:
            self.gateway_event.emit(out.agent_id, out.message)
            if getattr(out.message, "type", None) == "snapshot" and self._wanted.get(
                out.agent_id
            ):
                # A (re)connected EA starts with no subscriptions; ask again.
                self._push_subscription(out.agent_id)
        elif out.kind == "notice" and isinstance(out.message, AgentStatusNotice):
            self.notice.emit(out.message)
        elif out.kind == "reply" and out.agent_id is not None:
            self.reply.emit(out.agent_id, out.message)

    def _on_second(self) -> None:
        self.second.emit()
        self.link_status.emit(self.backend())
