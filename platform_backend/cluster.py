"""Node-to-node messages over Redis pub/sub when several backend processes serve the same
users (`--redis-url`).

* Commands: `mt4:node:<node_id>` carries a command to the node holding the user's gateway
  and the reply back to the node the web client is connected to. A command that cannot
  be published (Redis down, or no node listening) is reported as not sent; a reply that
  cannot be published is still found by the asker in the command journal.
* Fan-out: `mt4:user:<user_id>` carries a user's events (one message per gateway frame)
  to the other nodes. A node subscribes to a user's channel only while one of that
  user's web clients is connected to it, so an event costs nothing on nodes that have no
  one to show it to (Socket.IO's Redis manager would hand every event to every node).
* Redis restarts: events published meanwhile are lost, so the web clients must be sent
  their stored state again: a node's listener resubscribes within 2 s of Redis coming
  back and then calls `on_recovered` (re-send to this node's clients), and a node whose
  publishing works again after failing asks every node (`mt4:all`) to do the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis

from .command_router import CommandRouter, refusal

log = logging.getLogger(__name__)

PREFIX = "mt4:node:"
USER_PREFIX = "mt4:user:"
EVERYONE = "mt4:all"

Deliver = Callable[[str, str, list[dict[str, Any]]], Awaitable[None]]
"""(user_id, Socket.IO event name, items) -> emit them to this node's clients of the user."""


class ClusterBus:
    def __init__(self, url: str, router: CommandRouter) -> None:
        self.url = url
        self.router = router
        self._redis: aioredis.Redis = aioredis.from_url(url)
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._pubsub: Any = None
        self._watched: Counter[str] = Counter()
        self._publish_failing = False
        self.deliver: Deliver | None = None
        self.on_recovered: Callable[[], Awaitable[None]] | None = None

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._listen(), name="cluster-bus")
        await asyncio.wait_for(self._ready.wait(), 10)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self._redis.aclose()

    # -- commands ---------------------------------------------------------------------

    async def send_command(self, node_id: str, from_node: str, user_id: str, agent_id: str,
                           command: dict[str, Any]) -> bool:
        """False: no node listens on `node_id`'s channel, or Redis is unreachable (the
        command was not sent)."""
        return await self._publish(PREFIX + node_id, {"op": "command", "from": from_node,
                                                      "user": user_id, "agent_id": agent_id,
                                                      "command": command})

    async def send_reply(self, node_id: str, user_id: str, agent_id: str,
                         reply: dict[str, Any]) -> None:
        await self._publish(PREFIX + node_id, {"op": "reply", "user": user_id,
                                               "agent_id": agent_id, "reply": reply})

    # -- fan-out ----------------------------------------------------------------------

    async def fan_out(self, user_id: str, name: str, items: list[dict[str, Any]]) -> None:
        """Hand `items` (already emitted here) to the user's web clients on other nodes."""
        if items:
            await self._publish(USER_PREFIX + user_id, {
                "op": "emit", "from": self.router.node_id, "user": user_id, "name": name,
                "items": items})

    async def watch_user(self, user_id: str) -> None:
        """A web client of this user connected here."""
        self._watched[user_id] += 1
        if self._watched[user_id] == 1 and self._pubsub is not None:
            with contextlib.suppress(aioredis.RedisError, OSError):
                await self._pubsub.subscribe(USER_PREFIX + user_id)

    async def unwatch_user(self, user_id: str) -> None:
        self._watched[user_id] -= 1
        if self._watched[user_id] <= 0:
            del self._watched[user_id]
            if self._pubsub is not None:
                with contextlib.suppress(aioredis.RedisError, OSError):
                    await self._pubsub.unsubscribe(USER_PREFIX + user_id)

    # -- plumbing ---------------------------------------------------------------------

    async def _publish(self, channel: str, message: dict[str, Any]) -> bool:
        data = json.dumps(message)
        for attempt in (1, 2):  # a pooled connection may be stale after a Redis restart
            try:
                receivers = await self._redis.publish(channel, data)
                break
            except (aioredis.RedisError, OSError) as exc:
                if attempt == 2:
                    if not self._publish_failing:
                        log.warning("cluster bus: cannot publish (%s); other nodes miss this "
                                    "node's messages until redis is back", exc)
                    self._publish_failing = True
                    return False
        if self._publish_failing:
            # What this node published meanwhile was lost: every node re-sends its web
            # clients their stored state.
            self._publish_failing = False
            log.warning("cluster bus: publishing again; asking every node to resync")
            await self._publish(EVERYONE, {"op": "resync", "user": "", "from": "?"})
        return bool(receivers)

    async def _listen(self) -> None:
        delay = 0.2
        lost = False
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(PREFIX + self.router.node_id, EVERYONE,
                                           *(USER_PREFIX + u for u in list(self._watched)))
                    self._pubsub = pubsub
                    self._ready.set()
                    delay = 0.2
                    if lost:
                        lost = False
                        log.warning("cluster bus: redis is back; re-sending state to web "
                                    "clients")
                        if self.on_recovered is not None:
                            await self.on_recovered()
                    async for msg in pubsub.listen():
                        if msg.get("type") == "message":
                            await self._handle(msg["data"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._pubsub = None
                if not lost:
                    log.warning("cluster bus: lost redis (%s); resubscribing", exc)
                lost = True
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def _handle(self, raw: bytes | str) -> None:
        try:
            msg = json.loads(raw)
            op = msg["op"]
            user = str(msg["user"])
        except (ValueError, KeyError, TypeError):
            log.warning("cluster bus: ignoring a malformed message")
            return
        if op == "resync":
            if self.on_recovered is not None:
                await self.on_recovered()
            return
        if op == "emit":
            if msg.get("from") != self.router.node_id and self.deliver is not None:
                items = msg.get("items")
                if isinstance(items, list):
                    await self.deliver(user, str(msg.get("name")), items)
            return
        agent = str(msg.get("agent_id"))
        if op == "command":
            ok = await self.router.deliver_local(None, user, agent, msg["command"],
                                                 str(msg["from"]))
            if not ok:
                await self.send_reply(str(msg["from"]), user, agent, refusal(
                    msg["command"], agent, "agent_offline",
                    "the gateway running this terminal just disconnected"))
        elif op == "reply":
            reply = msg["reply"]
            self.router.resolve((user, agent, str(reply.get("request_id"))), reply)
