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

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_SORT = int(SORT_ROLE)
_KEY = int(KEY_ROLE)
_ANSWERED = frozenset({_DISPLAY, _FOREGROUND, _ALIGN, _SORT, _KEY})
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

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
        self._sort_by: tuple[int, Qt.SortOrder] | None = None

    # -- to implement ----------------------------------------------------------------

    def key_of(self, row: R) -> Key:
        # Every concrete model says how its rows are keyed; Qt's metaclass rules out ABC.
        raise TypeError(f"{type(self).__name__} does not define key_of()")

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
        # Called for every role of every visible cell on each repaint (thousands of times):
        # roles are compared as plain ints, and roles we never answer leave first.
        if role not in _ANSWERED or not index.isValid():
            return None
        row = self.rows[index.row()]
        col = index.column()
        if role == _DISPLAY:
            return self.columns[col].text(row)
        if role == _FOREGROUND:
            return self.foreground(row, col)
        if role == _ALIGN:
            return _RIGHT if self.columns[col].numeric else None
        if role == _SORT:
            return self.columns[col].sort(row)
        return self.key_of(row)

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
        self._resort()

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
        self._sort_rows()
        self._reindex()
        self.endResetModel()

    # -- sorting -----------------------------------------------------------------------
    # The model sorts itself (no QSortFilterProxyModel): a proxy doubles the Python calls
    # of every repaint. Sorting happens on a header click and when rows arrive, never on a
    # tick, so rows do not jump under the mouse ten times a second.

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns):
            self._sort_by = None
            return
        self._sort_by = (column, order)
        self._resort()

    def _sort_rows(self) -> None:
        if self._sort_by is None:
            return
        column, order = self._sort_by
        key = self.columns[column].sort
        self.rows.sort(key=key, reverse=order == Qt.SortOrder.DescendingOrder)

    def _resort(self) -> None:
        if self._sort_by is None or len(self.rows) < 2:
            return
        self.layoutAboutToBeChanged.emit()
        old_keys = [self.key_of(r) for r in self.rows]
        self._sort_rows()
        self._reindex()
        # Selections and other persistent indexes follow their rows.
        for idx in self.persistentIndexList():
            new_row = self._index[old_keys[idx.row()]]
            self.changePersistentIndex(idx, self.index(new_row, idx.column()))
        self.layoutChanged.emit()

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
