"""The positions manager: modify, close fully or partly, close all, delete pending orders.

Every action that moves money asks first. Questions go through `confirm` and the dialogs
through `ask_*`, which tests replace; the commands themselves go to the gateway.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from gateway_core.protocol import (
    CloseAll,
    CloseAllData,
    ClosePosition,
    ClosePositionData,
    DeleteOrder,
    DeleteOrderData,
    ModifyPosition,
    ModifyPositionData,
    Reply,
)

from . import formatting as fmt
from .gateway_bridge import GatewayBridge, new_request_id
from .pending_model import PendingRow
from .position_dialogs import ModifyDialog, PartialCloseDialog
from .positions_model import PositionRow
from .qt import QAction, QDialog, QKeySequence, QMessageBox, QObject, QWidget, Signal

log = logging.getLogger(__name__)

Confirm = Callable[[str, str], bool]
Inform = Callable[[str, str], None]
CLOSE_ALL_LISTED = 20
"""Positions a close-all question lists one by one; the rest are counted."""
Levels = tuple[float, float, float | None]
"""New stop loss, take profit and (pending orders only) entry price."""


class PositionActions(QObject):
    sent = Signal(str, str)  # agent_id, what (in words)
    done = Signal(str, object)  # agent_id, Reply

    def __init__(self, bridge: GatewayBridge, parent_widget: QWidget | None = None) -> None:
        super().__init__(parent_widget)
        self.bridge = bridge
        self.window = parent_widget
        self.selected_position: Callable[[], PositionRow | None] = lambda: None
        self.selected_pending: Callable[[], PendingRow | None] = lambda: None
        self.confirm: Confirm = self._confirm_box
        self.inform: Inform = self._inform_box
        self.ask_modify: Callable[[PositionRow | PendingRow], Levels | None] = self._modify_dialog
        self.ask_partial: Callable[[PositionRow], float | None] = self._partial_dialog
        self.tasks: set[asyncio.Task[Reply]] = set()

        self.modify_action = self._action("Modify S/L, T/P...", self.modify_selected, "Ctrl+M")
        self.close_action = self._action("Close position", self.close_selected, "Ctrl+W")
        self.partial_action = self._action("Close part...", self.close_part_selected)
        self.close_symbol_action = self._action("Close all of this symbol...",
                                                self.close_all_symbol_selected)
        self.close_account_action = self._action("Close all of this account...",
                                                 self.close_all_account_selected)
        self.delete_action = self._action("Delete pending order", self.delete_selected)
        self.modify_pending_action = self._action("Modify pending order...",
                                                  self.modify_pending_selected)

    def _action(self, text: str, slot: Callable[[], Any], shortcut: str | None = None) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def update_enabled(self) -> None:
        pos, pend = self.selected_position() is not None, self.selected_pending() is not None
        for a in (self.modify_action, self.close_action, self.partial_action,
                  self.close_symbol_action, self.close_account_action):
            a.setEnabled(pos)
        self.delete_action.setEnabled(pend)
        self.modify_pending_action.setEnabled(pend)

    # -- commands (no questions asked: callers confirm) ---------------------------------

    def run(self, agent_id: str, command: Any, what: str) -> asyncio.Task[Reply]:
        self.sent.emit(agent_id, what)
        task = asyncio.ensure_future(self.bridge.execute(agent_id, command))
        self.tasks.add(task)
        task.add_done_callback(lambda t: self._finished(agent_id, t))
        return task

    def _finished(self, agent_id: str, task: asyncio.Task[Reply]) -> None:
        self.tasks.discard(task)
        if task.cancelled():
            return
        if task.exception() is not None:
            log.error("command failed", exc_info=task.exception())
            return
        self.done.emit(agent_id, task.result())

    def modify(self, agent_id: str, ticket: int, sl: float, tp: float,
               price: float | None = None) -> asyncio.Task[Reply]:
        cmd = ModifyPosition(command="modify_position", request_id=new_request_id(),
                             data=ModifyPositionData(ticket=ticket, stop_loss=sl, take_profit=tp,
                                                     price=price))
        return self.run(agent_id, cmd, f"Modify #{ticket}")

    def close(self, agent_id: str, ticket: int, lots: float | None = None) -> asyncio.Task[Reply]:
        cmd = ClosePosition(command="close_position", request_id=new_request_id(),
                            data=ClosePositionData(ticket=ticket, lots=lots))
        part = f"{fmt.lots(lots)} lots of " if lots else ""
        return self.run(agent_id, cmd, f"Close {part}#{ticket}")

    def close_all(self, agent_id: str, symbol: str | None = None) -> asyncio.Task[Reply]:
        cmd = CloseAll(command="close_all", request_id=new_request_id(),
                       data=CloseAllData(symbol=symbol))
        return self.run(agent_id, cmd, f"Close all {symbol or 'positions'}")

    def delete(self, agent_id: str, ticket: int) -> asyncio.Task[Reply]:
        cmd = DeleteOrder(command="delete_order", request_id=new_request_id(),
                          data=DeleteOrderData(ticket=ticket))
        return self.run(agent_id, cmd, f"Delete order #{ticket}")

    # -- what the menus and buttons call -------------------------------------------------

    def modify_selected(self) -> asyncio.Task[Reply] | None:
        row = self.selected_position()
        if row is None:
            return None
        values = self.ask_modify(row)
        if values is None:
            return None
        sl, tp, _ = values
        return self.modify(row.agent_id, row.ticket, sl, tp)

    def modify_pending_selected(self) -> asyncio.Task[Reply] | None:
        row = self.selected_pending()
        if row is None:
            return None
        values = self.ask_modify(row)
        if values is None:
            return None
        sl, tp, price = values
        return self.modify(row.agent_id, row.ticket, sl, tp, price)

    def close_selected(self) -> asyncio.Task[Reply] | None:
        row = self.selected_position()
        if row is None:
            return None
        if not self.confirm("Close position", f"Close {_describe(row)} at the market price?\n"
                            f"Floating profit now: {fmt.money(row.profit)}"):
            return None
        return self.close(row.agent_id, row.ticket)

    def close_part_selected(self) -> asyncio.Task[Reply] | None:
        row = self.selected_position()
        if row is None:
            return None
        lots = self.ask_partial(row)
        if lots is None:
            return None
        if not self.confirm("Close part", f"Close {fmt.lots(lots)} lots of {_describe(row)}?"):
            return None
        return self.close(row.agent_id, row.ticket, lots)

    def close_all_symbol_selected(self) -> asyncio.Task[Reply] | None:
        row = self.selected_position()
        if row is None:
            return None
        return self.ask_close_all(row.agent_id, row.symbol)

    def close_all_account_selected(self) -> asyncio.Task[Reply] | None:
        row = self.selected_position()
        if row is None:
            return None
        return self.ask_close_all(row.agent_id, None)

    def ask_close_all(self, agent_id: str, symbol: str | None) -> asyncio.Task[Reply] | None:
        """Asks with the list of what will be closed; nothing to close is said, not sent."""
        agent = self.bridge.agent(agent_id)
        positions = sorted((p for p in (agent.positions.values() if agent else [])
                            if symbol is None or p.symbol == symbol), key=lambda p: p.ticket)
        if not positions:
            self.inform("Close all", f"No open {symbol + ' ' if symbol else ''}positions on "
                        f"{agent_id}: nothing to close.")
            return None
        profit = sum(p.profit or 0.0 for p in positions)
        what = f"all {len(positions)} {symbol} positions" if symbol else (
            f"all {len(positions)} positions")
        lines = [f"  #{p.ticket} {fmt.order_type(p.type)} {fmt.lots(p.lots)} {p.symbol}  "
                 f"{fmt.money(p.profit)}" for p in positions[:CLOSE_ALL_LISTED]]
        if len(positions) > CLOSE_ALL_LISTED:
            lines.append(f"  ...and {len(positions) - CLOSE_ALL_LISTED} more")
        if not self.confirm("Close all", f"Close {what} on {agent_id} at the market price?\n"
                            + "\n".join(lines) + f"\nFloating profit now: {fmt.money(profit)}"):
            return None
        return self.close_all(agent_id, symbol)

    def delete_selected(self) -> asyncio.Task[Reply] | None:
        row = self.selected_pending()
        if row is None:
            return None
        if not self.confirm("Delete order", f"Delete pending order #{row.ticket} "
                            f"{fmt.order_type(row.type)} {fmt.lots(row.lots)} {row.symbol}?"):
            return None
        return self.delete(row.agent_id, row.ticket)

    # -- default questions ---------------------------------------------------------------

    def _confirm_box(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self.window, title, text,
                                      QMessageBox.StandardButton.Yes
                                      | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def _inform_box(self, title: str, text: str) -> None:
        QMessageBox.information(self.window, title, text)

    def _modify_dialog(self, row: PositionRow | PendingRow) -> Levels | None:
        price = row.price if isinstance(row, PendingRow) else None
        dialog = ModifyDialog(f"Modify #{row.ticket} {row.symbol}", row.digits, row.stop_loss,
                              row.take_profit, price, self.window)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.values()

    def _partial_dialog(self, row: PositionRow) -> float | None:
        agent = self.bridge.agent(row.agent_id)
        info = agent.symbols.get(row.symbol) if agent else None
        min_lot, step = (info.min_lot, info.lot_step) if info else (0.01, 0.01)
        if row.lots < 2 * min_lot - 1e-9:
            self.confirm("Close part", f"#{row.ticket} is already the smallest volume "
                         f"({fmt.lots(row.lots)} lots): close it fully instead.")
            return None
        dialog = PartialCloseDialog(row.ticket, row.symbol, row.type, row.lots, min_lot, step,
                                    self.window)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.lots.value()


def _describe(row: PositionRow) -> str:
    return f"#{row.ticket} {fmt.order_type(row.type)} {fmt.lots(row.lots)} {row.symbol}"
