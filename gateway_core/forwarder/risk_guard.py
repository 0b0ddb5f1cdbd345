"""The trader's limits on what the platform may do: remote trading on/off, maximum lots
per order, allowed symbols. Applies to commands from the platform only (local clients
and the desktop app are the trader's own hands). Plain logic.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..protocol import TRADE_COMMANDS, Command, ErrorCode, ExecuteTrade


@dataclass(frozen=True, slots=True)
class RiskPolicy:
    remote_trading: bool = True
    max_lots: float | None = None
    """Largest volume of one new order; None: no limit beyond the broker's."""
    allowed_symbols: frozenset[str] | None = None
    """Symbols new orders may use (case-insensitive); None: any."""

    def __post_init__(self) -> None:
        if self.max_lots is not None and not self.max_lots > 0:
            raise ValueError("max_lots must be greater than 0")
        if self.allowed_symbols is not None:
            object.__setattr__(
                self, "allowed_symbols", frozenset(s.upper() for s in self.allowed_symbols)
            )

    def describe(self) -> str:
        if not self.remote_trading:
            return "remote trading off"
        parts = ["remote trading on"]
        if self.max_lots is not None:
            parts.append(f"max {self.max_lots:g} lots per order")
        if self.allowed_symbols is not None:
            parts.append("symbols " + ",".join(sorted(self.allowed_symbols)))
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class Refusal:
    code: ErrorCode
    message: str


class RiskGuard:
    def __init__(self, policy: RiskPolicy) -> None:
        self.policy = policy

    def check(self, command: Command) -> Refusal | None:
        """None when the command may go to the terminal."""
        p = self.policy
        if command.command not in TRADE_COMMANDS:
            return None
        if not p.remote_trading:
            return Refusal(
                "remote_trading_disabled",
                "remote trading is switched off in the gateway settings: trade from the "
                "terminal or the desktop app, or turn remote trading on",
            )
        if isinstance(command, ExecuteTrade):
            data = command.data
            if p.max_lots is not None and data.lots > p.max_lots + 1e-9:
                return Refusal(
                    "max_lots_exceeded",
                    f"{data.lots:g} lots is above the limit of {p.max_lots:g} lots per order "
                    "set in the gateway",
                )
            if p.allowed_symbols is not None and data.symbol.upper() not in p.allowed_symbols:
                return Refusal(
                    "symbol_not_allowed",
                    f"{data.symbol} is not among the symbols allowed for remote trading "
                    f"({', '.join(sorted(p.allowed_symbols)) or 'none'})",
                )
        return None
