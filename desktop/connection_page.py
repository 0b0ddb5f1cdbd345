"""Connection status: every terminal with its state and heartbeat age, and the platform
link (who we are signed in as, its state, events waiting in the outbox)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .agents_model import COLUMNS, STATUS_COLUMNS, AgentsModel
from .qt import (
    QAbstractItemView,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSortFilterProxyModel,
    Qt,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from .table_model import SORT_ROLE

LINK_WORDS = {
    "starting": "starting",
    "connecting": "connecting...",
    "connected": "connected",
    "reconnecting": "reconnecting",
    "auth_failed": "sign-in refused: link again in Settings",
    "revoked": "revoked by the platform, link again (Settings -> Link to platform)",
    "stopped": "stopped",
}


def agents_view(model: AgentsModel, columns: list[int]) -> QTableView:
    proxy = QSortFilterProxyModel(model)
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    view = QTableView()
    view.setModel(proxy)
    view.setSortingEnabled(True)
    view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(22)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.horizontalHeader().setStretchLastSection(True)
    for c in range(len(COLUMNS)):
        view.setColumnHidden(c, c not in columns)
    return view


def describe_link(link: Mapping[str, Any] | None, configured: bool) -> dict[str, str]:
    if link is None:
        state = "not linked: Settings -> Link to platform" if not \
            configured else "not running (this build has no platform link, or it failed to start)"
        return {"state": state, "who": "-", "outbox": "-", "url": "-", "detail": ""}
    state = LINK_WORDS.get(str(link.get("state")), str(link.get("state")))
    if link.get("state") == "reconnecting" and link.get("retry_in_s") is not None:
        state += f" (next try in {link['retry_in_s']:.0f} s)"
    outbox = f"{link.get('outbox_depth', 0)} events waiting"
    if link.get("outbox_full"):
        outbox += " (full: live updates are being dropped)"
    who = link.get("signed_in_as") or "-"
    if link.get("token_expires_soon"):
        who += " (token expires soon)"
    return {"state": state, "who": str(who), "outbox": outbox, "url": str(link.get("url", "")),
            "detail": str(link.get("detail") or "")}


class ConnectionPage(QWidget):
    def __init__(self, agents: AgentsModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = agents_view(agents, STATUS_COLUMNS)
        box = QGroupBox("Web platform")
        form = QFormLayout(box)
        self.linked_label = QLabel("Not linked")
        self.linked_label.setTextFormat(Qt.TextFormat.PlainText)
        form.addRow("Account", self.linked_label)
        self.link_labels = {k: QLabel("-") for k in ("state", "who", "outbox", "url", "detail")}
        for key, title in (("state", "Link"), ("who", "Signed in as"), ("outbox", "Outbox"),
                           ("url", "Platform"), ("detail", "Detail")):
            self.link_labels[key].setWordWrap(True)
            self.link_labels[key].setTextFormat(Qt.TextFormat.PlainText)
            form.addRow(title, self.link_labels[key])
        self.clear_outbox_button = QPushButton("Discard waiting events...")
        self.clear_outbox_button.setToolTip(
            "Events the platform has not received are kept until the app is linked again. "
            "Discard them only if this app will not be linked to that account again.")
        row = QHBoxLayout()
        row.addWidget(self.clear_outbox_button)
        row.addStretch(1)
        form.addRow("", row)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>Terminals</b>"))
        layout.addWidget(self.view, 1)
        layout.addWidget(box)

    def show_link(self, link: Mapping[str, Any] | None, configured: bool) -> None:
        for key, text in describe_link(link, configured).items():
            self.link_labels[key].setText(text)
        # While the link is up the waiting events are being delivered: nothing to discard.
        self.clear_outbox_button.setEnabled(
            link is None or link.get("state") != "connected")
