"""Wires the running gateway to the views: gateway signals into models, the log, the tray
and notifications; menu and tray actions into gateway calls and settings."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gateway_core import __version__
from gateway_core.paths import config_dir, data_dir, log_dir
from gateway_core.protocol import (
    AccountUpdate,
    AgentStatusNotice,
    CommandResult,
    Reply,
    Snapshot,
)

from .agents_model import AgentsModel
from .autostart import set_autostart
from .equity_curve import EquityHistory
from .event_log import EventLogModel
from .event_text import describe_event, describe_notice, describe_reply
from .gateway_bridge import GatewayBridge
from .main_window import MainWindow
from .notifications import Notifier
from .pending_model import PendingModel
from .platform_link import PlatformLink
from .positions_actions import PositionActions
from .positions_model import PositionsModel
from .qt import QDesktopServices, QMessageBox, QObject, QUrl, Signal
from .runtime import Runtime
from .secret_store import SecretStore
from .settings_dialog import LINK_FIELDS, SettingsDialog
from .settings_store import Settings, SettingsStore
from .terminals_page import TerminalsPage
from .trade_ticket import TradeTicket
from .tray import Tray

log = logging.getLogger(__name__)

NOTIFY_EVENTS = {"position_opened", "order_triggered", "position_closed",
                 "position_partially_closed"}


class Controller(QObject):
    quit_requested = Signal()

    def __init__(self, runtime: Runtime, store: SettingsStore, secrets: SecretStore,
                 local_token: Callable[[], str], rotate_token: Callable[[], str],
                 *, log_file: Path | None = None) -> None:
        super().__init__()
        self.runtime = runtime
        self.store = store
        self.secrets = secrets
        self._local_token = local_token
        self._rotate_token = rotate_token
        self.log_file = log_file
        self.bridge = GatewayBridge(runtime.gateway, self)
        self.agents = AgentsModel(self)
        self.positions = PositionsModel(self)
        self.pending = PendingModel(self)
        self.history = EquityHistory()
        self.log_model = EventLogModel(self)
        self.link = PlatformLink(runtime.gateway)
        self.tray = Tray(self)
        self.notifier = Notifier(self.tray.message, self)
        self.notifier.enabled = store.settings.notifications
        self.actions = PositionActions(self.bridge)
        self.terminals = TerminalsPage(self._local_token, lambda: runtime.port or 8090)
        self.window = MainWindow(self.agents, self.positions, self.pending, self.history,
                                 self.log_model, self.actions, self.terminals, self.new_order)
        self.actions.setParent(self.window)
        self.actions.window = self.window
        self.tickets: list[TradeTicket] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._build_menus()
        self._connect()
        for agent in self.bridge.agents():
            self.agents.track(agent)
            self.positions.load_agent(agent)
            self.pending.load_agent(agent)
        self.tray.pause_action.setChecked(store.settings.sync_paused)
        self._on_second()

    # -- wiring ------------------------------------------------------------------------

    def _build_menus(self) -> None:
        w = self.window
        w.menu_file.addAction(w.new_order_action)
        w.menu_file.addAction(self.tray.settings_action)
        w.menu_file.addAction(self.tray.log_action)
        w.menu_file.addSeparator()
        w.menu_file.addAction(self.tray.quit_action)
        w.menu_help.addAction(self.tray.about_action)

    def _connect(self) -> None:
        b = self.bridge
        b.gateway_event.connect(self._on_event)
        b.notice.connect(self._on_notice)
        b.reply.connect(self._on_reply)
        b.second.connect(self._on_second)
        self.actions.sent.connect(lambda a, what: self._status(f"{a}: {what}..."))
        self.actions.done.connect(self._on_action_done)
        t = self.tray
        t.open_requested.connect(self.window.bring_forward)
        t.settings_requested.connect(self.open_settings)
        t.install_requested.connect(self.open_terminals)
        t.log_folder_requested.connect(self.open_log_folder)
        t.about_requested.connect(self.about)
        t.quit_requested.connect(self.quit_requested)
        t.pause_toggled.connect(lambda paused: self.store.update(sync_paused=paused))
        self.store.changed.connect(self._on_settings)

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # -- gateway output ----------------------------------------------------------------

    def _on_event(self, agent_id: str, event: object) -> None:
        self.positions.apply(agent_id, event)
        self.pending.apply(agent_id, event)
        agent = self.bridge.agent(agent_id)
        if agent is not None:
            self.agents.apply(agent, event)
        if isinstance(event, AccountUpdate | Snapshot):
            account = event.data if isinstance(event, AccountUpdate) else event.data.account
            self.history.add(agent_id, account.equity)
        said = describe_event(event)
        if said is not None:
            level, text = said
            self.log_model.add(level, agent_id, text)
            if getattr(event, "type", "") in NOTIFY_EVENTS:
                self.notifier.notify(f"MT4 Companion - {agent_id}", text, level)

    def _on_notice(self, notice: AgentStatusNotice) -> None:
        self.agents.apply_notice(notice, self.bridge.agent(notice.agent_id))
        level, text = describe_notice(notice)
        self.log_model.add(level, notice.agent_id, text)
        if notice.status != "connected":
            self.notifier.notify(f"MT4 Companion - {notice.agent_id}", text, level)
        self._update_tray()

    def _on_reply(self, agent_id: str, reply: Reply) -> None:
        if isinstance(reply, CommandResult) and reply.command == "subscribe_quotes":
            return  # bookkeeping of the views, not something the trader did
        level, text = describe_reply(reply)
        self.log_model.add(level, agent_id, text)
        if not reply.success:
            self.notifier.notify(f"MT4 Companion - {agent_id}", text, "error")

    def _on_action_done(self, agent_id: str, reply: Reply) -> None:
        self._status(f"{agent_id}: {describe_reply(reply)[1]}")

    def _on_second(self) -> None:
        self.agents.refresh_ages()
        self.window.equity.update()
        link = self.bridge.backend()
        self.window.connection_page.show_link(link, bool(self.store.settings.platform_url))
        if link is None and self.link.problem and self.store.settings.platform_enabled:
            self.window.connection_page.link_labels["detail"].setText(self.link.problem)
        self._update_tray(link)
        up = sum(1 for a in self.bridge.agents() if a.status == "connected")
        self.window.status_label.setText(
            f"gateway ws://127.0.0.1:{self.runtime.port}  |  {up} terminal(s) connected  |  "
            f"platform: {link.get('state') if link else 'off'}")

    def _update_tray(self, link: dict[str, Any] | None = None) -> None:
        link = link if link is not None else self.bridge.backend()
        agents = [(a.agent_id, a.status,
                   f"{a.agent_id} ({a.hello.account_login})" if a.hello else a.agent_id)
                  for a in self.bridge.agents()]
        self.tray.update_state(agents, link)

    def _status(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 10_000)

    # -- actions -----------------------------------------------------------------------

    def new_order(self, agent_id: str | None = None, symbol: str | None = None) -> TradeTicket:
        row = self.window.selected_position()
        ticket = TradeTicket(self.bridge, agent_id or (row.agent_id if row else None),
                             symbol or (row.symbol if row else None), self.window)
        ticket.finished_order.connect(self._on_action_done)
        ticket.finished.connect(lambda _r: self.tickets.remove(ticket)
                                if ticket in self.tickets else None)
        self.tickets.append(ticket)
        ticket.show()
        return ticket

    def open_settings(self) -> SettingsDialog:
        dialog = SettingsDialog(self.store, self.secrets, self._local_token,
                                self.rotate_local_token, self.window,
                                token_changed=self.platform_token_changed)
        dialog.show()
        dialog.raise_()
        return dialog

    def rotate_local_token(self) -> str:
        token = self._rotate_token()
        self.runtime.set_token(token)
        self.log_model.add("warning", "", "Local token rotated: install the EA again in each "
                           "terminal before it reconnects.")
        return token

    def open_terminals(self) -> None:
        self.window.bring_forward()
        self.window.tabs.setCurrentWidget(self.terminals)
        if not self.terminals.model.rows:
            self.terminals.start(self.terminals.refresh())

    def open_log_folder(self) -> None:
        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def about_text(self) -> str:
        return (f"<b>MT4 Companion {__version__}</b><br>Keeps your MetaTrader 4 terminals "
                f"connected to your trading platform.<br><br>"
                f"Log file: {self.log_file or log_dir()}<br>Data folder: {data_dir()}<br>"
                f"Settings: {config_dir()}<br>Local gateway: ws://127.0.0.1:{self.runtime.port}")

    def about(self) -> None:
        QMessageBox.about(self.window, "About MT4 Companion", self.about_text())

    # -- settings ----------------------------------------------------------------------

    def _on_settings(self, settings: Settings, changed: frozenset[str]) -> None:
        self.notifier.enabled = settings.notifications
        if "start_with_os" in changed:
            try:
                self._status(set_autostart(settings.start_with_os))
            except OSError as exc:
                self._status(f"Could not change start-up: {exc}")
        if "sync_paused" in changed and self.tray.pause_action.isChecked() != settings.sync_paused:
            self.tray.pause_action.setChecked(settings.sync_paused)
        if changed & LINK_FIELDS:
            self._spawn(self.link.apply(settings, self.secrets.get()))
        if "local_port" in changed:
            self.log_model.add("info", "", f"Local port {settings.local_port} applies after a "
                               "restart of the app.")
        self._update_tray()

    def platform_token_changed(self) -> None:
        self._spawn(self.link.apply(self.store.settings, self.secrets.get()))

    async def start_link(self) -> None:
        await self.link.apply(self.store.settings, self.secrets.get())

    async def shutdown(self) -> None:
        for ticket in list(self.tickets):
            ticket.close()
        self.bridge.detach()
        self.tray.hide()
        await self.link.stop()
        for task in list(self._tasks) + list(self.actions.tasks):
            task.cancel()
