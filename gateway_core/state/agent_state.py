"""What the gateway knows about one terminal, rebuilt from `snapshot` and kept by events.

Plain data and no I/O: the server feeds it parsed messages, tests feed it lists.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from ..protocol import (
    AccountData,
    AccountUpdate,
    Event,
    Heartbeat,
    Hello,
    HelloData,
    OrderDeleted,
    OrderModified,
    OrderPlaced,
    OrderTriggered,
    PendingOrderData,
    PositionClosed,
    PositionData,
    PositionModified,
    PositionOpened,
    PositionPartiallyClosed,
    PositionsUpdate,
    Quote,
    QuoteData,
    Snapshot,
    SnapshotData,
    SymbolInfo,
    SymbolInfoData,
)
from ..protocol.common import MAX_PENDING_ORDERS, MAX_POSITIONS
from ..protocol.notices import AgentInfo, AgentStatus

log = logging.getLogger(__name__)


@dataclass
class AgentState:
    agent_id: str
    status: AgentStatus = "disconnected"
    hello: HelloData | None = None
    account: AccountData | None = None
    positions: dict[int, PositionData] = field(default_factory=dict)
    pending_orders: dict[int, PendingOrderData] = field(default_factory=dict)
    symbols: dict[str, SymbolInfoData] = field(default_factory=dict)
    quotes: dict[str, QuoteData] = field(default_factory=dict)
    last_seen: float | None = None
    """Monotonic time of the last message of any kind."""
    last_heartbeat: datetime | None = None
    connected_since: datetime | None = None
    last_seen_wall: datetime | None = None
    synced: bool = False
    """True once a snapshot arrived on the current connection."""

    def over_limit(self, event: Event) -> str | None:
        """Why applying `event` would take this terminal past the gateway's limits, or
        None. Checked before `apply`, so every accepted state can still be sent as a
        snapshot (whose model carries the same limits)."""
        match event:
            case PositionOpened(data=p) | OrderTriggered(data=p):
                if p.ticket not in self.positions and len(self.positions) >= MAX_POSITIONS:
                    return f"more than {MAX_POSITIONS} open positions on one terminal"
            case PositionPartiallyClosed(data=d):
                grows = d.ticket not in self.positions and d.new_ticket not in self.positions
                if grows and len(self.positions) >= MAX_POSITIONS:
                    return f"more than {MAX_POSITIONS} open positions on one terminal"
            case OrderPlaced(data=o):
                if (o.ticket not in self.pending_orders
                        and len(self.pending_orders) >= MAX_PENDING_ORDERS):
                    return f"more than {MAX_PENDING_ORDERS} pending orders on one terminal"
            case _:
                pass
        return None

    def apply(self, event: Event) -> None:
        """Fold one validated event into the state. Unknown tickets are tolerated: the
        next snapshot settles any disagreement."""
        match event:
            case Snapshot(data=data):
                self._load_snapshot(data)
            case Hello(data=data):
                self.hello = data
            case AccountUpdate(data=data):
                self.account = data
            case PositionOpened(data=p) | OrderTriggered(data=p):
                self.pending_orders.pop(p.ticket, None)
                self.positions[p.ticket] = p
            case PositionClosed(data=d):
                if self.positions.pop(d.ticket, None) is None:
                    log.debug("%s: close of unknown ticket %s", self.agent_id, d.ticket)
            case PositionPartiallyClosed(data=d):
                old = self.positions.pop(d.ticket, None)
                if old is not None:
                    self.positions[d.new_ticket] = old.model_copy(
                        update={
                            "ticket": d.new_ticket,
                            "lots": d.remaining_lots,
                            "comment": f"from #{d.ticket}",
                        }
                    )
            case PositionModified(data=d):
                pos = self.positions.get(d.ticket)
                if pos is not None:
                    self.positions[d.ticket] = pos.model_copy(
                        update={"stop_loss": d.stop_loss, "take_profit": d.take_profit}
                    )
            case OrderPlaced(data=o):
                self.pending_orders[o.ticket] = o
            case OrderModified(data=d):
                order = self.pending_orders.get(d.ticket)
                if order is not None:
                    self.pending_orders[d.ticket] = order.model_copy(
                        update={
                            "price": d.price,
                            "stop_loss": d.stop_loss,
                            "take_profit": d.take_profit,
                            "expiration": d.expiration,
                        }
                    )
            case OrderDeleted(data=d):
                self.pending_orders.pop(d.ticket, None)
            case PositionsUpdate(data=d):
                for tick in d.positions:
                    pos = self.positions.get(tick.ticket)
                    if pos is None:
                        continue
                    update: dict[str, float] = {
                        "current_price": tick.current_price,
                        "profit": tick.profit,
                        "swap": tick.swap,
                    }
                    if tick.commission is not None:
                        update["commission"] = tick.commission
                    self.positions[tick.ticket] = pos.model_copy(update=update)
            case Quote(data=q):
                self.quotes[q.symbol] = q
            case SymbolInfo(data=s):
                self.symbols[s.symbol] = s
            case Heartbeat(timestamp=ts):
                self.last_heartbeat = ts

    def _load_snapshot(self, data: SnapshotData) -> None:
        self.account = data.account
        self.positions = {p.ticket: p for p in data.positions}
        self.pending_orders = {o.ticket: o for o in data.pending_orders}
        self.synced = True

    def snapshot(self, timestamp: datetime) -> Snapshot | None:
        """The current picture as a `snapshot` event, for late subscribers and the platform.

        Total: built with `model_construct` from parts that were each validated when they
        arrived (and `over_limit` keeps the counts inside the model's limits), so no state
        the gateway accepted can make this raise."""
        if self.account is None:
            return None
        return Snapshot.model_construct(
            type="snapshot",
            timestamp=timestamp,
            agent_id=self.agent_id,
            data=SnapshotData.model_construct(
                account=self.account,
                positions=list(self.positions.values()),
                pending_orders=list(self.pending_orders.values()),
            ),
        )

    def info(self) -> AgentInfo:
        h = self.hello
        return AgentInfo(
            agent_id=self.agent_id,
            status=self.status,
            account_login=h.account_login if h else None,
            server=h.server if h else None,
            company=h.company if h else None,
            currency=h.currency if h else None,
            ea_version=h.ea_version if h else None,
            last_seen=self.last_seen_wall,
            connected_since=self.connected_since,
        )
