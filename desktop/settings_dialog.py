"""Settings: local gateway, platform sign-in, risk guard, start-up and notifications.

Values go to SettingsStore (which tells the app what changed, so most apply at once); the
platform token goes to SecretStore and is never shown back in full.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .qt import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QGuiApplication,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from .secret_store import SecretStore
from .settings_store import SettingsStore

LINK_FIELDS = frozenset({"platform_url", "platform_enabled", "sync_paused"})
"""Changes that restart the platform link."""
LIVE_LINK_FIELDS = frozenset({"remote_trading", "max_lots", "allowed_symbols",
                              "confirm_web_trades"})
"""Changes the running link takes on at once (no reconnect)."""


def masked(token: str) -> str:
    return token[:4] + "\u2022" * 12 + token[-4:] if len(token) > 12 else "\u2022" * 8


class SettingsDialog(QDialog):
    def __init__(self, store: SettingsStore, secrets: SecretStore, local_token: Callable[[], str],
                 rotate_token: Callable[[], str], parent: QWidget | None = None,
                 token_changed: Callable[[], None] | None = None,
                 open_link: Callable[[], object] | None = None) -> None:
        super().__init__(parent)
        self._token_changed = token_changed
        self.setWindowTitle("MT4 Companion settings")
        self.store, self.secrets = store, secrets
        self._local_token, self._rotate = local_token, rotate_token
        s = store.settings

        local = QGroupBox("Local gateway (MT4 terminals connect here)")
        lf = QFormLayout(local)
        self.port = QSpinBox(minimum=1, maximum=65535, value=s.local_port)
        lf.addRow("Port", self.port)
        lf.addRow("", QLabel("A new port applies after a restart; re-install the EA afterwards."))
        self.token_label = QLabel(masked(local_token()))
        copy = QPushButton("Copy")
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self._local_token()))
        rotate = QPushButton("Rotate...")
        rotate.clicked.connect(self._on_rotate)
        row = QHBoxLayout()
        row.addWidget(self.token_label, 1)
        row.addWidget(copy)
        row.addWidget(rotate)
        lf.addRow("Local token", row)

        platform = QGroupBox("Web platform")
        pf = QFormLayout(platform)
        self.platform_enabled = QCheckBox("Keep my platform account in sync")
        self.platform_enabled.setChecked(s.platform_enabled)
        self.platform_url = QLineEdit(s.platform_url, placeholderText="wss://platform.example/mt4")
        self.platform_token = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.platform_token.setPlaceholderText(
            "stored - type to replace" if secrets.get() else "paste your sign-in token")
        self.remember_file = QCheckBox("Remember in a private file (no credential store found)")
        self.remember_file.setVisible(secrets.kind != "keyring")
        self.remember_file.setChecked(secrets.kind == "file")
        self.token_where = QLabel(secrets.describe())
        self.token_where.setWordWrap(True)
        self.token_where.setStyleSheet("color: gray")
        forget = QPushButton("Sign out")
        forget.clicked.connect(self._forget)
        trow = QHBoxLayout()
        trow.addWidget(self.platform_token, 1)
        trow.addWidget(forget)
        self.link_button = QPushButton("Link to platform...")
        self.link_button.setToolTip("Link with the one-time code from the platform's "
                                    "'Link a terminal' page")
        self.link_button.setEnabled(open_link is not None)
        if open_link is not None:
            self.link_button.clicked.connect(lambda _c=False: open_link())
        pf.addRow(self.link_button)
        pf.addRow(self.platform_enabled)
        pf.addRow("Link address", self.platform_url)
        pf.addRow("Token (scripts)", trow)
        pf.addRow("", self.remember_file)
        pf.addRow("", self.token_where)

        risk = QGroupBox("Risk guard (what the platform may do)")
        rf = QFormLayout(risk)
        self.remote_trading = QCheckBox("Allow trading from the web")
        self.remote_trading.setChecked(s.remote_trading)
        self.max_lots = QDoubleSpinBox(decimals=2, maximum=100_000, singleStep=0.1)
        self.max_lots.setSpecialValueText("no limit")
        self.max_lots.setValue(s.max_lots)
        self.allowed = QLineEdit(s.allowed_symbols, placeholderText="any symbol, or EURUSD,XAUUSD")
        self.confirm_web_trades = QCheckBox(
            "Confirm trades from the web (each one waits for my click until it expires)")
        self.confirm_web_trades.setChecked(s.confirm_web_trades)
        rf.addRow(self.remote_trading)
        rf.addRow(self.confirm_web_trades)
        rf.addRow("Max lots per order", self.max_lots)
        rf.addRow("Allowed symbols", self.allowed)

        app = QGroupBox("This app")
        af = QFormLayout(app)
        self.start_with_os = QCheckBox("Start when I log in")
        self.start_with_os.setChecked(s.start_with_os)
        self.start_minimized = QCheckBox("Start minimised to the tray")
        self.start_minimized.setChecked(s.start_minimized)
        self.notifications = QCheckBox("Show notifications (fills, closes, errors, lost links)")
        self.notifications.setChecked(s.notifications)
        for box in (self.start_with_os, self.start_minimized, self.notifications):
            af.addRow(box)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Apply
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._ok)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Apply).clicked.connect(self.apply)
        layout = QVBoxLayout(self)
        for group in (local, platform, risk, app):
            layout.addWidget(group)
        layout.addWidget(buttons)

    def values(self) -> dict[str, Any]:
        return {
            "local_port": self.port.value(),
            "platform_enabled": self.platform_enabled.isChecked(),
            "platform_url": self.platform_url.text().strip(),
            "remote_trading": self.remote_trading.isChecked(),
            "confirm_web_trades": self.confirm_web_trades.isChecked(),
            "max_lots": self.max_lots.value(),
            "allowed_symbols": ",".join(
                s.strip().upper() for s in self.allowed.text().split(",") if s.strip()),
            "start_with_os": self.start_with_os.isChecked(),
            "start_minimized": self.start_minimized.isChecked(),
            "notifications": self.notifications.isChecked(),
        }

    def apply(self) -> None:
        token = self.platform_token.text().strip()
        if token:
            self.secrets.set(token, remember_in_file=self.remember_file.isChecked())
            self.platform_token.clear()
            self.platform_token.setPlaceholderText("stored - type to replace")
            self.token_where.setText(self.secrets.describe())
        changed = self.store.update(**self.values())
        # A new token alone changes no setting, but the link must sign in again with it.
        if token and self._token_changed is not None and not changed & LINK_FIELDS:
            self._token_changed()

    def _ok(self) -> None:
        self.apply()
        self.accept()

    def _forget(self) -> None:
        self.secrets.clear()
        self.platform_token.clear()
        self.platform_token.setPlaceholderText("paste your sign-in token")
        self.token_where.setText(self.secrets.describe())
        if self._token_changed is not None:
            self._token_changed()

    def _on_rotate(self) -> None:
        answer = QMessageBox.question(
            self, "Rotate the local token",
            "Make a new local token? Connected terminals stay connected, but each EA needs the "
            "new token (Install EA again) before its next reconnect.")
        if answer == QMessageBox.StandardButton.Yes:
            self.token_label.setText(masked(self._rotate()))
