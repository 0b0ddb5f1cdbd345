"""A table model over rows keyed by (agent_id, id), with row-level change signals.

Subclasses say how a row looks; this keeps the key -> row index and emits the narrowest
signals Qt allows: a changed cell span per row, contiguous rows merged into one signal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .qt import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
KEY_ROLE = Qt.ItemDataRole.UserRole + 2

Key = tuple[str, int]
R = TypeVar("R")
AnyIndex = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True, slots=True)
class Column(Generic[R]):
    title: str
    text: Callable[[R], str]
    sort: Callable[[R], Any]
    numeric: bool = False


class KeyedTableModel(QAbstractTableModel, Generic[R]):
    columns: list[Column[R]] = []

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[R] = []
        self._index: dict[Key, int] = {}
        self.change_signals = 0
        """dataChanged emissions so far (tests and the benchmark read it)."""

    # -- to implement ----------------------------------------------------------------

    def key_of(self, row: R) -> Key:
        raise NotImplementedError

    def foreground(self, row: R, column: int) -> Any:
        return None

    # -- Qt model API ------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section].title
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.columns[col].text(row)
        if role == SORT_ROLE:
            return self.columns[col].sort(row)
        if role == Qt.ItemDataRole.ForegroundRole:
            return self.foreground(row, col)
        if role == Qt.ItemDataRole.TextAlignmentRole and self.columns[col].numeric:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == KEY_ROLE:
            return self.key_of(row)
        return None

    # -- row bookkeeping ---------------------------------------------------------------

    def row_of(self, key: Key) -> int | None:
        return self._index.get(key)

    def get(self, key: Key) -> R | None:
        i = self._index.get(key)
        return None if i is None else self.rows[i]

    def upsert(self, row: R) -> None:
        key = self.key_of(row)
        i = self._index.get(key)
        if i is not None:
            self.rows[i] = row
            self._emit_rows([(i, 0, len(self.columns) - 1)])
            return
        n = len(self.rows)
        self.beginInsertRows(QModelIndex(), n, n)
        self.rows.append(row)
        self._index[key] = n
        self.endInsertRows()

    def remove(self, key: Key) -> R | None:
        i = self._index.get(key)
        if i is None:
            return None
        self.beginRemoveRows(QModelIndex(), i, i)
        row = self.rows.pop(i)
        self._reindex()
        self.endRemoveRows()
        return row

    def replace_agent(self, agent_id: str, rows: Iterable[R]) -> None:
        """Swap everything one agent shows (a snapshot) in one reset."""
        self.beginResetModel()
        self.rows = [r for r in self.rows if self.key_of(r)[0] != agent_id]
        self.rows.extend(rows)
        self._reindex()
        self.endResetModel()

    def _reindex(self) -> None:
        self._index = {self.key_of(r): i for i, r in enumerate(self.rows)}

    def _emit_rows(self, changes: list[tuple[int, int, int]]) -> None:
        """`changes`: (row, first column, last column). Adjacent rows with the same column
        span become one signal; nothing else is signalled."""
        if not changes:
            return
        changes.sort()
        start, c0, c1 = changes[0]
        end = start
        for r, a, b in changes[1:]:
            if r == end + 1 and (a, b) == (c0, c1):
                end = r
                continue
            self._signal(start, end, c0, c1)
            start, end, c0, c1 = r, r, a, b
        self._signal(start, end, c0, c1)

    def _signal(self, r0: int, r1: int, c0: int, c1: int) -> None:
        self.change_signals += 1
        self.dataChanged.emit(self.index(r0, c0), self.index(r1, c1), [])
