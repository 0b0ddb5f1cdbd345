"""The tray icon and its menu. The icon shows the overall state (tray_state.py); the menu
lists the terminals. It is built whether or not a tray exists, so it can be tested
offscreen; it is shown only where the desktop has a tray."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .assets import state_icon
from .qt import QAction, QMenu, QObject, QSystemTrayIcon, Signal
from .tray_state import Overall, overall_state

LEVEL_ICONS = {
    "error": QSystemTrayIcon.MessageIcon.Critical,
    "warning": QSystemTrayIcon.MessageIcon.Warning,
}


class Tray(QObject):
    open_requested = Signal()
    settings_requested = Signal()
    install_requested = Signal()
    log_folder_requested = Signal()
    about_requested = Signal()
    quit_requested = Signal()
    pause_toggled = Signal(bool)
    new_order_requested = Signal()
    close_all_requested = Signal(str)  # agent_id
    web_panel_requested = Signal()
    link_requested = Signal()
    remote_trading_toggled = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.icon = QSystemTrayIcon(state_icon("warn"), self)
        self.menu = QMenu()
        self.overall = Overall("warn", "starting")
        self.open_action = self._add("Open MT4 Companion", self.open_requested.emit)
        self.menu.setDefaultAction(self.open_action)
        self.menu.addSeparator()
        self.new_order_action = self._add("New order...", self.new_order_requested.emit)
        self.close_all_menu = QMenu("Close all positions")
        self.menu.addMenu(self.close_all_menu)
        self._close_all_actions: list[QAction] = []
        self.terminals_header = self.menu.addSection("Terminals")
        self._terminal_actions: list[QAction] = []
        self._terminals_end = self.menu.addSeparator()
        self.web_panel_action = self._add("Open web panel", self.web_panel_requested.emit)
        self.link_action = self._add("Link to platform...", self.link_requested.emit)
        self.remote_trading_action = QAction("Allow trading from the web", self)
        self.remote_trading_action.setCheckable(True)
        self.remote_trading_action.toggled.connect(self.remote_trading_toggled)
        self.menu.addAction(self.remote_trading_action)
        self.pause_action = QAction("Pause sync", self)
        self.pause_action.setCheckable(True)
        self.pause_action.toggled.connect(self.pause_toggled)
        self.menu.addAction(self.pause_action)
        self.install_action = self._add("Install EA...", self.install_requested.emit)
        self.settings_action = self._add("Settings...", self.settings_requested.emit)
        self.log_action = self._add("Open log folder", self.log_folder_requested.emit)
        self.about_action = self._add("About", self.about_requested.emit)
        self.menu.addSeparator()
        self.quit_action = self._add("Quit", self.quit_requested.emit)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        self.set_linked(False)
        self.update_state([], None)

    def _add(self, text: str, slot: Any) -> QAction:
        action = QAction(text, self)
        action.triggered.connect(lambda _checked=False: slot())
        self.menu.addAction(action)
        return action

    @staticmethod
    def available() -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable()

    def show(self) -> bool:
        if not self.available():
            return False
        self.icon.show()
        return True

    def hide(self) -> None:
        self.icon.hide()

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger,
                      QSystemTrayIcon.ActivationReason.DoubleClick):
            self.open_requested.emit()

    def set_linked(self, linked: bool) -> None:
        """'Open web panel' only means something once the app is linked to a platform."""
        self.web_panel_action.setVisible(linked)
        self.link_action.setText("Platform link..." if linked else "Link to platform...")

    def update_state(self, agents: Iterable[tuple[str, str, str]],
                     link: Mapping[str, Any] | None) -> Overall:
        """`agents`: (agent_id, status, label). Updates icon, tooltip and terminal list."""
        agents = list(agents)
        overall = overall_state(((a, s) for a, s, _ in agents), link,
                                self.pause_action.isChecked())
        if overall.state != self.overall.state:
            self.icon.setIcon(state_icon(overall.state))
        self.overall = overall
        self.icon.setToolTip(f"MT4 Companion - {overall.summary}")
        self._set_terminals(agents)
        self._set_close_all(agents)
        return overall

    def _set_close_all(self, agents: list[tuple[str, str, str]]) -> None:
        """One 'Close all positions...' entry per account the gateway knows."""
        wanted = [(agent_id, f"{label}...") for agent_id, _s, label in agents]
        if [(a.data(), a.text()) for a in self._close_all_actions] == wanted:
            return
        self.close_all_menu.clear()
        self._close_all_actions = []
        for agent_id, text in wanted:
            action = self.close_all_menu.addAction(text)
            action.setData(agent_id)
            action.triggered.connect(
                lambda _checked=False, a=agent_id: self.close_all_requested.emit(a))
            self._close_all_actions.append(action)
        self.close_all_menu.setEnabled(bool(wanted))

    def close_all_texts(self) -> list[str]:
        return [a.text() for a in self._close_all_actions]

    def trigger_close_all(self, agent_id: str) -> None:
        """What a click on the account's entry does (tests cannot click a hidden menu)."""
        for action in self._close_all_actions:
            if action.data() == agent_id:
                action.trigger()
                return
        raise KeyError(agent_id)

    def _set_terminals(self, agents: list[tuple[str, str, str]]) -> None:
        texts = [f"{label}: {status}" for _a, status, label in agents] or ["none yet"]
        if [a.text() for a in self._terminal_actions] == texts:
            return
        for action in self._terminal_actions:
            self.menu.removeAction(action)
            action.deleteLater()
        self._terminal_actions = []
        for text in texts:
            action = QAction(text, self)
            # Informational rows: they show state, there is nothing to click.
            action.setEnabled(False)
            self.menu.insertAction(self._terminals_end, action)
            self._terminal_actions.append(action)

    def terminal_texts(self) -> list[str]:
        return [a.text() for a in self._terminal_actions]

    def message(self, title: str, text: str, level: str = "info") -> None:
        if self.icon.isVisible():
            icon = LEVEL_ICONS.get(level, QSystemTrayIcon.MessageIcon.Information)
            self.icon.showMessage(title, text, icon, 6000)
