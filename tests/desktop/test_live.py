"""The views against a real in-process gateway fed by real demo terminals over loopback:
table updates, trade ticket validation and round trip, modify/close, close all, and the
status change when terminals disconnect."""

from __future__ import annotations

import pytest

from desktop.controller import Controller
from desktop.gateway_bridge import new_request_id
from desktop.positions_model import COL_PRICE, COL_PROFIT
from desktop.runtime import Runtime
from gateway_core.protocol import ExecuteTrade, ExecuteTradeData
from gateway_core.trading import volume_problem

from .conftest import live, until

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(60)]


async def open_trade(ctl: Controller, agent: str, symbol: str = "EURUSD", lots: float = 0.1,
                     side: str = "buy") -> int:
    reply = await ctl.bridge.execute(agent, ExecuteTrade(
        command="execute_trade", request_id=new_request_id("test"),
        data=ExecuteTradeData(symbol=symbol, type=side, lots=lots)))  # type: ignore[arg-type]
    assert reply.success, reply.error
    assert reply.data is not None
    return reply.data.ticket


@live
async def test_positions_table_follows_the_terminal(
    controller: Controller, runtime: Runtime
) -> None:
    ticket = await open_trade(controller, "demo-1")
    model = controller.positions
    await until(lambda: model.get(("demo-1", ticket)) is not None, what="position row")
    row = model.row_of(("demo-1", ticket))
    assert row is not None
    cells: list[tuple[int, int, int]] = []
    model.dataChanged.connect(lambda a, b, _r: cells.append((a.row(), a.column(), b.column())))
    first_price = model.rows[row].current_price
    await until(lambda: model.rows[row].current_price != first_price, what="a live price tick")
    assert cells and all(COL_PRICE <= c0 <= c1 <= COL_PROFIT for _r, c0, c1 in cells)
    # The accounts table and the equity history follow too.
    assert controller.agents.get(("demo-1", 0)) is not None
    await until(lambda: "demo-1" in controller.history.series, what="equity sample")
    assert any("Opened #" in e.text for e in controller.log_model.entries)


@live
async def test_trade_ticket_validates_then_round_trips(
    controller: Controller, runtime: Runtime
) -> None:
    ticket = controller.new_order("demo-1", "EURUSD")
    assert ticket.agent_id == "demo-1" and ticket.symbol_name == "EURUSD"
    await until(lambda: ticket.bid is not None and ticket.ask is not None, what="live quote")
    assert ticket.ask_label.text() not in ("", "-")

    info = ticket.symbol_info()
    assert info is not None and ticket.lots.singleStep() == info.lot_step
    assert ticket.lots.maximum() == info.max_lot  # the spin box itself keeps to the range
    assert "outside" in str(volume_problem(info, info.min_lot / 2))
    assert "multiple" in str(volume_problem(info, info.min_lot * 1.5))
    ticket.lots.setValue(0)
    assert "greater than 0" in str(ticket.build_command())
    assert ticket.send() is None and "Not sent" in ticket.status.text()
    ticket.order_type.setCurrentIndex(ticket.order_type.findData("buy_limit"))
    ticket.price.setValue(0)
    ticket.lots.setValue(0.1)
    assert "entry price" in str(ticket.build_command())

    ticket.order_type.setCurrentIndex(ticket.order_type.findData("buy"))
    ticket.stops_mode.setCurrentIndex(ticket.stops_mode.findData("points"))
    ticket.stop_loss.setValue(200)
    ticket.take_profit.setValue(300)
    command = ticket.build_command()
    assert not isinstance(command, str)
    assert command.data.stop_loss < ticket.ask < command.data.take_profit  # type: ignore[operator]

    task = ticket.send()
    assert task is not None
    assert not ticket.submit.isEnabled() and "Sending" in ticket.status.text()
    assert ticket.send() is None  # no double submit while the first is in flight
    reply = await task
    assert reply.success, reply.error
    assert ticket.submit.isEnabled() and "Order done" in ticket.status.text()
    new_ticket = reply.data.ticket  # type: ignore[union-attr]
    await until(lambda: controller.positions.get(("demo-1", new_ticket)) is not None)
    row = controller.positions.get(("demo-1", new_ticket))
    assert row is not None and row.stop_loss > 0 and row.take_profit > 0


@live
async def test_ticket_shows_mt4_error_in_words(
    controller: Controller, runtime: Runtime
) -> None:
    terminal = runtime.fleet.terminals["demo-2"]  # type: ignore[attr-defined]
    terminal.broker.fail_next(134)
    ticket = controller.new_order("demo-2", "EURUSD")
    await until(lambda: ticket.ask is not None, what="quote")
    ticket.lots.setValue(0.1)
    task = ticket.send()
    assert task is not None
    reply = await task
    assert not reply.success
    assert "Not enough money" in ticket.status.text() and "134" in ticket.status.text()


@live
async def test_modify_close_part_and_close(
    controller: Controller, runtime: Runtime
) -> None:
    ticket = await open_trade(controller, "demo-1", lots=0.3)
    model = controller.positions
    await until(lambda: model.get(("demo-1", ticket)) is not None)
    row = model.get(("demo-1", ticket))
    assert row is not None and row.current_price
    actions = controller.actions
    actions.selected_position = lambda: model.get(("demo-1", ticket))
    sl, tp = round(row.current_price - 0.01, 5), round(row.current_price + 0.01, 5)
    actions.ask_modify = lambda _row: (sl, tp, None)
    reply = await actions.modify_selected()  # type: ignore[misc]
    assert reply.success, reply.error
    await until(lambda: model.get(("demo-1", ticket)).stop_loss == sl)  # type: ignore[union-attr]

    actions.ask_partial = lambda _row: 0.1
    reply = await actions.close_part_selected()  # type: ignore[misc]
    assert reply.success, reply.error
    remainder = reply.data["new_ticket"]  # type: ignore[index]
    await until(lambda: model.get(("demo-1", remainder)) is not None, what="remainder row")
    assert model.get(("demo-1", ticket)) is None
    assert model.get(("demo-1", remainder)).lots == pytest.approx(0.2)  # type: ignore[union-attr]

    actions.selected_position = lambda: model.get(("demo-1", remainder))
    reply = await actions.close_selected()  # type: ignore[misc]
    assert reply.success, reply.error
    await until(lambda: model.get(("demo-1", remainder)) is None, what="row removed")
    asked = controller.asked  # type: ignore[attr-defined]
    assert any("Close 0.10 lots" in q for q in asked) and any("at the market" in q for q in asked)


@live
async def test_close_all_per_symbol_then_account(
    controller: Controller, runtime: Runtime
) -> None:
    for symbol in ("EURUSD", "EURUSD", "GBPUSD"):
        await open_trade(controller, "demo-2", symbol)
    other = await open_trade(controller, "demo-1", "EURUSD")
    model = controller.positions
    await until(lambda: model.totals("demo-2")[0] == 3, what="three rows")
    reply = await controller.actions.ask_close_all("demo-2", "EURUSD")  # type: ignore[misc]
    assert reply.success, reply.error
    await until(lambda: model.totals("demo-2")[0] == 1, what="EURUSD closed")
    assert any("all 2 EURUSD positions" in q for q in controller.asked)  # type: ignore[attr-defined]
    reply = await controller.actions.ask_close_all("demo-2", None)  # type: ignore[misc]
    assert reply.success
    await until(lambda: model.totals("demo-2")[0] == 0, what="account flat")
    assert model.get(("demo-1", other)) is not None  # the other account is untouched


@live
async def test_pending_order_shown_apart_and_deleted(
    controller: Controller, runtime: Runtime
) -> None:
    reply = await controller.bridge.execute("demo-1", ExecuteTrade(
        command="execute_trade", request_id=new_request_id("test"),
        data=ExecuteTradeData(symbol="EURUSD", type="buy_limit", lots=0.1, price=1.0)))
    assert reply.success, reply.error
    ticket = reply.data.ticket  # type: ignore[union-attr]
    await until(lambda: controller.pending.get(("demo-1", ticket)) is not None)
    assert controller.positions.get(("demo-1", ticket)) is None
    controller.actions.selected_pending = lambda: controller.pending.get(("demo-1", ticket))
    done = await controller.actions.delete_selected()  # type: ignore[misc]
    assert done.success
    await until(lambda: controller.pending.get(("demo-1", ticket)) is None)


@live
async def test_status_and_tray_follow_disconnects(
    controller: Controller, runtime: Runtime
) -> None:
    controller._on_second()
    assert controller.tray.overall.state == "ok"
    assert controller.tray.terminal_texts() == ["demo-1 (5000001): connected",
                                               "demo-2 (5000002): connected"]
    await runtime.fleet.stop()  # type: ignore[attr-defined]
    agents = controller.agents
    await until(lambda: all(a.status == "disconnected" for a in agents.rows), what="disconnect")
    status = agents.data(agents.index(0, 1))
    assert status == "disconnected"
    assert controller.tray.overall.state == "error"
    assert "0 of 2 terminals connected" in controller.tray.icon.toolTip()
    assert any(e.level == "error" and "disconnected" in e.text
               for e in controller.log_model.entries)
