"""Command tracking: one reply per ask, deadlines, duplicates never sent twice."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from gateway_core.clock import ManualClock
from gateway_core.commands import CommandTracker
from gateway_core.protocol import COMMAND, REPLY, Command, Reply

from ..protocol.samples import COMMANDS


def cmd(name: str = "execute_trade", **overrides: Any) -> Command:
    raw = json.loads(json.dumps(COMMANDS[name]))
    raw.update(overrides)
    return COMMAND.validate_python(raw)


def ok(request_id: str) -> Reply:
    return REPLY.validate_python({"type": "trade_executed", "request_id": request_id,
                                  "success": True, "data": {"ticket": 77, "open_price": 1.1}})


def tracker(clock: ManualClock | None = None) -> CommandTracker:
    return CommandTracker(clock or ManualClock(), trade_timeout=10, query_timeout=2)


def submit(t: CommandTracker, c: Command, origin: str = "c1", known: bool = True,
           online: bool = True):
    return t.submit("a", c, origin, agent_known=known, agent_online=online)


def test_new_command_is_sent_and_reply_goes_to_asker() -> None:
    t = tracker()
    assert submit(t, cmd()).action == "send"
    res = t.resolve("a", ok("c-1"))
    assert res.waiters == ("c1",)
    assert not res.late and not res.unexpected


def test_duplicate_in_flight_waits_and_is_not_resent() -> None:
    t = tracker()
    assert submit(t, cmd()).action == "send"
    d = submit(t, cmd(), origin="c2")
    assert (d.action, d.duplicate) == ("wait", True)
    assert t.resolve("a", ok("c-1")).waiters == ("c1", "c2")


def test_duplicate_after_reply_gets_first_result_without_sending() -> None:
    t = tracker()
    submit(t, cmd())
    first = ok("c-1")
    t.resolve("a", first)
    d = submit(t, cmd(), origin="c9")
    assert d.action == "answer" and d.duplicate
    assert d.reply == first


def test_same_request_id_for_a_different_command_is_refused() -> None:
    t = tracker()
    submit(t, cmd())
    other = cmd(data={**COMMANDS["execute_trade"]["data"], "lots": 5.0})
    d = submit(t, other)
    assert d.action == "answer" and d.reply is not None
    assert d.reply.error is not None and d.reply.error.code == "duplicate_request"


def test_unknown_and_offline_agents_are_answered_at_once() -> None:
    t = tracker()
    d = submit(t, cmd(), known=False, online=False)
    assert d.reply is not None and d.reply.error is not None
    assert d.reply.error.code == "unknown_agent"
    assert d.reply.type == "trade_executed"
    d = submit(t, cmd("close_position"), online=False)
    assert d.reply is not None and d.reply.error is not None
    assert d.reply.error.code == "agent_offline"
    assert d.reply.type == "command_result"


def test_deadline_gives_one_timeout_reply() -> None:
    clock = ManualClock()
    t = tracker(clock)
    submit(t, cmd())
    clock.advance(9.9)
    assert t.expire() == []
    clock.advance(0.2)
    (exp,) = t.expire()
    assert exp.waiters == ("c1",)
    assert exp.reply.error is not None and exp.reply.error.code == "timeout"
    assert "may or may not" in exp.reply.error.message
    assert t.expire() == []


def test_late_reply_is_stored_and_not_redelivered_to_timed_out_askers() -> None:
    clock = ManualClock()
    t = tracker(clock)
    submit(t, cmd())
    clock.advance(11)
    t.expire()
    res = t.resolve("a", ok("c-1"))
    assert res.late and res.waiters == () and res.already_answered == {"c1"}
    d = submit(t, cmd(), origin="c1")
    assert d.action == "answer" and d.reply == ok("c-1")


def test_retry_after_timeout_asks_the_ea_again() -> None:
    clock = ManualClock()
    t = tracker(clock)
    submit(t, cmd())
    clock.advance(11)
    t.expire()
    d = submit(t, cmd(), origin="c1")
    assert d.action == "send" and d.duplicate


def test_queries_have_shorter_deadlines() -> None:
    clock = ManualClock()
    t = tracker(clock)
    submit(t, cmd("get_snapshot"))
    clock.advance(2.1)
    assert len(t.expire()) == 1


def test_expired_command_refused() -> None:
    clock = ManualClock()
    t = tracker(clock)
    past = (clock.now() - timedelta(seconds=1)).isoformat()
    d = submit(t, cmd(expires_at=past))
    assert d.reply is not None and d.reply.error is not None
    assert d.reply.error.code == "command_expired"
    future = (clock.now() + timedelta(seconds=30)).isoformat()
    assert submit(t, cmd("close_position", expires_at=future)).action == "send"


def test_reply_for_unknown_request_is_flagged() -> None:
    assert tracker().resolve("a", ok("nope")).unexpected


def test_memory_of_answers_is_bounded() -> None:
    t = CommandTracker(ManualClock(), remember=3)
    for i in range(5):
        c = cmd(request_id=f"r{i}")
        submit(t, c)
        t.resolve("a", ok(f"r{i}"))
    assert submit(t, cmd(request_id="r4")).action == "answer"
    assert submit(t, cmd(request_id="r0")).action == "send"
