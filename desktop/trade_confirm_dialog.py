"""The dialog that asks the trader to confirm a trade the web platform sent, with the time
left before the command expires. Thin: the decision goes to DeskConfirmation
(gateway_core), which also closes the dialog when the time is up."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from gateway_core.forwarder.desk_confirmation import TradeToConfirm

from .qt import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QShowEvent,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
)

Now = Callable[[], datetime]


class TradeConfirmDialog(QDialog):
    def __init__(self, item: TradeToConfirm, account: str, decide: Callable[[bool], object],
                 parent: QWidget | None = None, now: Now = lambda: datetime.now(UTC)) -> None:
        super().__init__(parent)
        self.item = item
        self._decide = decide
        self._now = now
        self._answered = False
        self.setWindowTitle("Trade from the web - confirm?")
        self.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint, True)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        title = QLabel("The web platform asks for this trade:")
        self.order = QLabel(f"{item.what}\non {account}")
        self.order.setTextFormat(Qt.TextFormat.PlainText)  # platform text is never markup
        font = self.order.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.order.setFont(font)
        self.request = QLabel(f"request {item.command.request_id}")
        self.request.setTextFormat(Qt.TextFormat.PlainText)
        self.request.setStyleSheet("color: gray")
        self.countdown = QLabel()
        buttons = QDialogButtonBox()
        self.confirm_button = buttons.addButton("Confirm", QDialogButtonBox.ButtonRole.AcceptRole)
        self.reject_button = buttons.addButton("Reject", QDialogButtonBox.ButtonRole.RejectRole)
        # Enter must never place a trade by accident: Reject is the default, and Confirm
        # does not become it when focused (QDialog's auto-default).
        self.confirm_button.setAutoDefault(False)
        self.reject_button.setDefault(True)
        self.confirm_button.clicked.connect(lambda: self._answer(True))
        self.reject_button.clicked.connect(lambda: self._answer(False))
        layout = QVBoxLayout(self)
        for widget in (title, self.order, self.request, self.countdown):
            layout.addWidget(widget)
        layout.addWidget(buttons)
        self._timer = QTimer(self)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self._tick)
        self._timer.start()
        self._tick()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.reject_button.setFocus()

    def seconds_left(self) -> float:
        return max(0.0, (self.item.deadline - self._now()).total_seconds())

    def _tick(self) -> None:
        self.countdown.setText(f"Answer within {self.seconds_left():.0f} s; after that the "
                               "platform is told it was not confirmed in time.")

    def _answer(self, confirmed: bool) -> None:
        self._timer.stop()
        if not self._answered:
            self._answered = True  # one answer per dialog, whatever closes it after
            self._decide(confirmed)
        self.close()

    def reject(self) -> None:
        # Escape or the window's close button: a "no", never a silent wait.
        if self.item.decision == "waiting" and not self._answered:
            self._answer(False)
            return
        super().reject()

    def decided_elsewhere(self) -> None:
        """Timed out (or the link stopped): nothing to answer any more."""
        self._timer.stop()
        self.close()
