"""The trade ticket: pick account and symbol, see the live bid/ask, send one order and
watch it through to the result (or the MT4 error in words). One order in flight at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from pydantic import ValidationError

from gateway_core.protocol import (
    PENDING_TYPES,
    ExecuteTrade,
    ExecuteTradeData,
    Quote,
    Reply,
    SymbolInfoData,
)
from gateway_core.trading import distance_to_price, stops_problem, volume_problem

from . import formatting as fmt
from .event_text import describe_reply
from .gateway_bridge import GatewayBridge, new_request_id
from .qt import (
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFont,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)

log = logging.getLogger(__name__)

ORDER_TYPES = ["buy", "sell", "buy_limit", "sell_limit", "buy_stop", "sell_stop"]


def step_decimals(step: float) -> int:
    text = f"{step:.8f}".rstrip("0")
    return max(0, len(text.split(".")[1]) if "." in text else 0)


class TradeTicket(QDialog):
    finished_order = Signal(str, object)  # agent_id, Reply
    sent_order = Signal(str, object)  # agent_id, ExecuteTrade

    def __init__(self, bridge: GatewayBridge, agent_id: str | None = None,
                 symbol: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New order")
        self.bridge = bridge
        self.bid: float | None = None
        self.ask: float | None = None
        self._subscribed: tuple[str, str] | None = None
        self.in_flight: asyncio.Task[Reply] | None = None
        self.last_reply: Reply | None = None

        self.account = QComboBox()
        self.symbol = QComboBox()
        self.bid_label = QLabel("-")
        self.ask_label = QLabel("-")
        big = QFont(self.font())
        big.setPointSizeF(big.pointSizeF() * 1.8)
        big.setBold(True)
        for lab, colour in ((self.bid_label, "#cf222e"), (self.ask_label, "#0969da")):
            lab.setFont(big)
            lab.setAlignment(Qt.AlignmentFlag.AlignCenter)
            lab.setStyleSheet(f"color: {colour}")
        self.order_type = QComboBox()
        for t in ORDER_TYPES:
            self.order_type.addItem(fmt.order_type(t), t)
        self.price = QDoubleSpinBox(decimals=5, maximum=1e7)
        self.lots = QDoubleSpinBox(decimals=2, minimum=0.0, maximum=100_000.0, singleStep=0.01)
        self.lots.setValue(0.10)
        self.lots_hint = QLabel()
        self.lots_hint.setStyleSheet("color: gray")
        self.stops_mode = QComboBox()
        self.stops_mode.addItem("as price", "price")
        self.stops_mode.addItem("as distance (points)", "points")
        self.stop_loss = QDoubleSpinBox(decimals=5, maximum=1e7)
        self.stop_loss.setSpecialValueText("none")
        self.take_profit = QDoubleSpinBox(decimals=5, maximum=1e7)
        self.take_profit.setSpecialValueText("none")
        self.comment = QLineEdit(maxLength=31, placeholderText="optional, up to 31 characters")
        self.status = QLabel("Ready.")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.submit = QPushButton("Buy")
        self.submit.setDefault(True)
        self.submit.setMinimumHeight(34)
        close = QPushButton("Close")
        close.clicked.connect(self.close)

        quotes = QGridLayout()
        for col, (title, lab) in enumerate((("Bid", self.bid_label), ("Ask", self.ask_label))):
            head = QLabel(title)
            head.setAlignment(Qt.AlignmentFlag.AlignCenter)
            quotes.addWidget(head, 0, col)
            quotes.addWidget(lab, 1, col)
        form = QFormLayout()
        form.addRow("Account", self.account)
        form.addRow("Symbol", self.symbol)
        form.addRow(quotes)
        form.addRow("Order type", self.order_type)
        form.addRow("Entry price", self.price)
        lots_row = QHBoxLayout()
        lots_row.addWidget(self.lots)
        lots_row.addWidget(self.lots_hint, 1)
        form.addRow("Volume (lots)", lots_row)
        form.addRow("Stops", self.stops_mode)
        form.addRow("Stop loss", self.stop_loss)
        form.addRow("Take profit", self.take_profit)
        form.addRow("Comment", self.comment)
        buttons = QHBoxLayout()
        buttons.addWidget(self.submit, 1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addLayout(buttons)

        self.account.currentIndexChanged.connect(self._account_changed)
        self.symbol.currentIndexChanged.connect(self._symbol_changed)
        self.order_type.currentIndexChanged.connect(self._type_changed)
        self.stops_mode.currentIndexChanged.connect(self._stops_mode_changed)
        self.submit.clicked.connect(self.send)
        bridge.gateway_event.connect(self._on_event)
        self._fill_accounts(agent_id)
        if symbol:
            i = self.symbol.findText(symbol)
            if i >= 0:
                self.symbol.setCurrentIndex(i)
        self._type_changed()

    # -- choices -----------------------------------------------------------------------

    @property
    def agent_id(self) -> str:
        return str(self.account.currentData() or "")

    @property
    def symbol_name(self) -> str:
        return self.symbol.currentText()

    @property
    def type_name(self) -> str:
        return str(self.order_type.currentData())

    def symbol_info(self) -> SymbolInfoData | None:
        agent = self.bridge.agent(self.agent_id)
        return agent.symbols.get(self.symbol_name) if agent else None

    def _fill_accounts(self, preferred: str | None) -> None:
        self.account.blockSignals(True)
        self.account.clear()
        for agent in self.bridge.agents():
            if agent.status == "disconnected":
                continue
            login = f" ({agent.hello.account_login})" if agent.hello else ""
            self.account.addItem(f"{agent.agent_id}{login}", agent.agent_id)
        if preferred:
            i = self.account.findData(preferred)
            if i >= 0:
                self.account.setCurrentIndex(i)
        self.account.blockSignals(False)
        self._account_changed()

    def _account_changed(self) -> None:
        agent = self.bridge.agent(self.agent_id)
        current = self.symbol_name
        self.symbol.blockSignals(True)
        self.symbol.clear()
        if agent is not None:
            self.symbol.addItems(sorted(agent.symbols))
        i = self.symbol.findText(current)
        self.symbol.setCurrentIndex(max(i, 0))
        self.symbol.blockSignals(False)
        self._symbol_changed()

    def _symbol_changed(self) -> None:
        self._resubscribe()
        self.bid = self.ask = None
        agent = self.bridge.agent(self.agent_id)
        quote = agent.quotes.get(self.symbol_name) if agent else None
        if quote is not None:
            self.bid, self.ask = quote.bid, quote.ask
        self._show_quote()
        info = self.symbol_info()
        if info is not None:
            for spin in (self.price, self.stop_loss, self.take_profit):
                spin.setDecimals(info.digits)
                spin.setSingleStep(info.point * 10)
            self.lots.setDecimals(step_decimals(info.lot_step))
            self.lots.setSingleStep(info.lot_step)
            self.lots.setRange(0.0, info.max_lot)
            stops = f", stops at least {info.stops_level} points away" if info.stops_level else ""
            self.lots_hint.setText(f"{fmt.lots(info.min_lot)} to {fmt.lots(info.max_lot)}, "
                                   f"step {info.lot_step:g}{stops}")
            if not info.trade_allowed:
                self.status.setText(f"Trading {info.symbol} is not allowed on this account.")
        else:
            self.lots_hint.setText("")
        self._stops_mode_changed()
        self._type_changed()

    def _type_changed(self) -> None:
        pending = self.type_name in PENDING_TYPES
        self.price.setEnabled(pending)
        if pending and self.price.value() == 0:
            ref = self.ask if self.type_name.startswith("buy") else self.bid
            if ref is not None:
                self.price.setValue(ref)
        words = {"buy": "Buy", "sell": "Sell"}
        self.submit.setText(words.get(self.type_name, f"Place {fmt.order_type(self.type_name)}"))

    def _stops_mode_changed(self) -> None:
        info = self.symbol_info()
        in_points = self.stops_mode.currentData() == "points"
        for spin in (self.stop_loss, self.take_profit):
            spin.setValue(0)
            if in_points:
                spin.setDecimals(0)
                spin.setSingleStep(10)
            else:
                spin.setDecimals(info.digits if info else 5)
                spin.setSingleStep(info.point * 10 if info else 0.0001)

    def _resubscribe(self) -> None:
        wanted = (self.agent_id, self.symbol_name) if self.agent_id and self.symbol_name else None
        if wanted == self._subscribed:
            return
        if self._subscribed is not None:
            self.bridge.unsubscribe(*self._subscribed)
        self._subscribed = wanted
        if wanted is not None:
            self.bridge.subscribe(*wanted)

    def _on_event(self, agent_id: str, event: object) -> None:
        if (isinstance(event, Quote) and agent_id == self.agent_id
                and event.data.symbol == self.symbol_name):
            self.bid, self.ask = event.data.bid, event.data.ask
            self._show_quote()

    def _show_quote(self) -> None:
        info = self.symbol_info()
        digits = info.digits if info else 5
        self.bid_label.setText(fmt.price(self.bid, digits) or "-")
        self.ask_label.setText(fmt.price(self.ask, digits) or "-")

    # -- sending -------------------------------------------------------------------------

    def build_command(self) -> ExecuteTrade | str:
        """The command the form describes, or what is wrong with the form in words."""
        if not self.agent_id:
            return "No terminal is connected."
        if not self.symbol_name:
            return "This terminal has not reported its symbols yet."
        info = self.symbol_info()
        problem = volume_problem(info, self.lots.value())
        if problem:
            return problem
        otype = self.type_name
        is_buy = otype.startswith("buy")
        pending = otype in PENDING_TYPES
        if pending:
            entry: float | None = self.price.value()
            if not entry:
                return "A pending order needs an entry price."
        else:
            entry = self.ask if is_buy else self.bid
        sl, tp = self.stop_loss.value(), self.take_profit.value()
        if self.stops_mode.currentData() == "points" and (sl or tp):
            if entry is None or info is None:
                return "Waiting for a price to turn the distances into prices."
            sl = distance_to_price(is_buy=is_buy, entry=entry, points=sl, point=info.point,
                                   digits=info.digits, is_stop_loss=True)
            tp = distance_to_price(is_buy=is_buy, entry=entry, points=tp, point=info.point,
                                   digits=info.digits, is_stop_loss=False)
        if info is not None and (sl or tp):
            # A market position closes at the opposite price; a pending order's stops are
            # measured from its entry.
            reference = entry if pending else (self.bid if is_buy else self.ask)
            if reference:
                problem = stops_problem(info, is_buy=is_buy, reference=reference,
                                        stop_loss=sl, take_profit=tp)
                if problem:
                    return problem
        try:
            return ExecuteTrade(
                command="execute_trade",
                request_id=new_request_id("ticket"),
                data=ExecuteTradeData(
                    symbol=self.symbol_name,
                    type=otype,
                    lots=self.lots.value(),
                    price=entry if pending else None,
                    stop_loss=sl,
                    take_profit=tp,
                    comment=self.comment.text(),
                ),
            )
        except ValidationError as exc:
            return "; ".join(e["msg"] for e in exc.errors())

    def send(self) -> asyncio.Task[Reply] | None:
        if self.in_flight is not None and not self.in_flight.done():
            return None  # no double submit: the button is disabled too
        command = self.build_command()
        if isinstance(command, str):
            self.status.setText(f"<b>Not sent:</b> {command}")
            return None
        d = command.data
        at = f" at {d.price:g}" if d.price else ""
        self.status.setText(
            f"Sending {fmt.order_type(d.type)} {fmt.lots(d.lots)} {d.symbol}{at} "
            f"to {self.agent_id}... (request {command.request_id})"
        )
        self.submit.setEnabled(False)
        agent_id = self.agent_id
        self.sent_order.emit(agent_id, command)
        self.in_flight = asyncio.ensure_future(self.bridge.execute(agent_id, command))
        self.in_flight.add_done_callback(lambda t: self._done(agent_id, t))
        return self.in_flight

    def _done(self, agent_id: str, task: asyncio.Task[Reply]) -> None:
        self.submit.setEnabled(True)
        if task.cancelled():
            self.status.setText("Cancelled: the app is shutting down.")
            return
        exc = task.exception()
        if exc is not None:
            log.error("order failed", exc_info=exc)
            self.status.setText(f"<b>Failed:</b> {exc}")
            return
        reply = task.result()
        self.last_reply = reply
        _level, text = describe_reply(reply)
        colour = "#1a7f37" if reply.success else "#cf222e"
        self.status.setText(f'<span style="color:{colour}"><b>{text}</b></span>')
        self.finished_order.emit(agent_id, reply)

    def closeEvent(self, event: object) -> None:
        if self._subscribed is not None:
            self.bridge.unsubscribe(*self._subscribed)
            self._subscribed = None
        with contextlib.suppress(RuntimeError, TypeError):
            self.bridge.gateway_event.disconnect(self._on_event)
        super().closeEvent(event)  # type: ignore[arg-type]
