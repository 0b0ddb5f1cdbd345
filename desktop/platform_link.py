"""Starts, stops and re-configures the platform forwarder (gateway_core.forwarder) from the
app's settings. URL changes restart the link; the risk guard and "confirm trades from the
web" apply live. The durable outbox keeps what was not yet delivered, and the forwarder
sends fresh snapshots after every (re)connect."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from pathlib import Path

from gateway_core.forwarder.cli_support import default_outbox_path
from gateway_core.forwarder.connector import CommandListener, Forwarder
from gateway_core.forwarder.desk_confirmation import DeskConfirmation
from gateway_core.forwarder.outbox import Outbox
from gateway_core.forwarder.reply_journal import ReplyJournal
from gateway_core.forwarder.risk_guard import RiskPolicy
from gateway_core.forwarder.sqlite_store import open_store
from gateway_core.server import Gateway

from .logging_setup import REDACTOR
from .settings_store import Settings

log = logging.getLogger(__name__)


def policy_of(settings: Settings) -> RiskPolicy:
    return RiskPolicy(
        remote_trading=settings.remote_trading,
        max_lots=settings.max_lots or None,
        allowed_symbols=settings.allowed_symbol_set(),
    )


class PlatformLink:
    def __init__(self, gateway: Gateway, outbox_path: Path | None = None) -> None:
        self.gateway = gateway
        self.outbox_path = outbox_path
        self.forwarder: Forwarder | None = None
        self.problem: str | None = None
        self.confirmation = DeskConfirmation()
        """Outlives forwarder restarts, so the desk's dialogs stay attached."""
        self._command_listeners: list[CommandListener] = []
        self._conn: sqlite3.Connection | None = None

    @property
    def running(self) -> bool:
        return self.forwarder is not None

    def add_command_listener(self, listener: CommandListener) -> None:
        """Every platform command answered (by the terminal or refused by the gateway)."""
        self._command_listeners.append(listener)
        if self.forwarder is not None:
            self.forwarder.add_command_listener(listener)

    async def apply(self, settings: Settings, token: str | None) -> None:
        """Bring the link in line with the settings: off, or on with this URL and policy."""
        await self.stop()
        self.problem = None
        self.confirmation.enabled = settings.confirm_web_trades
        if settings.sync_paused or not settings.platform_enabled:
            return
        if not settings.platform_url or not token:
            self.problem = "link this app to your platform account: Settings -> Link to platform"
            return
        REDACTOR.add(token)
        try:
            policy = policy_of(settings)
            self._conn = open_store(self.outbox_path or default_outbox_path())
            outbox = Outbox(self._conn)
            self.forwarder = Forwarder(self.gateway, url=settings.platform_url, token=token,
                                       outbox=outbox, journal=ReplyJournal(self._conn),
                                       policy=policy, confirmation=self.confirmation)
            for listener in self._command_listeners:
                self.forwarder.add_command_listener(listener)
            self.forwarder.start()
            log.info("platform link started (%s)", policy.describe())
        except Exception as exc:  # a bad URL or outbox must not take the app down
            log.exception("platform link failed to start")
            self.problem = f"could not start: {exc}"
            self.forwarder = None

    def apply_live(self, settings: Settings) -> None:
        """Risk guard and desk confirmation: applied to the running link, no reconnect."""
        self.confirmation.enabled = settings.confirm_web_trades
        if self.forwarder is not None:
            self.forwarder.set_policy(policy_of(settings))

    def clear_outbox(self) -> int:
        """Discard what the platform has not stored (the trader's choice after a revoke).
        Works with the link stopped too: the outbox is a file."""
        if self.forwarder is not None:
            return self.forwarder.clear_outbox()
        conn = open_store(self.outbox_path or default_outbox_path())
        try:
            return Outbox(conn).clear()
        finally:
            conn.close()

    def outbox_depth(self) -> int:
        if self.forwarder is not None:
            return self.forwarder.outbox.depth
        path = self.outbox_path or default_outbox_path()
        if not path.exists():
            return 0
        conn = open_store(path)
        try:
            return Outbox(conn).depth
        finally:
            conn.close()

    async def stop(self) -> None:
        if self.forwarder is not None:
            try:
                await self.forwarder.stop()
            except Exception:
                log.exception("platform link did not stop cleanly")
            self.forwarder = None
            # The forwarder reported through the gateway; without it there is no link.
            self.gateway.backend_status = None
        for item in self.confirmation.open_questions():
            self.confirmation.withdraw(item.key)
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None

