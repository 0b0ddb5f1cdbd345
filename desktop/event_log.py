"""What happened, newest last: a bounded model, a filter and copy to the clipboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .event_text import Level
from .qt import (
    QAbstractItemView,
    QAbstractTableModel,
    QColor,
    QComboBox,
    QGuiApplication,
    QHBoxLayout,
    QHeaderView,
    QKeySequence,
    QLineEdit,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPushButton,
    QShortcut,
    QSortFilterProxyModel,
    Qt,
    QTableView,
    QVBoxLayout,
    QWidget,
)

MAX_ROWS = 5_000
HEADERS = ["Time", "Level", "Account", "What"]
LEVEL_COLOURS = {"error": QColor("#cf222e"), "warning": QColor("#9a6700"),
                 "trade": QColor("#0969da")}
AnyIndex = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True, slots=True)
class LogEntry:
    time: datetime
    level: Level
    agent_id: str
    text: str

    def as_line(self) -> str:
        return "\t".join([self.time.strftime("%Y-%m-%d %H:%M:%S"), self.level, self.agent_id,
                          self.text])


class EventLogModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None, max_rows: int = MAX_ROWS) -> None:
        super().__init__(parent)
        self.entries: list[LogEntry] = []
        self.max_rows = max_rows

    def add(self, level: Level, agent_id: str, text: str, when: datetime | None = None) -> None:
        if len(self.entries) >= self.max_rows:
            # Drop the oldest tenth at once: one removal signal instead of one per entry.
            drop = max(1, self.max_rows // 10)
            self.beginRemoveRows(QModelIndex(), 0, drop - 1)
            del self.entries[:drop]
            self.endRemoveRows()
        n = len(self.entries)
        self.beginInsertRows(QModelIndex(), n, n)
        self.entries.append(LogEntry(when or datetime.now(), level, agent_id, text))
        self.endInsertRows()

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.entries)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        e = self.entries[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return [e.time.strftime("%H:%M:%S"), e.level, e.agent_id, e.text][index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and index.column() in (1, 3):
            return LEVEL_COLOURS.get(e.level)
        if role == Qt.ItemDataRole.ToolTipRole:
            return e.as_line()
        return None


class _LevelFilter(QSortFilterProxyModel):
    """Text filter on every column plus a level choice."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.level = ""
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterKeyColumn(-1)

    def set_level(self, level: str) -> None:
        # begin/endFilterChange replace invalidateFilter (deprecated in Qt 6.10+).
        self.beginFilterChange()
        self.level = level
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, row: int, parent: AnyIndex) -> bool:
        if self.level:
            model = self.sourceModel()
            assert isinstance(model, EventLogModel)
            if model.entries[row].level != self.level:
                return False
        return super().filterAcceptsRow(row, parent)


class EventLogWidget(QWidget):
    def __init__(self, model: EventLogModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.proxy = _LevelFilter(self)
        self.proxy.setSourceModel(model)
        self.filter_edit = QLineEdit(placeholderText="Filter (text, account, ticket...)")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self.proxy.setFilterFixedString)
        self.level_box = QComboBox()
        for label, value in [("All levels", ""), ("Trades", "trade"), ("Info", "info"),
                             ("Warnings", "warning"), ("Errors", "error")]:
            self.level_box.addItem(label, value)
        self.level_box.currentIndexChanged.connect(
            lambda _i: self.proxy.set_level(self.level_box.currentData())
        )
        copy = QPushButton("Copy")
        copy.setToolTip("Copy the selected lines (or all shown lines) as text")
        copy.clicked.connect(self.copy)
        top = QHBoxLayout()
        top.addWidget(self.filter_edit, 1)
        top.addWidget(self.level_box)
        top.addWidget(copy)
        self.view = QTableView()
        self.view.setModel(self.proxy)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.view.setColumnWidth(0, 80)
        self.view.setColumnWidth(1, 70)
        self.view.setColumnWidth(2, 90)
        self.view.setWordWrap(False)
        QShortcut(QKeySequence.StandardKey.Copy, self.view, self.copy)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.view)
        model.rowsInserted.connect(self._follow)

    def _follow(self) -> None:
        # Keep showing the newest entry unless the trader scrolled up to read.
        bar = self.view.verticalScrollBar()
        if bar.value() >= bar.maximum() - 2:
            self.view.scrollToBottom()

    def selected_text(self) -> str:
        rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()})
        if not rows:
            rows = list(range(self.proxy.rowCount()))
        lines = []
        for r in rows:
            src = self.proxy.mapToSource(self.proxy.index(r, 0)).row()
            lines.append(self.model.entries[src].as_line())
        return "\n".join(lines)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.selected_text())
