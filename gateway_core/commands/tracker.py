"""Command tracking: one reply per request, deadlines, and duplicates answered once.

Keyed by (agent_id, request_id). The EA's own journal is the final guard against a trade
running twice; the tracker makes sure the gateway never *asks* twice while a request is
in flight or already answered, and that every asker gets exactly one reply.
No I/O: the server tells it what happened and acts on what it returns.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Literal

from ..clock import Clock
from ..protocol import TRADE_COMMANDS, Command, ErrorCode, Reply
from .reply_factory import failure_reply

log = logging.getLogger(__name__)

Origin = Hashable
"""Whoever asked: a client connection id, "platform", an in-process caller."""

DEFAULT_TRADE_TIMEOUT = 30.0
DEFAULT_QUERY_TIMEOUT = 10.0


@dataclass
class _Entry:
    command: Command
    fingerprint: str
    deadline: float
    waiters: list[Origin] = field(default_factory=list)
    timed_out_waiters: set[Origin] = field(default_factory=set)
    state: Literal["in_flight", "timed_out"] = "in_flight"


@dataclass(frozen=True)
class Decision:
    """What to do with a submitted command.

    send: forward it to the EA now. wait: the same request is in flight; the reply will
    come. answer: reply to the asker at once with `reply` (cached result or refusal).
    """

    action: Literal["send", "wait", "answer"]
    reply: Reply | None = None
    duplicate: bool = False


@dataclass(frozen=True)
class Resolution:
    """A reply from the EA: deliver to `waiters`; everyone but `already_answered` may see it."""

    reply: Reply
    waiters: tuple[Origin, ...]
    already_answered: frozenset[Origin]
    late: bool
    unexpected: bool


@dataclass(frozen=True)
class Expiry:
    reply: Reply
    waiters: tuple[Origin, ...]


def _fingerprint(command: Command) -> str:
    return command.model_dump_json(exclude={"agent_id", "expires_at"})


class CommandTracker:
    def __init__(
        self,
        clock: Clock,
        *,
        trade_timeout: float = DEFAULT_TRADE_TIMEOUT,
        query_timeout: float = DEFAULT_QUERY_TIMEOUT,
        remember: int = 20_000,
    ) -> None:
        self._clock = clock
        self._trade_timeout = trade_timeout
        self._query_timeout = query_timeout
        self._remember = remember
        self._open: dict[tuple[str, str], _Entry] = {}
        self._done: OrderedDict[tuple[str, str], tuple[str, Reply]] = OrderedDict()

    @property
    def in_flight(self) -> int:
        return sum(1 for e in self._open.values() if e.state == "in_flight")

    def submit(
        self,
        agent_id: str,
        command: Command,
        origin: Origin,
        *,
        agent_known: bool,
        agent_online: bool,
    ) -> Decision:
        key = (agent_id, command.request_id)
        fp = _fingerprint(command)
        done = self._done.get(key)
        if done is not None:
            if done[0] != fp:
                return self._refuse(
                    agent_id,
                    command,
                    "duplicate_request",
                    "this request_id was already used for a different command",
                )
            return Decision("answer", done[1], duplicate=True)
        entry = self._open.get(key)
        if entry is not None:
            if entry.fingerprint != fp:
                return self._refuse(
                    agent_id,
                    command,
                    "duplicate_request",
                    "this request_id is in use by a different command",
                )
            entry.waiters.append(origin)
            if entry.state == "in_flight":
                return Decision("wait", duplicate=True)
            # Timed out earlier with no answer: ask the EA again. Its journal answers from
            # its record if the first attempt did reach it, so this cannot trade twice.
            entry.state = "in_flight"
            entry.deadline = self._clock.monotonic() + self._timeout(command)
            return Decision("send", duplicate=True)
        if command.expires_at is not None and command.expires_at <= self._clock.now():
            return self._refuse(
                agent_id,
                command,
                "command_expired",
                f"the command expired at {command.expires_at.isoformat()}",
            )
        if not agent_known:
            return self._refuse(
                agent_id,
                command,
                "unknown_agent",
                f"no terminal with agent id {agent_id!r} has connected",
            )
        if not agent_online:
            return self._refuse(
                agent_id,
                command,
                "agent_offline",
                f"terminal {agent_id!r} is not connected right now",
            )
        self._open[key] = _Entry(
            command=command,
            fingerprint=fp,
            deadline=self._clock.monotonic() + self._timeout(command),
            waiters=[origin],
        )
        return Decision("send")

    def resolve(self, agent_id: str, reply: Reply) -> Resolution:
        key = (agent_id, reply.request_id)
        entry = self._open.pop(key, None)
        if entry is None:
            log.warning("%s: reply for unknown request %s", agent_id, reply.request_id)
            return Resolution(reply, (), frozenset(), late=False, unexpected=True)
        self._store(key, entry.fingerprint, reply)
        if entry.state == "timed_out":
            # Everyone who asked already got `timeout`; new askers since get this.
            return Resolution(
                reply,
                tuple(entry.waiters),
                frozenset(entry.timed_out_waiters),
                late=True,
                unexpected=False,
            )
        return Resolution(reply, tuple(entry.waiters), frozenset(), late=False, unexpected=False)

    def expire(self) -> list[Expiry]:
        now = self._clock.monotonic()
        out: list[Expiry] = []
        for (agent_id, _), entry in self._open.items():
            if entry.state != "in_flight" or entry.deadline > now:
                continue
            entry.state = "timed_out"
            waiters = tuple(entry.waiters)
            entry.timed_out_waiters.update(waiters)
            entry.waiters.clear()
            what = (
                "The trade may or may not have been executed: send the same request_id "
                "again to learn the outcome."
                if entry.command.command in TRADE_COMMANDS
                else ""
            )
            reply = failure_reply(
                entry.command,
                "timeout",
                f"no reply from terminal {agent_id!r} within "
                f"{self._timeout(entry.command):.0f} s. {what}".strip(),
                agent_id=agent_id,
                timestamp=self._clock.now(),
            )
            out.append(Expiry(reply, waiters))
        return out

    def forget_waiter(self, origin: Origin) -> None:
        """A client went away: stop delivering to it (the command itself stands)."""
        for entry in self._open.values():
            entry.waiters = [w for w in entry.waiters if w != origin]

    def _timeout(self, command: Command) -> float:
        if command.command in TRADE_COMMANDS:
            return self._trade_timeout
        return self._query_timeout

    def _store(self, key: tuple[str, str], fp: str, reply: Reply) -> None:
        self._done[key] = (fp, reply)
        self._done.move_to_end(key)
        while len(self._done) > self._remember:
            self._done.popitem(last=False)

    def _refuse(self, agent_id: str, command: Command, code: ErrorCode, message: str) -> Decision:
        return Decision(
            "answer",
            failure_reply(command, code, message, agent_id=agent_id, timestamp=self._clock.now()),
        )
