"""Node-to-node messages over Redis pub/sub when several backend processes serve the same
users (`--redis-url`). Socket.IO's own Redis manager carries the `mt4_event` fan-out;
this bus carries what it cannot: a command to the node holding the user's gateway, and
the reply back to the node the web client is connected to. Channel `mt4:node:<node_id>`.
A command that cannot be published (Redis down, or no node listening) is reported as not
sent; a reply that cannot be published is still found by the asker in the command journal.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis
import socketio  # type: ignore[import-untyped]

from .command_router import CommandRouter, refusal

log = logging.getLogger(__name__)

PREFIX = "mt4:node:"


class ClusterBus:
    def __init__(self, url: str, router: CommandRouter) -> None:
        self.url = url
        self.router = router
        self._redis: aioredis.Redis = aioredis.from_url(url)
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._listen(), name="cluster-bus")
        await asyncio.wait_for(self._ready.wait(), 10)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self._redis.aclose()

    async def send_command(self, node_id: str, from_node: str, user_id: str, agent_id: str,
                           command: dict[str, Any]) -> bool:
        """False: no node listens on `node_id`'s channel, or Redis is unreachable (the
        command was not sent)."""
        return await self._publish(node_id, {"op": "command", "from": from_node,
                                             "user": user_id, "agent_id": agent_id,
                                             "command": command})

    async def send_reply(self, node_id: str, user_id: str, agent_id: str,
                         reply: dict[str, Any]) -> None:
        # Lost replies are not lost for good: the asker also looks in the command journal.
        await self._publish(node_id, {"op": "reply", "user": user_id, "agent_id": agent_id,
                                      "reply": reply})

    async def _publish(self, node_id: str, message: dict[str, Any]) -> bool:
        try:
            receivers = await self._redis.publish(PREFIX + node_id, json.dumps(message))
        except (aioredis.RedisError, OSError) as exc:
            log.warning("cluster bus: cannot publish to node %s: %s", node_id, exc)
            return False
        return bool(receivers)

    async def _listen(self) -> None:
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(PREFIX + self.router.node_id)
                    self._ready.set()
                    async for msg in pubsub.listen():
                        if msg.get("type") == "message":
                            await self._handle(msg["data"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("cluster bus: %s; resubscribing in 1 s", exc)
                await asyncio.sleep(1.0)

    async def _handle(self, raw: bytes | str) -> None:
        try:
            msg = json.loads(raw)
            op = msg["op"]
            user, agent = str(msg["user"]), str(msg["agent_id"])
        except (ValueError, KeyError, TypeError):
            log.warning("cluster bus: ignoring a malformed message")
            return
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


class FanOut(socketio.AsyncRedisManager):  # type: ignore[misc]
    """python-socketio's Redis manager, with two changes for Redis restarts: the listener
    comes back within 2 s of Redis (the stock one backs off to 60 s), and it says when it
    re-subscribed after losing Redis, because events published meanwhile never reached
    this node's web clients: `on_resubscribed` re-sends them the stored state."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.on_resubscribed: Callable[[], Awaitable[None]] | None = None

    async def _redis_listen_with_retries(self) -> AsyncIterator[Any]:
        delay = 0.2
        subscribed = False
        lost = False
        while True:
            try:
                if not subscribed:
                    self._redis_connect()
                    await self.pubsub.subscribe(self.channel)
                    subscribed = True
                    delay = 0.2
                    if lost and self.on_resubscribed is not None:
                        lost = False
                        log.warning("fan-out: redis is back; re-sending state to web clients")
                        await self.on_resubscribed()
                async for message in self.pubsub.listen():
                    yield message
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not lost:
                    log.warning("fan-out: lost redis (%s); retrying", exc)
                subscribed, lost = False, True
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
