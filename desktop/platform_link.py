"""Starts, stops and re-configures the platform forwarder (gateway_core.forwarder) from the
app's settings. Policy or URL changes restart the link; the durable outbox keeps what was
not yet delivered, and the forwarder sends fresh snapshots after every (re)connect."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Any

from gateway_core.server import Gateway

from .logging_setup import REDACTOR
from .settings_store import Settings

log = logging.getLogger(__name__)


class PlatformLink:
    def __init__(self, gateway: Gateway, outbox_path: Path | None = None) -> None:
        self.gateway = gateway
        self.outbox_path = outbox_path
        self.forwarder: Any = None
        self.problem: str | None = None
        self._conn: Any = None

    @property
    def running(self) -> bool:
        return self.forwarder is not None

    async def apply(self, settings: Settings, token: str | None) -> None:
        """Bring the link in line with the settings: off, or on with this URL and policy."""
        await self.stop()
        self.problem = None
        if settings.sync_paused or not settings.platform_enabled:
            return
        if not settings.platform_url or not token:
            self.problem = "add the platform URL and your sign-in token in Settings"
            return
        REDACTOR.add(token)
        try:
            from gateway_core.forwarder.cli_support import default_outbox_path
            from gateway_core.forwarder.connector import Forwarder
            from gateway_core.forwarder.outbox import Outbox
            from gateway_core.forwarder.reply_journal import ReplyJournal
            from gateway_core.forwarder.risk_guard import RiskPolicy
            from gateway_core.forwarder.sqlite_store import open_store
        except ImportError as exc:
            self.problem = f"this build has no platform link ({exc.name})"
            log.warning("platform link unavailable: %s", exc)
            return
        try:
            policy = RiskPolicy(
                remote_trading=settings.remote_trading,
                max_lots=settings.max_lots or None,
                allowed_symbols=settings.allowed_symbol_set(),
            )
            self._conn = open_store(self.outbox_path or default_outbox_path())
            outbox = Outbox(self._conn)
            self.forwarder = Forwarder(self.gateway, url=settings.platform_url, token=token,
                                       outbox=outbox, journal=ReplyJournal(self._conn),
                                       policy=policy)
            self.forwarder.start()
            log.info("platform link started (%s)", policy.describe())
        except Exception as exc:  # a bad URL or outbox must not take the app down
            log.exception("platform link failed to start")
            self.problem = f"could not start: {exc}"
            self.forwarder = None

    async def stop(self) -> None:
        if self.forwarder is not None:
            try:
                await self.forwarder.stop()
            except Exception:
                log.exception("platform link did not stop cleanly")
            self.forwarder = None
            # The forwarder reported through the gateway; without it there is no link.
            self.gateway.backend_status = None
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None
