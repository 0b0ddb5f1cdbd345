"""The platform's picture of one terminal, folded from the events a gateway forwards.

Works on the event dicts exactly as received (already validated against
gateway_core.protocol), so what is stored and what web clients get is the same shape.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class AgentView:
    agent_id: str
    status: str = "disconnected"
    info: dict[str, Any] | None = None
    account: dict[str, Any] | None = None
    positions: dict[int, dict[str, Any]] = field(default_factory=dict)
    pending_orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    last_heartbeat: str | None = None
    symbols: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The latest `symbol_info` per symbol: a page opened later still checks its orders
    against the broker's rules (lot step, stops level)."""

    def apply(self, event: dict[str, Any]) -> bool:
        """Fold one event in; returns False for events that change no stored state."""
        kind = event.get("type")
        data = event.get("data") or {}
        if kind == "snapshot":
            self.account = data.get("account")
            self.positions = {p["ticket"]: p for p in data.get("positions", [])}
            self.pending_orders = {o["ticket"]: o for o in data.get("pending_orders", [])}
            if self.status == "disconnected":
                self.status = "connected"
        elif kind in ("position_opened", "order_triggered"):
            self.pending_orders.pop(data["ticket"], None)
            self.positions[data["ticket"]] = data
        elif kind == "position_closed":
            self.positions.pop(data["ticket"], None)
        elif kind == "position_partially_closed":
            old = self.positions.pop(data["ticket"], None)
            if old is not None:
                self.positions[data["new_ticket"]] = {
                    **old,
                    "ticket": data["new_ticket"],
                    "lots": data["remaining_lots"],
                    "comment": f"from #{data['ticket']}",
                }
        elif kind == "position_modified":
            pos = self.positions.get(data["ticket"])
            if pos is not None:
                pos.update(stop_loss=data["stop_loss"], take_profit=data["take_profit"])
        elif kind == "order_placed":
            self.pending_orders[data["ticket"]] = data
        elif kind == "order_modified":
            order = self.pending_orders.get(data["ticket"])
            if order is not None:
                order.update({k: data.get(k) for k in
                              ("price", "stop_loss", "take_profit", "expiration")})
        elif kind == "order_deleted":
            self.pending_orders.pop(data["ticket"], None)
        elif kind == "positions_update":
            for tick in data.get("positions", []):
                pos = self.positions.get(tick["ticket"])
                if pos is not None:
                    pos.update({k: v for k, v in tick.items() if k != "ticket"})
        elif kind == "account_update":
            self.account = data
        elif kind == "symbol_info":
            symbol = data.get("symbol")
            if not isinstance(symbol, str) or self.symbols.get(symbol) == data:
                return False
            self.symbols[symbol] = data
        elif kind == "hello":
            self.info = {**(self.info or {}), **data}
            self.status = "connected"
        elif kind == "agent_status":
            self.status = str(event.get("status", self.status))
            if event.get("agent"):
                self.info = {**(self.info or {}), **event["agent"]}
        elif kind == "heartbeat":
            self.last_heartbeat = event.get("timestamp")
            if self.status == "stale":
                self.status = "connected"
        else:
            return False
        return True

    # -- what web clients get ---------------------------------------------------------

    def snapshot_event(self) -> dict[str, Any] | None:
        if self.account is None:
            return None
        return {
            "type": "snapshot",
            "timestamp": _now_iso(),
            "agent_id": self.agent_id,
            "data": {
                "account": self.account,
                "positions": list(self.positions.values()),
                "pending_orders": list(self.pending_orders.values()),
            },
        }

    def symbol_events(self) -> list[dict[str, Any]]:
        return [{"type": "symbol_info", "timestamp": _now_iso(), "agent_id": self.agent_id,
                 "data": data} for data in self.symbols.values()]

    def status_event(self, reason: str = "current state") -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": "agent_status",
            "agent_id": self.agent_id,
            "status": self.status,
            "reason": reason,
            "timestamp": _now_iso(),
        }
        if self.info is not None:
            body["agent"] = {"agent_id": self.agent_id, "status": self.status,
                             **{k: v for k, v in self.info.items()
                                if k in _AGENT_INFO_KEYS}}
        return body

    # -- storage ----------------------------------------------------------------------

    def to_json(self) -> str:
        return json.dumps({
            "status": self.status,
            "info": self.info,
            "account": self.account,
            "positions": list(self.positions.values()),
            "pending_orders": list(self.pending_orders.values()),
            "last_heartbeat": self.last_heartbeat,
            "symbols": list(self.symbols.values()),
        }, separators=(",", ":"))

    @classmethod
    def from_json(cls, agent_id: str, text: str) -> AgentView:
        d = json.loads(text)
        return cls(
            agent_id=agent_id,
            status=d.get("status", "disconnected"),
            info=d.get("info"),
            account=d.get("account"),
            positions={p["ticket"]: p for p in d.get("positions", [])},
            pending_orders={o["ticket"]: o for o in d.get("pending_orders", [])},
            last_heartbeat=d.get("last_heartbeat"),
            symbols={s["symbol"]: s for s in d.get("symbols", []) if isinstance(s, dict)
                     and isinstance(s.get("symbol"), str)},
        )


_AGENT_INFO_KEYS = frozenset({
    "account_login", "server", "company", "currency", "ea_version", "last_seen",
    "connected_since",
})
