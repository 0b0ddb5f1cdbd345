"""Pending orders of every agent, shown apart from open positions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gateway_core.protocol import (
    OrderDeleted,
    OrderModified,
    OrderPlaced,
    OrderTriggered,
    PendingOrderData,
    Snapshot,
    SymbolInfo,
)
from gateway_core.state import AgentState

from . import formatting as fmt
from .qt import QObject
from .table_model import Column, Key, KeyedTableModel


@dataclass(slots=True)
class PendingRow:
    agent_id: str
    ticket: int
    symbol: str
    type: str
    lots: float
    price: float
    stop_loss: float
    take_profit: float
    expiration: datetime | None
    comment: str
    digits: int

    @classmethod
    def from_data(cls, agent_id: str, o: PendingOrderData, digits: int) -> PendingRow:
        return cls(agent_id, o.ticket, o.symbol, o.type, o.lots, o.price, o.stop_loss,
                   o.take_profit, o.expiration, o.comment, digits)


COLUMNS: list[Column[PendingRow]] = [
    Column("Account", lambda r: r.agent_id, lambda r: r.agent_id),
    Column("Ticket", lambda r: str(r.ticket), lambda r: r.ticket, numeric=True),
    Column("Symbol", lambda r: r.symbol, lambda r: r.symbol),
    Column("Type", lambda r: fmt.order_type(r.type), lambda r: r.type),
    Column("Lots", lambda r: fmt.lots(r.lots), lambda r: r.lots, numeric=True),
    Column("Price", lambda r: fmt.price(r.price, r.digits), lambda r: r.price, numeric=True),
    Column("S/L", lambda r: fmt.stop(r.stop_loss, r.digits), lambda r: r.stop_loss, numeric=True),
    Column("T/P", lambda r: fmt.stop(r.take_profit, r.digits), lambda r: r.take_profit,
           numeric=True),
    Column("Expires", lambda r: r.expiration.strftime("%Y-%m-%d %H:%M") if r.expiration else "",
           lambda r: r.expiration.timestamp() if r.expiration else 0.0),
    Column("Comment", lambda r: r.comment, lambda r: r.comment),
]


class PendingModel(KeyedTableModel[PendingRow]):
    columns = COLUMNS

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._digits: dict[tuple[str, str], int] = {}

    def key_of(self, row: PendingRow) -> Key:
        return (row.agent_id, row.ticket)

    def _row(self, agent_id: str, o: PendingOrderData) -> PendingRow:
        return PendingRow.from_data(agent_id, o, self._digits.get((agent_id, o.symbol), 5))

    def load_agent(self, agent: AgentState) -> None:
        for info in agent.symbols.values():
            self._digits[(agent.agent_id, info.symbol)] = info.digits
        self.replace_agent(
            agent.agent_id, [self._row(agent.agent_id, o) for o in agent.pending_orders.values()]
        )

    def apply(self, agent_id: str, event: object) -> None:
        match event:
            case Snapshot(data=d):
                self.replace_agent(agent_id, [self._row(agent_id, o) for o in d.pending_orders])
            case OrderPlaced(data=o):
                self.upsert(self._row(agent_id, o))
            case OrderModified(data=d):
                row = self.get((agent_id, d.ticket))
                if row is not None:
                    row.price, row.stop_loss, row.take_profit = d.price, d.stop_loss, d.take_profit
                    row.expiration = d.expiration
                    self.upsert(row)
            case OrderDeleted(data=d):
                self.remove((agent_id, d.ticket))
            case OrderTriggered(data=p):
                self.remove((agent_id, p.ticket))
            case SymbolInfo(data=s):
                self._digits[(agent_id, s.symbol)] = s.digits
            case _:
                pass
