"""One row per terminal (agent): connection state and account figures.

Rows point at the gateway's own `AgentState` objects, which the gateway keeps current;
this model only decides which cells to repaint when an event says something changed.
"""

from __future__ import annotations

from datetime import datetime

from gateway_core.protocol import (
    AccountUpdate,
    AgentStatusNotice,
    Hello,
    OrderTriggered,
    PositionClosed,
    PositionOpened,
    PositionPartiallyClosed,
    Snapshot,
)
from gateway_core.state import AgentState

from . import formatting as fmt
from .qt import QColor, QObject
from .table_model import Column, Key, KeyedTableModel

STATUS_COLOURS = {
    "connected": QColor("#1a7f37"),
    "stale": QColor("#9a6700"),
    "disconnected": QColor("#cf222e"),
}


def heartbeat_age(agent: AgentState, now: datetime | None = None) -> float | None:
    return fmt.since(agent.last_heartbeat or agent.last_seen_wall, now)


def _acct(agent: AgentState, name: str) -> float | None:
    return getattr(agent.account, name) if agent.account is not None else None


def _login(a: AgentState) -> str:
    return str(a.hello.account_login) if a.hello else ""


COLUMNS: list[Column[AgentState]] = [
    Column("Account", lambda a: a.agent_id, lambda a: a.agent_id),
    Column("Status", lambda a: a.status, lambda a: a.status),
    Column("Login", _login, lambda a: a.hello.account_login if a.hello else 0),
    Column("Server", lambda a: a.hello.server if a.hello else "",
           lambda a: a.hello.server if a.hello else ""),
    Column("Broker", lambda a: a.hello.company if a.hello else "",
           lambda a: a.hello.company if a.hello else ""),
    Column("EA", lambda a: a.hello.ea_version if a.hello else "",
           lambda a: a.hello.ea_version if a.hello else ""),
    Column("Heartbeat", lambda a: fmt.age(heartbeat_age(a)),
           lambda a: heartbeat_age(a) or 0.0, numeric=True),
    Column("Currency", lambda a: a.hello.currency if a.hello else "",
           lambda a: a.hello.currency if a.hello else ""),
    Column("Balance", lambda a: fmt.money(_acct(a, "balance")),
           lambda a: _acct(a, "balance") or 0.0, numeric=True),
    Column("Equity", lambda a: fmt.money(_acct(a, "equity")),
           lambda a: _acct(a, "equity") or 0.0, numeric=True),
    Column("Margin", lambda a: fmt.money(_acct(a, "margin")),
           lambda a: _acct(a, "margin") or 0.0, numeric=True),
    Column("Free margin", lambda a: fmt.money(_acct(a, "margin_free")),
           lambda a: _acct(a, "margin_free") or 0.0, numeric=True),
    Column("Margin level", lambda a: fmt.percent(_acct(a, "margin_level")),
           lambda a: _acct(a, "margin_level") or 0.0, numeric=True),
    Column("Profit", lambda a: fmt.money(_acct(a, "profit")),
           lambda a: _acct(a, "profit") or 0.0, numeric=True),
    Column("Positions", lambda a: str(len(a.positions)), lambda a: len(a.positions), numeric=True),
]
COL_STATUS, COL_HEARTBEAT, COL_BALANCE, COL_PROFIT, COL_POSITIONS = 1, 6, 8, 13, 14
STATUS_COLUMNS = [0, 1, 2, 3, 4, 5, 6]
ACCOUNT_COLUMNS = [0, 2, 7, 8, 9, 10, 11, 12, 13, 14]


class AgentsModel(KeyedTableModel[AgentState]):
    columns = COLUMNS

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)

    def key_of(self, row: AgentState) -> Key:
        return (row.agent_id, 0)

    def foreground(self, row: AgentState, column: int) -> object:
        if column == COL_STATUS:
            return STATUS_COLOURS.get(row.status)
        if column == COL_PROFIT:
            return fmt.profit_colour(_acct(row, "profit"))
        return None

    def agent_ids(self) -> list[str]:
        return [a.agent_id for a in self.rows]

    def track(self, agent: AgentState) -> None:
        self.upsert(agent)

    def apply_notice(self, notice: AgentStatusNotice, agent: AgentState | None) -> None:
        if agent is not None:
            self.upsert(agent)

    def apply(self, agent: AgentState, event: object) -> None:
        i = self.row_of((agent.agent_id, 0))
        if i is None:
            self.upsert(agent)
            return
        match event:
            case AccountUpdate():
                self._emit_rows([(i, COL_BALANCE, COL_PROFIT)])
            case Snapshot() | Hello():
                self._emit_rows([(i, 0, len(COLUMNS) - 1)])
            case PositionOpened() | PositionClosed() | OrderTriggered() | PositionPartiallyClosed():
                self._emit_rows([(i, COL_POSITIONS, COL_POSITIONS)])
            case _:
                pass

    def refresh_ages(self) -> None:
        if self.rows:
            self._signal(0, len(self.rows) - 1, COL_HEARTBEAT, COL_HEARTBEAT)
