"""Wires the running gateway to the views: gateway signals into models, the log, the tray
and notifications; menu and tray actions into gateway calls and settings."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gateway_core import __version__
from gateway_core.forwarder.desk_confirmation import Key, TradeToConfirm
from gateway_core.forwarder.pairing import Pairing
from gateway_core.paths import config_dir, data_dir, log_dir
from gateway_core.protocol import (
    AccountUpdate,
    AgentStatusNotice,
    Command,
    CommandResult,
    Reply,
    Snapshot,
)

from .agents_model import AgentsModel
from .autostart import set_autostart
from .equity_curve import EquityHistory
from .event_log import EventLogModel
from .event_text import (
    describe_event,
    describe_notice,
    describe_platform_trade,
    describe_reply,
)
from .gateway_bridge import GatewayBridge
from .link_dialog import LinkDialog
from .main_window import MainWindow
from .notifications import Notifier
from .pending_model import PendingModel
from .platform_link import PlatformLink
from .positions_actions import PositionActions
from .positions_model import PositionsModel
from .qt import QDesktopServices, QMessageBox, QObject, Qt, QUrl, Signal
from .runtime import Runtime
from .secret_store import SecretStore
from .settings_dialog import LINK_FIELDS, LIVE_LINK_FIELDS, SettingsDialog
from .settings_store import Settings, SettingsStore
from .terminals_page import TerminalsPage
from .trade_confirm_dialog import TradeConfirmDialog
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
        self.confirm_dialogs: dict[Key, TradeConfirmDialog] = {}
        self.open_url: Callable[[QUrl], object] = QDesktopServices.openUrl
        self._link_state: str | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.link.add_command_listener(self._on_platform_command)
        self.link.confirmation.add_listener(self._on_desk_question)
        self._build_menus()
        self._connect()
        for agent in self.bridge.agents():
            self.agents.track(agent)
            self.positions.load_agent(agent)
            self.pending.load_agent(agent)
        self.tray.pause_action.setChecked(store.settings.sync_paused)
        self.tray.remote_trading_action.setChecked(store.settings.remote_trading)
        self.tray.set_linked(self.linked)
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
        self.window.connection_page.clear_outbox_button.clicked.connect(
            lambda _c=False: self.clear_outbox())
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
        t.remote_trading_toggled.connect(lambda on: self.store.update(remote_trading=on))
        t.new_order_requested.connect(lambda: self.new_order())
        t.close_all_requested.connect(self.close_all_from_tray)
        t.web_panel_requested.connect(self.open_web_panel)
        t.link_requested.connect(self.open_link_dialog)
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

    def _on_platform_command(self, agent_id: str, command: Command, reply: Reply) -> None:
        symbol = getattr(getattr(command, "data", None), "symbol", None)
        level, text = describe_platform_trade(
            agent_id, command, reply, self.positions.digits(agent_id, symbol or ""))
        self.log_model.add(level, agent_id, text)
        self.notifier.notify("MT4 Companion", text, level)

    def _on_desk_question(self, item: TradeToConfirm) -> None:
        if item.decision != "waiting":
            dialog = self.confirm_dialogs.pop(item.key, None)
            if dialog is not None:
                dialog.decided_elsewhere()
            if item.decision == "timed_out":
                self.log_model.add("warning", item.agent_id,
                                   f"From the web: {item.what} - not confirmed in time")
            return
        agent = self.bridge.agent(item.agent_id)
        account = (f"{item.agent_id} ({agent.hello.account_login})"
                   if agent is not None and agent.hello else item.agent_id)
        confirmation = self.link.confirmation
        dialog = TradeConfirmDialog(item, account,
                                    lambda ok: confirmation.decide(item.key, ok))
        dialog.finished.connect(lambda _r: self.confirm_dialogs.pop(item.key, None))
        self.confirm_dialogs[item.key] = dialog
        waiting = f"From the web: {item.what} on {item.agent_id} - waiting for your confirmation"
        self.log_model.add("info", item.agent_id, waiting)
        self.notifier.notify("MT4 Companion", waiting, "warning")
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()

    def _on_action_done(self, agent_id: str, reply: Reply) -> None:
        self._status(f"{agent_id}: {describe_reply(reply)[1]}")

    def _on_second(self) -> None:
        self.agents.refresh_ages()
        self.window.equity.update()
        link = self.bridge.backend()
        state = str(link.get("state")) if link else None
        if state != self._link_state:
            self._link_state = state
            if state == "revoked":
                text = "Platform link revoked by the platform, link again (Settings)."
                self.log_model.add("error", "", text)
                self.notifier.notify("MT4 Companion", text, "error")
        self.window.connection_page.show_link(link, bool(self.store.settings.platform_url))
        self.window.connection_page.linked_label.setText(self.linked_text())
        if link is None and self.link.problem and self.store.settings.platform_enabled:
            self.window.connection_page.link_labels["detail"].setText(self.link.problem)
        self._update_tray(link)
        up = sum(1 for a in self.bridge.agents() if a.status == "connected")
        self.window.status_label.setText(
            f"gateway ws://127.0.0.1:{self.runtime.port}  |  {up} terminal(s) connected  |  "
            f"platform: {link.get('state') if link else 'off'}")

    def linked_text(self) -> str:
        s = self.store.settings
        if not self.linked:
            if s.platform_enabled and s.platform_url:
                return "Not linked with a code: using a pasted token (Settings)"
            return "Not linked"
        return f"Linked to {s.platform_user or 'your account'} at {s.platform_web_url}"

    @property
    def linked(self) -> bool:
        s = self.store.settings
        return bool(s.platform_enabled and s.platform_url and s.platform_web_url)

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

    def close_all_from_tray(self, agent_id: str) -> asyncio.Task[Reply] | None:
        """Tray -> Close all positions -> account: asks with the list, then closes."""
        return self.actions.ask_close_all(agent_id, None)

    def clear_outbox(self) -> int:
        """The trader discards what the platform never received (after a revoke)."""
        try:
            waiting = self.link.outbox_depth()
            if not waiting:
                self.actions.inform("Discard waiting events", "No events are waiting.")
                return 0
            if not self.actions.confirm(
                    "Discard waiting events",
                    f"Discard {waiting} events the platform has not received? They are "
                    "kept until this app is linked again; discarded ones are gone for good "
                    "(the platform still gets a fresh snapshot of every account)."):
                return 0
            discarded = self.link.clear_outbox()
        except (RuntimeError, OSError) as exc:
            self.actions.inform("Discard waiting events", f"Not discarded: {exc}")
            return 0
        self.log_model.add("warning", "", f"Discarded {discarded} events the platform had "
                           "not received.")
        return discarded

    def open_web_panel(self) -> bool:
        url = self.store.settings.platform_web_url
        if not url:
            return False
        self.open_url(QUrl(url))
        return True

    def open_link_dialog(self) -> LinkDialog:
        s = self.store.settings
        dialog = LinkDialog(s.platform_web_url, self.linked_text() + ".",
                            self.secrets.describe(), self.apply_pairing,
                            self.unlink, self.linked, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.show()
        dialog.raise_()
        return dialog

    def apply_pairing(self, pairing: Pairing) -> str:
        """Linked: keep the gateway token in the keyring, remember the platform, forward."""
        stored_in = self.secrets.set(pairing.gateway_token)
        changed = self.store.update(platform_url=pairing.link_url, platform_enabled=True,
                                    platform_web_url=pairing.platform_url,
                                    platform_user=pairing.user_id, sync_paused=False)
        if not changed & LINK_FIELDS:
            self.platform_token_changed()  # same address, new token: sign in again
        text = f"Linked to {pairing.user_id} at {pairing.platform_url}"
        self.log_model.add("info", "", text + ".")
        if stored_in == "memory":
            return (text + ". No credential store was found: the link lasts until the app "
                    "closes (Settings can keep it in a private file).")
        return text + "."

    def unlink(self) -> None:
        self.secrets.clear()
        self.store.update(platform_enabled=False, platform_user="")
        self.log_model.add("info", "", "Unlinked from the platform (revoke this gateway in "
                           "the web panel to stop its token too).")

    def open_settings(self) -> SettingsDialog:
        dialog = SettingsDialog(self.store, self.secrets, self._local_token,
                                self.rotate_local_token, self.window,
                                token_changed=self.platform_token_changed,
                                open_link=self.open_link_dialog)
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
        if self.tray.remote_trading_action.isChecked() != settings.remote_trading:
            self.tray.remote_trading_action.setChecked(settings.remote_trading)
        self.tray.set_linked(self.linked)
        if changed & LINK_FIELDS:
            self._spawn(self.link.apply(settings, self.secrets.get()))
        elif changed & LIVE_LINK_FIELDS:
            self.link.apply_live(settings)
            if "remote_trading" in changed:
                self.log_model.add("info", "", "Trading from the web is now "
                                   + ("allowed." if settings.remote_trading else "off."))
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
        for dialog in list(self.confirm_dialogs.values()):
            dialog.decided_elsewhere()
        self.bridge.detach()
        self.tray.hide()
        await self.link.stop()
        for task in list(self._tasks) + list(self.actions.tasks):
            task.cancel()
