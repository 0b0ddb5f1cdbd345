"""Terminals: every MT4 found on this machine, our EA's state in each, and the buttons to
install, update, uninstall and launch. File work runs in a thread (asyncio.to_thread) so
the window stays live; a busy bar shows while it runs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gateway_core.terminals import (
    DiscoveryResult,
    TerminalInfo,
    compile_ea,
    discover_terminals,
    inspect_terminal,
    install_ea,
    launch_terminal,
    uninstall_ea,
)

from .qt import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
    Signal,
)
from .table_model import Column, Key, KeyedTableModel

log = logging.getLogger(__name__)


def _ea_state(t: TerminalInfo) -> str:
    if not t.supported:
        return "not supported (MT5)"
    return f"installed {t.ea_version or ''}".strip() if t.ea_installed else "not installed"


COLUMNS: list[Column[TerminalInfo]] = [
    Column("Broker", lambda t: t.broker or "?", lambda t: t.broker or ""),
    Column("Kind", lambda t: t.kind.value + (" portable" if t.portable else ""),
           lambda t: t.kind.value),
    Column("EA", _ea_state, _ea_state),
    Column("terminal.exe", lambda t: "yes" if t.terminal_exe else "no",
           lambda t: t.terminal_exe is not None),
    Column("MetaEditor", lambda t: "yes" if t.metaeditor_exe else "no",
           lambda t: t.metaeditor_exe is not None),
    Column("Data folder", lambda t: str(t.data_folder), lambda t: str(t.data_folder)),
    Column("Problems", lambda t: "; ".join(t.problems), lambda t: len(t.problems)),
]


class TerminalsModel(KeyedTableModel[TerminalInfo]):
    columns = COLUMNS

    def key_of(self, row: TerminalInfo) -> Key:
        return (str(row.data_folder), 0)

    def set_terminals(self, terminals: list[TerminalInfo]) -> None:
        self.beginResetModel()
        self.rows = list(terminals)
        self._reindex()
        self.endResetModel()


class TerminalsPage(QWidget):
    busy_changed = Signal(bool)

    def __init__(self, token: Callable[[], str], port: Callable[[], int],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._token, self._port = token, port
        self.extra_roots: list[Path] = []
        self.include_default_roots = True
        self.model = TerminalsModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.verticalHeader().hide()
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.refresh_button = QPushButton("Search again")
        self.add_button = QPushButton("Add folder...")
        self.install_button = QPushButton("Install / update EA")
        self.uninstall_button = QPushButton("Uninstall EA")
        self.launch_button = QPushButton("Launch with EA")
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy indicator: file work has no honest percentage
        self.progress.setMaximumWidth(160)
        self.progress.hide()
        self.output = QPlainTextEdit(readOnly=True)
        self.output.setMaximumBlockCount(2000)
        self.output.setPlaceholderText("What happened appears here.")
        buttons = QHBoxLayout()
        for b in (self.refresh_button, self.add_button, self.install_button,
                  self.uninstall_button, self.launch_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.progress)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("MetaTrader terminals found on this computer"))
        layout.addWidget(self.view, 2)
        layout.addLayout(buttons)
        layout.addWidget(self.output, 1)
        self.refresh_button.clicked.connect(lambda: self.start(self.refresh()))
        self.add_button.clicked.connect(self._add_folder)
        self.install_button.clicked.connect(lambda: self._on_selected(self.install))
        self.uninstall_button.clicked.connect(lambda: self._on_selected(self.uninstall))
        self.launch_button.clicked.connect(lambda: self._on_selected(self.launch))
        self.view.selectionModel().selectionChanged.connect(self._update_buttons)
        self.task: asyncio.Task[Any] | None = None
        self._update_buttons()

    # -- helpers -----------------------------------------------------------------------

    def selected(self) -> TerminalInfo | None:
        rows = self.view.selectionModel().selectedRows()
        return self.model.rows[rows[0].row()] if rows else None

    def _update_buttons(self) -> None:
        t = self.selected()
        busy = self.task is not None and not self.task.done()
        ok = t is not None and t.supported and not busy
        self.install_button.setEnabled(ok)
        self.install_button.setText("Update EA" if t and t.ea_installed else "Install EA")
        self.uninstall_button.setEnabled(ok and t is not None and t.ea_installed)
        self.launch_button.setEnabled(ok and t is not None and t.ea_installed)
        self.refresh_button.setEnabled(not busy)
        self.add_button.setEnabled(not busy)

    def say(self, text: str) -> None:
        self.output.appendPlainText(text)

    def start(self, coro: Any) -> asyncio.Task[Any]:
        self.task = asyncio.ensure_future(self._busy(coro))
        # Busy at once, not on the task's first step: no second click can slip in.
        self.progress.show()
        self.busy_changed.emit(True)
        self._update_buttons()
        return self.task

    async def _busy(self, coro: Any) -> Any:
        try:
            return await coro
        except Exception as exc:
            log.exception("terminal operation failed")
            self.say(f"Failed: {exc}")
            return None
        finally:
            self.progress.hide()
            self.busy_changed.emit(False)
            self._update_buttons()

    def _on_selected(self, op: Callable[[TerminalInfo], Any]) -> None:
        t = self.selected()
        if t is not None:
            self.start(op(t))

    def _add_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder with MT4 terminals")
        if folder:
            self.extra_roots.append(Path(folder))
            self.start(self.refresh())

    def _replace(self, info: TerminalInfo | None, folder: Path) -> None:
        if info is None:
            return
        rows = [info if r.data_folder == folder else r for r in self.model.rows]
        self.model.set_terminals(rows)

    # -- operations ----------------------------------------------------------------------

    async def refresh(self) -> DiscoveryResult:
        result = await asyncio.to_thread(
            discover_terminals, self.extra_roots, include_default_roots=self.include_default_roots
        )
        self.model.set_terminals(list(result.terminals))
        n = len(result.terminals)
        self.say(f"Found {n} terminal{'s' if n != 1 else ''}." if n else
                 "No MetaTrader terminal found. Use 'Add folder...' for a portable install.")
        for problem in result.problems:
            self.say(f"  note: {problem}")
        return result

    async def install(self, t: TerminalInfo) -> None:
        self.say(f"Installing the EA into {t.data_folder}...")
        result = await asyncio.to_thread(
            install_ea, t.data_folder, token=self._token(), gateway_port=self._port()
        )
        self.say(result.message)
        if not result.ok:
            return
        info = await asyncio.to_thread(inspect_terminal, t.data_folder)
        self._replace(info, t.data_folder)
        compiled = await asyncio.to_thread(compile_ea, info or t)
        self.say(f"Compile: {compiled.message}")
        for msg in (*compiled.errors, *compiled.warnings):
            self.say(f"  {msg.describe()}")

    async def uninstall(self, t: TerminalInfo) -> None:
        self.say(f"Removing the EA from {t.data_folder}...")
        result = await asyncio.to_thread(uninstall_ea, t.data_folder)
        self.say(result.message)
        self._replace(await asyncio.to_thread(inspect_terminal, t.data_folder), t.data_folder)

    async def launch(self, t: TerminalInfo) -> None:
        result = await asyncio.to_thread(launch_terminal, t)
        self.say(result.message)
        for step in result.manual_steps:
            self.say(f"  - {step}")
