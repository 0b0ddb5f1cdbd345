"""Small dialogs of the positions manager: new S/L and T/P, how much to close."""

from __future__ import annotations

from .formatting import lots as fmt_lots
from .formatting import order_type
from .qt import QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QLabel, QWidget


class ModifyDialog(QDialog):
    """S/L and T/P (and the entry price of a pending order); 0 removes a level."""

    def __init__(self, title: str, digits: int, stop_loss: float, take_profit: float,
                 price: float | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        step = 10.0 ** -digits * 10
        self.price: QDoubleSpinBox | None = None
        form = QFormLayout(self)
        if price is not None:
            self.price = QDoubleSpinBox(decimals=digits, maximum=1e7, singleStep=step)
            self.price.setValue(price)
            form.addRow("Entry price", self.price)
        self.stop_loss = QDoubleSpinBox(decimals=digits, maximum=1e7, singleStep=step)
        self.stop_loss.setSpecialValueText("none")
        self.stop_loss.setValue(stop_loss)
        self.take_profit = QDoubleSpinBox(decimals=digits, maximum=1e7, singleStep=step)
        self.take_profit.setSpecialValueText("none")
        self.take_profit.setValue(take_profit)
        form.addRow("Stop loss", self.stop_loss)
        form.addRow("Take profit", self.take_profit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> tuple[float, float, float | None]:
        price = self.price.value() if self.price is not None else None
        return self.stop_loss.value(), self.take_profit.value(), price


class PartialCloseDialog(QDialog):
    def __init__(self, ticket: int, symbol: str, side: str, lots: float, min_lot: float,
                 lot_step: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Close part of #{ticket}")
        form = QFormLayout(self)
        form.addRow(QLabel(f"{order_type(side)} {fmt_lots(lots)} {symbol}: how much to close?"))
        self.lots = QDoubleSpinBox(decimals=2, singleStep=lot_step)
        self.lots.setRange(min_lot, max(min_lot, lots - min_lot))
        self.lots.setValue(max(min_lot, round(lots / 2 / lot_step) * lot_step))
        form.addRow("Lots to close", self.lots)
        form.addRow(QLabel("The rest stays open under a new ticket (MT4 rule)."))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
