"""Hidden `--screenshot DIR`: drives the real app in demo mode and saves pictures of the
main window, the trade ticket and the tray menu for docs/. Not a test: it waits on the
clock so the pictures show live data."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from gateway_core.protocol import ExecuteTrade, ExecuteTradeData

from .gateway_bridge import new_request_id
from .qt import QPoint, QWidget

if TYPE_CHECKING:
    from .controller import Controller

log = logging.getLogger(__name__)

SEED_ORDERS = [
    ("buy", "EURUSD", 0.5), ("sell", "GBPUSD", 1.0), ("buy", "XAUUSD", 0.2),
    ("sell", "USDJPY", 0.3), ("buy", "GBPUSD", 0.1),
]


async def _until(predicate: object, limit: float = 15.0) -> None:
    async with asyncio.timeout(limit):
        # Polling: the gateway's state has no "changed" event to await (a demo script).
        while not predicate():  # type: ignore[operator]  # noqa: ASYNC110
            await asyncio.sleep(0.05)


def _save(widget: QWidget, path: Path) -> None:
    if not widget.grab().save(str(path), "PNG"):
        raise OSError(f"could not save {path}")
    log.info("screenshot %s", path)


async def _seed(controller: Controller) -> None:
    bridge = controller.bridge
    agents = [a.agent_id for a in bridge.agents()]
    for n, agent in enumerate(agents):
        for k, (side, symbol, lots) in enumerate(SEED_ORDERS):
            if (n + k) % 2:
                continue
            cmd = ExecuteTrade(command="execute_trade", request_id=new_request_id("shot"),
                               data=ExecuteTradeData(symbol=symbol, type=side,
                                                     lots=lots))
            await bridge.execute(agent, cmd)
        # And one pending order each, for the pending table.
        cmd = ExecuteTrade(command="execute_trade", request_id=new_request_id("shot"),
                           data=ExecuteTradeData(symbol="EURUSD", type="buy_limit", lots=0.2,
                                                 price=1.07))
        await bridge.execute(agent, cmd)


async def take_screenshots(controller: Controller, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - once, before any UI work
    window = controller.window
    fleet = controller.runtime.fleet
    try:
        if fleet is not None:
            await asyncio.wait_for(fleet.wait_connected(), 15)
        await _until(lambda: all(a.synced and a.symbols for a in controller.bridge.agents())
                     and controller.bridge.agents())
        await _seed(controller)
        window.resize(1280, 760)
        window.show()
        # Let live prices, the equity curve and heartbeat ages fill in.
        await asyncio.sleep(6)
        window.positions_view.selectRow(0)
        # Never processEvents() inside a task: it would run other tasks nested in this one.
        await asyncio.sleep(0.3)
        _save(window, out / "main-window.png")
        window.tabs.setCurrentWidget(window.connection_page)
        await asyncio.sleep(0.3)
        _save(window, out / "connection.png")
        window.tabs.setCurrentIndex(0)

        ticket = controller.new_order(controller.bridge.agents()[0].agent_id, "EURUSD")
        await _until(lambda: ticket.bid is not None)
        ticket.lots.setValue(0.25)
        ticket.stops_mode.setCurrentIndex(1)
        ticket.stop_loss.setValue(150)
        ticket.take_profit.setValue(300)
        ticket.comment.setText("breakout")
        task = ticket.send()
        if task is not None:
            await task
        await asyncio.sleep(0.6)
        _save(ticket, out / "trade-ticket.png")
        ticket.close()

        menu = controller.tray.menu
        geo = controller.tray.icon.geometry()
        anchor = geo.bottomLeft() if geo.isValid() and not geo.isEmpty() else QPoint(900, 40)
        menu.popup(anchor)
        await asyncio.sleep(0.6)
        _save(menu, out / "tray-menu.png")
        menu.hide()
    except Exception:
        log.exception("screenshots failed")
        raise
