"""Which platform commands reach a terminal, decided without I/O.

In order: a malformed command gets an `error`; a request id already answered gets its
first result (from the reply journal, so this holds across restarts); the same request
still running joins it; a command without an expiry, or past it, is refused; the risk
guard may refuse. Every refusal is a failed reply with a stable code, recorded like any
reply so a duplicate gets the same answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from ..clock import Clock
from ..commands.reply_factory import failure_reply
from ..protocol import Command, ErrorCode, ProtocolError, parse_command
from .link_protocol import LinkCommand
from .reply_journal import ReplyJournal
from .risk_guard import RiskGuard

Key = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Verdict:
    """execute: run `command` and call `finished`. join: the same request is running, wait
    for it. answer: send `reply_json` back now (nothing to record)."""

    action: Literal["execute", "join", "answer"]
    key: Key
    command: Command | None = None
    fingerprint: str = ""
    reply_json: str = ""
    kind: str = "error"
    """Type of the answer (`error`, `trade_executed`, `command_result`) for the outbox."""
    fresh: bool = False
    """An answer decided just now (a refusal), not one repeated from the journal."""


def fingerprint(command: Command) -> str:
    return command.model_dump_json(exclude={"agent_id", "expires_at"})


class CommandGate:
    def __init__(self, journal: ReplyJournal, guard: RiskGuard, clock: Clock) -> None:
        self.journal = journal
        self.guard = guard
        self.clock = clock
        self._running: set[Key] = set()

    def admit(self, frame: LinkCommand) -> Verdict:
        agent_id = frame.agent_id
        raw = json.dumps(frame.command)
        rid = str(frame.command.get("request_id", ""))
        try:
            command = parse_command(raw)
        except ProtocolError as exc:
            msg = exc.to_message(agent_id).model_dump_json(exclude_none=True)
            return Verdict("answer", (agent_id, rid), reply_json=msg, kind="error")
        key = (agent_id, command.request_id)
        if command.agent_id is not None and command.agent_id != agent_id:
            err = ProtocolError(
                "invalid_message",
                f"command.agent_id {command.agent_id!r} differs from the frame's {agent_id!r}",
                raw,
                command.request_id,
            )
            return Verdict(
                "answer", key, reply_json=err.to_message(agent_id).model_dump_json(
                    exclude_none=True), kind="error",
            )
        fp = fingerprint(command)
        hit = self.journal.lookup(agent_id, command.request_id, fp)
        if hit is not None:
            if hit.kind == "same":
                return Verdict("answer", key, command, fp, hit.reply_json, _type_of(hit.reply_json))
            return self._refusal(
                key, command, fp, "duplicate_request",
                "this request_id was already used for a different command", record=False,
            )
        if key in self._running:
            return Verdict("join", key, command, fp)
        if command.expires_at is None:
            return self._refusal(
                key, command, fp, "invalid_message",
                "a command from the platform needs expires_at", record=False,
            )
        now = self.clock.now()
        if command.expires_at <= now:
            return self._refusal(
                key, command, fp, "command_expired",
                f"the command expired at {command.expires_at.isoformat()} before it reached "
                f"the gateway ({now.isoformat(timespec='milliseconds')})",
            )
        refusal = self.guard.check(command)
        if refusal is not None:
            return self._refusal(key, command, fp, refusal.code, refusal.message)
        self._running.add(key)
        return Verdict("execute", key, command, fp)

    def finished(self, verdict: Verdict, reply_json: str) -> None:
        """The terminal (or the gateway on its behalf) answered an executed command."""
        self._running.discard(verdict.key)
        self.journal.record(
            verdict.key[0], verdict.key[1], verdict.fingerprint, reply_json,
            self.clock.now().timestamp(),
        )

    def abandoned(self, verdict: Verdict) -> None:
        """Execution ended without a reply (gateway shutting down): nothing recorded."""
        self._running.discard(verdict.key)

    def _refusal(
        self,
        key: Key,
        command: Command,
        fp: str,
        code: ErrorCode,
        message: str,
        *,
        record: bool = True,
    ) -> Verdict:
        reply = failure_reply(command, code, message, agent_id=key[0],
                              timestamp=self.clock.now())
        text = reply.model_dump_json(exclude_none=True)
        if record:
            self.journal.record(key[0], key[1], fp, text, self.clock.now().timestamp())
        return Verdict("answer", key, command, fp, text, reply.type, fresh=True)


def _type_of(reply_json: str) -> str:
    try:
        value = json.loads(reply_json).get("type")
    except (ValueError, AttributeError):
        return "error"
    return value if isinstance(value, str) else "error"
