"""'Confirm trades from the web': platform trade commands that wait for the trader's click.

Plain logic, no Qt and no awaiting: the forwarder asks (`ask`), whoever sits at the desk
(the desktop app's dialog) answers (`decide`), and the forwarder times the question out at
the command's own expiry (`time_out`). Each question is decided exactly once; whoever comes
second (a click after the timeout, a timeout after the click) changes nothing.

A headless gateway has no one to click: it never turns this on, and should it be on with
no desk listening, `ask` answers at once with a refusal instead of letting the command
wait for nobody until it expires.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from ..protocol import (
    TRADE_COMMANDS,
    CloseAll,
    ClosePosition,
    Command,
    DeleteOrder,
    ErrorCode,
    ExecuteTrade,
    ModifyPosition,
)

log = logging.getLogger(__name__)

Decision = Literal["waiting", "confirmed", "rejected", "timed_out", "no_desk", "withdrawn"]
Key = tuple[str, str]

REJECTED_MESSAGE = "rejected at the desk: the trader declined this order in MT4 Companion"
NO_DESK_MESSAGE = ("not confirmed in time: trades from the web need a confirmation at the "
                   "desk, and no desk app is there to give it")


def describe_command(command: Command) -> str:
    """The order in a trader's words: 'BUY 0.10 EURUSD', 'close #123', ..."""
    match command:
        case ExecuteTrade(data=d):
            side = d.type.upper().replace("_", " ")
            at = f" at {d.price:g}" if d.price is not None else ""
            stops = []
            if d.stop_loss:
                stops.append(f"S/L {d.stop_loss:g}")
            if d.take_profit:
                stops.append(f"T/P {d.take_profit:g}")
            tail = f" ({', '.join(stops)})" if stops else ""
            return f"{side} {d.lots:.2f} {d.symbol}{at}{tail}"
        case ClosePosition(data=d):
            part = f"{d.lots:.2f} lots of " if d.lots is not None else ""
            return f"close {part}#{d.ticket}"
        case CloseAll(data=d):
            return f"close all {d.symbol} positions" if d.symbol else "close all positions"
        case ModifyPosition(data=d):
            changes = [f"{name} {value:g}" for name, value in (
                ("S/L", d.stop_loss), ("T/P", d.take_profit), ("price", d.price))
                if value is not None]
            return f"modify #{d.ticket}: {', '.join(changes)}"
        case DeleteOrder(data=d):
            return f"delete order #{d.ticket}"
        case _:
            return command.command.replace("_", " ")


@dataclass
class TradeToConfirm:
    agent_id: str
    command: Command
    deadline: datetime
    decision: Decision = "waiting"
    on_decided: Callable[[TradeToConfirm], None] | None = field(default=None, repr=False)

    @property
    def key(self) -> Key:
        return (self.agent_id, self.command.request_id)

    @property
    def what(self) -> str:
        return describe_command(self.command)

    def refusal(self) -> tuple[ErrorCode, str] | None:
        """The failed reply's code and words, or None when the trader confirmed."""
        if self.decision == "confirmed":
            return None
        if self.decision == "rejected":
            return "rejected_at_desk", REJECTED_MESSAGE
        if self.decision == "no_desk":
            return "not_confirmed_in_time", NO_DESK_MESSAGE
        return ("not_confirmed_in_time",
                f"not confirmed in time: nobody confirmed {self.what} at the desk before the "
                f"command expired at {self.deadline.isoformat(timespec='seconds')}")


Listener = Callable[[TradeToConfirm], None]


class DeskConfirmation:
    """Which platform commands wait for the trader, and the questions now open."""

    def __init__(self, *, enabled: bool = False) -> None:
        self.enabled = enabled
        self._open: dict[Key, TradeToConfirm] = {}
        self._listeners: list[Listener] = []

    def add_listener(self, listener: Listener) -> None:
        """`listener` sees every question when it opens and again when it is decided."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    @property
    def desk_present(self) -> bool:
        return bool(self._listeners)

    def required(self, command: Command) -> bool:
        return self.enabled and command.command in TRADE_COMMANDS

    def open_questions(self) -> list[TradeToConfirm]:
        return list(self._open.values())

    def ask(self, agent_id: str, command: Command, deadline: datetime,
            on_decided: Callable[[TradeToConfirm], None] | None = None) -> TradeToConfirm:
        """Open a question; with nobody at the desk it is decided ('no_desk') at once."""
        item = TradeToConfirm(agent_id, command, deadline, on_decided=on_decided)
        if not self.desk_present:
            log.warning("platform command %s (%s) needs a confirmation but no desk app is "
                        "listening: refused", command.request_id, item.what)
            self._decide(item, "no_desk")
            return item
        self._open[item.key] = item
        log.info("platform command %s for %s waits for the desk: %s", command.request_id,
                 agent_id, item.what)
        self._tell(item)
        return item

    def decide(self, key: Key, confirmed: bool) -> bool:
        """The trader's click; False when the question is no longer open."""
        return self._close(key, "confirmed" if confirmed else "rejected")

    def time_out(self, key: Key) -> bool:
        return self._close(key, "timed_out")

    def withdraw(self, key: Key) -> bool:
        """The forwarder stopped before an answer: close the dialog, decide nothing."""
        return self._close(key, "withdrawn")

    def _close(self, key: Key, decision: Decision) -> bool:
        item = self._open.pop(key, None)
        if item is None:
            return False
        log.info("platform command %s for %s: %s at the desk", key[1], key[0],
                 decision.replace("_", " "))
        self._decide(item, decision)
        return True

    def _decide(self, item: TradeToConfirm, decision: Decision) -> None:
        item.decision = decision
        if item.on_decided is not None:
            item.on_decided(item)
        self._tell(item)

    def _tell(self, item: TradeToConfirm) -> None:
        for listener in list(self._listeners):
            try:
                listener(item)
            except Exception:
                log.exception("desk confirmation listener failed")
