"""The main window: Live trades, Connection, Terminals and Event log tabs. Closing it
hides it to the tray; only Quit stops the gateway."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .agents_model import ACCOUNT_COLUMNS, AgentsModel
from .connection_page import ConnectionPage, agents_view
from .equity_curve import EquityCurve, EquityHistory
from .event_log import EventLogModel, EventLogWidget
from .pending_model import PendingModel, PendingRow
from .positions_actions import PositionActions
from .positions_model import PositionRow, PositionsModel
from .qt import (
    QAbstractItemView,
    QAction,
    QCloseEvent,
    QHeaderView,
    QKeySequence,
    QLabel,
    QMainWindow,
    QMenu,
    QPoint,
    QSplitter,
    Qt,
    QTableView,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)
from .table_model import KeyedTableModel
from .terminals_page import TerminalsPage


def table(model: KeyedTableModel[Any], sort_column: int = 1) -> QTableView:
    """A view straight on the model: the model sorts itself on a header click."""
    view = QTableView()
    view.setModel(model)
    view.setSortingEnabled(True)
    view.sortByColumn(sort_column, Qt.SortOrder.AscendingOrder)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(22)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    header.setDefaultSectionSize(92)
    return view


def selected_row(view: QTableView, model: KeyedTableModel[Any]) -> object:
    rows = view.selectionModel().selectedRows()
    if not rows:
        return None
    return model.rows[rows[0].row()]


class MainWindow(QMainWindow):
    def __init__(self, agents: AgentsModel, positions: PositionsModel, pending: PendingModel,
                 history: EquityHistory, log_model: EventLogModel, actions: PositionActions,
                 terminals: TerminalsPage, new_order: Callable[[], object]) -> None:
        super().__init__()
        self.setWindowTitle("MT4 Companion")
        self.resize(1200, 760)
        self.keep_in_tray = True
        self.position_actions = actions
        self.positions_model = positions
        self.pending_model = pending
        self.really_quit = False

        self.accounts_view = agents_view(agents, ACCOUNT_COLUMNS)
        self.positions_view = table(positions)
        self.positions_view.setColumnWidth(0, 80)
        self.pending_view = table(pending)
        self.equity = EquityCurve(history)
        self.positions_label = QLabel()
        actions.selected_position = self.selected_position
        actions.selected_pending = self.selected_pending
        for view in (self.positions_view, self.pending_view):
            view.selectionModel().selectionChanged.connect(actions.update_enabled)
            view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.positions_view.customContextMenuRequested.connect(self._positions_menu)
        self.pending_view.customContextMenuRequested.connect(self._pending_menu)
        self.positions_view.doubleClicked.connect(lambda _i: actions.modify_selected())
        actions.update_enabled()

        trades = QWidget()
        tl = QVBoxLayout(trades)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.accounts_view)
        pos_box = QWidget()
        pl = QVBoxLayout(pos_box)
        pl.setContentsMargins(0, 0, 0, 0)
        pl.addWidget(self.positions_label)
        pl.addWidget(self.positions_view)
        split.addWidget(pos_box)
        pend_box = QWidget()
        ql = QVBoxLayout(pend_box)
        ql.setContentsMargins(0, 0, 0, 0)
        ql.addWidget(QLabel("<b>Pending orders</b>"))
        ql.addWidget(self.pending_view)
        split.addWidget(pend_box)
        split.addWidget(self.equity)
        split.setSizes([110, 330, 120, 170])
        tl.addWidget(split)

        self.connection_page = ConnectionPage(agents)
        self.terminals_page = terminals
        self.log_widget = EventLogWidget(log_model)
        self.tabs = QTabWidget()
        self.tabs.addTab(trades, "Live trades")
        self.tabs.addTab(self.connection_page, "Connection")
        self.tabs.addTab(terminals, "Terminals")
        self.tabs.addTab(self.log_widget, "Event log")
        self.setCentralWidget(self.tabs)

        bar = QToolBar("Trading")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.new_order_action = QAction("New order", self)
        self.new_order_action.setShortcut(QKeySequence("F9"))
        self.new_order_action.triggered.connect(lambda _c=False: new_order())
        bar.addAction(self.new_order_action)
        bar.addSeparator()
        for a in (actions.modify_action, actions.close_action, actions.partial_action,
                  actions.close_symbol_action, actions.close_account_action):
            bar.addAction(a)
        bar.addSeparator()
        bar.addAction(actions.delete_action)
        self.addToolBar(bar)
        self.menu_file = self.menuBar().addMenu("&File")
        self.menu_help = self.menuBar().addMenu("&Help")
        self.status_label = QLabel()
        self.statusBar().addPermanentWidget(self.status_label)
        # Every change of a row can change the total: prices move it far more often than
        # rows come and go, so dataChanged matters most.
        positions.rowsInserted.connect(self.update_totals)
        positions.rowsRemoved.connect(self.update_totals)
        positions.modelReset.connect(self.update_totals)
        positions.dataChanged.connect(self.update_totals)
        self.update_totals()

    def selected_position(self) -> PositionRow | None:
        row = selected_row(self.positions_view, self.positions_model)
        return row if isinstance(row, PositionRow) else None

    def selected_pending(self) -> PendingRow | None:
        row = selected_row(self.pending_view, self.pending_model)
        return row if isinstance(row, PendingRow) else None

    def update_totals(self, *_changed: object) -> None:
        n, profit = self.positions_model.totals()
        colour = "#1a7f37" if profit >= 0 else "#cf222e"
        text = (f"<b>Open positions</b> ({n}) &nbsp; floating "
                f'<span style="color:{colour}">{profit:+,.2f}</span>')
        if text != self.positions_label.text():
            self.positions_label.setText(text)

    def _positions_menu(self, pos: QPoint) -> None:
        a = self.position_actions
        a.update_enabled()
        menu = QMenu(self)
        menu.addAction(self.new_order_action)
        menu.addSeparator()
        for act in (a.modify_action, a.close_action, a.partial_action, a.close_symbol_action,
                    a.close_account_action):
            menu.addAction(act)
        menu.exec(self.positions_view.viewport().mapToGlobal(pos))

    def _pending_menu(self, pos: QPoint) -> None:
        self.position_actions.update_enabled()
        menu = QMenu(self)
        menu.addAction(self.position_actions.modify_pending_action)
        menu.addAction(self.position_actions.delete_action)
        menu.exec(self.pending_view.viewport().mapToGlobal(pos))

    def bring_forward(self) -> None:
        self.show()
        self.setWindowState(self.windowState() & ~Qt.WindowState.WindowMinimized)
        self.raise_()
        self.activateWindow()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.keep_in_tray and not self.really_quit:
            # The gateway keeps running: terminals stay connected while the window is away.
            event.ignore()
            self.hide()
            return
        event.accept()
