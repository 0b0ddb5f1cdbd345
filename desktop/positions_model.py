"""Open positions of every agent, kept by gateway events; live ticks touch only the cells
that changed (price, swap, profit), so 1,000 positions at 10 updates/s stay cheap."""

from __future__ import annotations

from dataclasses import dataclass

from gateway_core.protocol import (
    OrderTriggered,
    PositionClosed,
    PositionData,
    PositionModified,
    PositionOpened,
    PositionPartiallyClosed,
    PositionsUpdate,
    Snapshot,
    SymbolInfo,
)
from gateway_core.state import AgentState

from . import formatting as fmt
from .qt import QObject
from .table_model import Column, Key, KeyedTableModel


@dataclass(slots=True)
class PositionRow:
    agent_id: str
    ticket: int
    symbol: str
    type: str
    lots: float
    open_price: float
    stop_loss: float
    take_profit: float
    current_price: float | None
    swap: float | None
    profit: float | None
    comment: str
    digits: int

    @classmethod
    def from_data(cls, agent_id: str, p: PositionData, digits: int) -> PositionRow:
        return cls(
            agent_id,
            p.ticket,
            p.symbol,
            p.type,
            p.lots,
            p.open_price,
            p.stop_loss,
            p.take_profit,
            p.current_price,
            p.swap,
            p.profit,
            p.comment,
            digits,
        )


def _num(v: float | None) -> float:
    return v if v is not None else 0.0


COLUMNS: list[Column[PositionRow]] = [
    Column("Account", lambda r: r.agent_id, lambda r: r.agent_id),
    Column("Ticket", lambda r: str(r.ticket), lambda r: r.ticket, numeric=True),
    Column("Symbol", lambda r: r.symbol, lambda r: r.symbol),
    Column("Type", lambda r: fmt.order_type(r.type), lambda r: r.type),
    Column("Lots", lambda r: fmt.lots(r.lots), lambda r: r.lots, numeric=True),
    Column("Open price", lambda r: fmt.price(r.open_price, r.digits), lambda r: r.open_price,
           numeric=True),
    Column("S/L", lambda r: fmt.stop(r.stop_loss, r.digits), lambda r: r.stop_loss, numeric=True),
    Column("T/P", lambda r: fmt.stop(r.take_profit, r.digits), lambda r: r.take_profit,
           numeric=True),
    Column("Price", lambda r: fmt.price(r.current_price, r.digits),
           lambda r: _num(r.current_price), numeric=True),
    Column("Swap", lambda r: fmt.money(r.swap), lambda r: _num(r.swap), numeric=True),
    Column("Profit", lambda r: fmt.money(r.profit), lambda r: _num(r.profit), numeric=True),
    Column("Comment", lambda r: r.comment, lambda r: r.comment),
]
COL_SL, COL_TP, COL_PRICE, COL_SWAP, COL_PROFIT = 6, 7, 8, 9, 10


class PositionsModel(KeyedTableModel[PositionRow]):
    columns = COLUMNS

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._digits: dict[tuple[str, str], int] = {}

    def key_of(self, row: PositionRow) -> Key:
        return (row.agent_id, row.ticket)

    def foreground(self, row: PositionRow, column: int) -> object:
        if column == COL_PROFIT:
            return fmt.profit_colour(row.profit)
        return None

    def digits(self, agent_id: str, symbol: str) -> int:
        return self._digits.get((agent_id, symbol), 5)

    # -- feeding -----------------------------------------------------------------------

    def load_agent(self, agent: AgentState) -> None:
        for info in agent.symbols.values():
            self._digits[(agent.agent_id, info.symbol)] = info.digits
        self.replace_agent(
            agent.agent_id,
            [
                PositionRow.from_data(agent.agent_id, p, self.digits(agent.agent_id, p.symbol))
                for p in agent.positions.values()
            ],
        )

    def apply(self, agent_id: str, event: object) -> None:
        match event:
            case PositionsUpdate(data=d):
                self._ticks(agent_id, d.positions)
            case Snapshot(data=d):
                self.replace_agent(
                    agent_id,
                    [
                        PositionRow.from_data(agent_id, p, self.digits(agent_id, p.symbol))
                        for p in d.positions
                    ],
                )
            case PositionOpened(data=p) | OrderTriggered(data=p):
                self.upsert(PositionRow.from_data(agent_id, p, self.digits(agent_id, p.symbol)))
            case PositionClosed(data=d):
                self.remove((agent_id, d.ticket))
            case PositionPartiallyClosed(data=d):
                old = self.remove((agent_id, d.ticket))
                if old is not None:
                    old.ticket, old.lots = d.new_ticket, d.remaining_lots
                    old.comment = f"from #{d.ticket}"
                    self.upsert(old)
            case PositionModified(data=d):
                self._modify(agent_id, d.ticket, d.stop_loss, d.take_profit)
            case SymbolInfo(data=s):
                self._digits[(agent_id, s.symbol)] = s.digits
            case _:
                pass

    def _modify(self, agent_id: str, ticket: int, sl: float, tp: float) -> None:
        i = self.row_of((agent_id, ticket))
        if i is None:
            return
        row = self.rows[i]
        row.stop_loss, row.take_profit = sl, tp
        self._emit_rows([(i, COL_SL, COL_TP)])

    def _ticks(self, agent_id: str, ticks: list) -> None:  # type: ignore[type-arg]
        changes: list[tuple[int, int, int]] = []
        index, rows = self._index, self.rows
        for tick in ticks:
            i = index.get((agent_id, tick.ticket))
            if i is None:
                continue
            row = rows[i]
            first = last = -1
            if row.current_price != tick.current_price:
                row.current_price = tick.current_price
                first = last = COL_PRICE
            if row.swap != tick.swap:
                row.swap = tick.swap
                first = COL_SWAP if first < 0 else first
                last = COL_SWAP
            if row.profit != tick.profit:
                row.profit = tick.profit
                first = COL_PROFIT if first < 0 else first
                last = COL_PROFIT
            if first >= 0:
                changes.append((i, first, last))
        self._emit_rows(changes)

    def totals(self, agent_id: str | None = None) -> tuple[int, float]:
        rows = [r for r in self.rows if agent_id is None or r.agent_id == agent_id]
        return len(rows), sum(_num(r.profit) for r in rows)
