"""Commands from web clients to the user's gateway, and their one reply back.

A web client names an agent; the router checks the agent is the user's own (same answer
as for an agent that does not exist, so nothing leaks), adds an expiry if the client gave
none, and hands the command to the gateway link carrying that agent: on this node
directly, on another node through the cluster bus. The reply arrives as an outbox event
on whichever node holds the link and is routed back to the asking node.

The store's command journal keeps each (user, request_id) with its first reply, written
by the node that received the reply: a repeated request_id is answered from it without
reaching the terminal again, and an asker whose reply was lost between nodes (Redis
down) finds it there while it waits.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from gateway_core.protocol import ProtocolError, parse_command

from .store import Store, StoreUnavailable

log = logging.getLogger(__name__)

JOURNAL_POLL = 1.0
"""Seconds between journal looks while a command routed to another node is waiting."""

Key = tuple[str, str, str]
"""(user_id, agent_id, request_id)"""


class LocalLink(Protocol):
    user_id: str

    async def send_command(self, agent_id: str, command: dict[str, Any]) -> None: ...


class Bus(Protocol):
    async def send_command(self, node_id: str, from_node: str, user_id: str, agent_id: str,
                           command: dict[str, Any]) -> bool: ...

    async def send_reply(self, node_id: str, user_id: str, agent_id: str,
                         reply: dict[str, Any]) -> None: ...


def refusal(command: dict[str, Any], agent_id: str | None, code: str, message: str
            ) -> dict[str, Any]:
    """A failed reply shaped like the gateway's: trade_executed for execute_trade."""
    body: dict[str, Any] = {
        "request_id": command.get("request_id"),
        "success": False,
        "error": {"code": code, "message": message},
        "timestamp": datetime.now(UTC).isoformat(),
    }
    if agent_id is not None:
        body["agent_id"] = agent_id
    if command.get("command") == "execute_trade":
        return {"type": "trade_executed", **body}
    name = command.get("command")
    if isinstance(name, str) and name in _COMMANDS:
        return {"type": "command_result", "command": name, **body}
    return {"type": "error", "code": code, "message": message,
            **({"request_id": body["request_id"]} if body["request_id"] else {}),
            **({"agent_id": agent_id} if agent_id else {})}


_COMMANDS = frozenset({"modify_position", "close_position", "close_all", "delete_order",
                       "subscribe_quotes", "get_snapshot"})


class CommandRouter:
    def __init__(
        self,
        store: Store,
        node_id: str,
        *,
        command_ttl: float = 30.0,
        reply_grace: float = 35.0,
    ) -> None:
        self.store = store
        self.node_id = node_id
        self.command_ttl = command_ttl
        self.reply_grace = reply_grace
        self.bus: Bus | None = None
        self.links: dict[str, LocalLink] = {}
        """gateway_id -> link connected to this node."""
        self._waiting: dict[Key, list[asyncio.Future[dict[str, Any]]]] = {}
        self._remote: dict[Key, str] = {}
        self.on_orphan_reply: Callable[[str, dict[str, Any]], Awaitable[None]] | None = None

    async def submit(self, user_id: str, payload: Any) -> dict[str, Any]:
        if not isinstance(payload, dict):
            return refusal({}, None, "invalid_message", "mt4_command takes a JSON object")
        try:
            raw = json.dumps(payload)
        except (ValueError, TypeError, RecursionError):
            return refusal({}, None, "invalid_message", "mt4_command: unreadable JSON")
        try:
            command = parse_command(raw)
        except ProtocolError as exc:
            return exc.to_message(payload.get("agent_id") if isinstance(
                payload.get("agent_id"), str) else None).model_dump(mode="json",
                                                                   exclude_none=True)
        agent_id = command.agent_id
        if agent_id is None:
            return refusal(payload, None, "invalid_message",
                           "a command needs agent_id: which terminal to send it to")
        try:
            location = await self.store.locate(user_id, agent_id)
        except StoreUnavailable:
            return refusal(payload, agent_id, "internal_error", "the platform cannot reach "
                           "its database right now; nothing was sent, try again")
        if location is None:
            return refusal(payload, agent_id, "unknown_agent",
                           f"you have no terminal with agent id {agent_id!r}")
        if not location.online or location.node_id is None:
            return refusal(payload, agent_id, "agent_offline",
                           "the gateway running this terminal is not connected to the platform")
        now = datetime.now(UTC)
        expires = command.expires_at or now + timedelta(seconds=self.command_ttl)
        wire = command.model_dump(mode="json", exclude_none=True, exclude={"agent_id"})
        canonical = json.dumps({k: v for k, v in wire.items() if k != "expires_at"},
                               sort_keys=True)
        try:
            earlier = await self.store.journal_command(user_id, command.request_id, agent_id,
                                                       canonical)
        except StoreUnavailable:
            return refusal(payload, agent_id, "internal_error", "the platform cannot reach "
                           "its database right now; nothing was sent, try again")
        if earlier is not None and (earlier.command != canonical or earlier.agent_id != agent_id):
            return refusal(payload, agent_id, "duplicate_request",
                           "this request_id was already used for a different command")
        if earlier is not None and earlier.reply is not None:
            answer: dict[str, Any] = json.loads(earlier.reply)
            return answer
        # An earlier one still in flight is sent again: the gateway answers a repeated
        # request_id with the first outcome, never running it twice.
        wire["expires_at"] = expires.isoformat()
        key = (user_id, agent_id, command.request_id)
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, []).append(fut)
        try:
            sent = await self._dispatch(location.gateway_id, location.node_id, user_id,
                                        agent_id, wire)
            if not sent:
                return refusal(payload, agent_id, "agent_offline",
                               "the gateway running this terminal just disconnected, or its "
                               "platform node cannot be reached; nothing was sent")
            wait = max(0.0, (expires - now).total_seconds()) + self.reply_grace
            reply = await self._await_reply(fut, wait, user_id, command.request_id,
                                            remote=location.node_id != self.node_id)
            if reply is not None:
                return reply
            return refusal(payload, agent_id, "timeout",
                           f"no reply from the gateway within {wait:.0f} s; it may have run: "
                           "send the same request_id again to learn the outcome")
        finally:
            waiters = self._waiting.get(key)
            if waiters is not None:
                if fut in waiters:
                    waiters.remove(fut)
                if not waiters:
                    del self._waiting[key]

    async def _await_reply(self, fut: asyncio.Future[dict[str, Any]], wait: float,
                           user_id: str, request_id: str, *, remote: bool
                           ) -> dict[str, Any] | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            left = deadline - loop.time()
            done, _ = await asyncio.wait({fut}, timeout=max(0.0, min(left, JOURNAL_POLL)
                                                            if remote else left))
            if done:
                return fut.result()
            if remote or left <= 0:
                try:
                    entry = await self.store.journal_entry(user_id, request_id)
                except StoreUnavailable:
                    entry = None
                if entry is not None and entry.reply is not None:
                    found: dict[str, Any] = json.loads(entry.reply)
                    return found
            if left <= 0:
                return None

    async def _dispatch(self, gateway_id: str, node_id: str, user_id: str, agent_id: str,
                        wire: dict[str, Any]) -> bool:
        if node_id == self.node_id:
            return await self.deliver_local(gateway_id, user_id, agent_id, wire, None)
        if self.bus is None:
            log.warning("agent %s is on node %s but there is no cluster bus (--redis-url)",
                        agent_id, node_id)
            return False
        return await self.bus.send_command(node_id, self.node_id, user_id, agent_id, wire)

    async def deliver_local(self, gateway_id: str | None, user_id: str, agent_id: str,
                            wire: dict[str, Any], reply_to: str | None) -> bool:
        """Send on a link of this node. `reply_to`: the node that asked, if not this one."""
        link = self.links.get(gateway_id) if gateway_id else None
        if link is None:
            try:
                loc = await self.store.locate(user_id, agent_id)
            except StoreUnavailable:
                loc = None
            link = self.links.get(loc.gateway_id) if loc else None
        if link is None or link.user_id != user_id:
            return False
        if reply_to is not None:
            self._remote[(user_id, agent_id, str(wire.get("request_id")))] = reply_to
        await link.send_command(agent_id, wire)
        return True

    async def on_reply(self, user_id: str, agent_id: str, reply: dict[str, Any]) -> None:
        """A reply (or an error about a command) arrived from a gateway on this node."""
        key = (user_id, agent_id, str(reply.get("request_id")))
        if isinstance(reply.get("request_id"), str):
            try:
                await self.store.journal_reply(user_id, reply["request_id"], json.dumps(reply))
            except StoreUnavailable:
                log.warning("reply to %s not journalled (database unreachable)", key[2])
        if self.resolve(key, reply):
            return
        node = self._remote.pop(key, None)
        if node is not None and self.bus is not None:
            await self.bus.send_reply(node, user_id, agent_id, reply)
            return
        if self.on_orphan_reply is not None:
            await self.on_orphan_reply(user_id, reply)

    def resolve(self, key: Key, reply: dict[str, Any]) -> bool:
        waiters = self._waiting.pop(key, None)
        if not waiters:
            return False
        for fut in waiters:
            if not fut.done():
                fut.set_result(reply)
        return True
