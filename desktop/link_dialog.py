"""Settings -> "Link to platform": the platform's address and the one-time code from its
"Link a terminal" page. The exchange itself is gateway_core.forwarder.pairing (run in a
worker thread); what to do with the result (keyring, settings, restart the link) is the
controller's `on_linked`. Thin: this only collects text and shows outcomes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from gateway_core.forwarder.pairing import (
    CODE_LENGTH,
    Pairing,
    PairingError,
    default_gateway_name,
    pair,
)

from .qt import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    Qt,
    QVBoxLayout,
    QWidget,
)

log = logging.getLogger(__name__)

Pair = Callable[[str, str, str], Pairing]
"""(platform URL, code, gateway name) -> Pairing; blocking, raises PairingError."""


def _pair(url: str, code: str, name: str) -> Pairing:
    return pair(url, code, gateway_name=name)


class LinkDialog(QDialog):
    def __init__(self, platform_url: str, linked_text: str, where_token_is: str,
                 on_linked: Callable[[Pairing], str], on_unlink: Callable[[], None],
                 linked: bool, parent: QWidget | None = None, exchange: Pair = _pair) -> None:
        super().__init__(parent)
        self.setWindowTitle("Link to platform")
        self._on_linked = on_linked
        self._on_unlink = on_unlink
        self._exchange = exchange
        self.task: asyncio.Task[Any] | None = None

        intro = QLabel("On your platform, open <b>Link a terminal</b> and make a code. "
                       "Enter the platform's address and that code here: this app then keeps "
                       "your platform account in sync.")
        intro.setWordWrap(True)
        self.url = QLineEdit(platform_url, placeholderText="https://platform.example")
        self.code = QLineEdit(placeholderText=f"{CODE_LENGTH} letters and digits")
        self.code.setMaxLength(CODE_LENGTH + 2)  # room for a dash or space when typed
        self.name = QLineEdit(default_gateway_name())
        self.name.setMaxLength(64)
        form = QFormLayout()
        form.addRow("Platform address", self.url)
        form.addRow("Link code", self.code)
        form.addRow("Name of this computer", self.name)
        self.state = QLabel(linked_text)
        self.state.setTextFormat(Qt.TextFormat.PlainText)  # platform answers are never markup
        self.state.setWordWrap(True)
        self.where = QLabel(f"The link's token is {where_token_is}.")
        self.where.setWordWrap(True)
        self.where.setStyleSheet("color: gray")
        self.link_button = QPushButton("Link")
        self.link_button.setDefault(True)
        self.link_button.clicked.connect(lambda _c=False: self.start_link())
        self.unlink_button = QPushButton("Unlink")
        self.unlink_button.clicked.connect(lambda _c=False: self.unlink())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.link_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.unlink_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        buttons.rejected.connect(self.reject)
        self.unlink_button.setVisible(linked)  # after addButton, which shows it
        self.link_button.setText("Link again" if linked else "Link")
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.state)
        layout.addWidget(self.where)
        layout.addWidget(buttons)
        self.resize(520, self.sizeHint().height())

    def start_link(self) -> asyncio.Task[Any] | None:
        if self.task is not None and not self.task.done():
            return None  # one exchange at a time: a code is single use
        self.task = asyncio.ensure_future(self.link())
        return self.task

    async def link(self) -> Pairing | None:
        url, code, name = self.url.text(), self.code.text(), self.name.text().strip()
        self._busy(True, "Linking...")
        try:
            pairing = await asyncio.to_thread(self._exchange, url, code,
                                              name or default_gateway_name())
        except PairingError as exc:
            self._busy(False, f"Could not link: {exc.message}")
            return None
        except Exception as exc:  # never let a surprise escape a button's task
            log.exception("linking failed")
            self._busy(False, f"Could not link: {exc}")
            return None
        self.code.clear()
        self._busy(False, self._on_linked(pairing))
        self.unlink_button.setVisible(True)
        self.link_button.setText("Link again")
        return pairing

    def unlink(self) -> None:
        self._on_unlink()
        self.unlink_button.setVisible(False)
        self.link_button.setText("Link")
        self.state.setText("Not linked.")

    def _busy(self, busy: bool, text: str) -> None:
        self.link_button.setEnabled(not busy)
        self.state.setText(text)
