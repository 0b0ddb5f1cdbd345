"""The positions model under load: 1,000 positions x 10 updates, and only changed rows
(and only their changed cells) are signalled."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime

from desktop.main_window import selected_row, table
from desktop.positions_model import COL_PRICE, COL_PROFIT, COL_SL, COL_TP, PositionsModel
from desktop.qt import QModelIndex, Qt
from gateway_core.protocol import (
    AccountData,
    PartialCloseData,
    PositionClosed,
    PositionClosedData,
    PositionData,
    PositionModified,
    PositionModifiedData,
    PositionOpened,
    PositionPartiallyClosed,
    PositionsUpdate,
    PositionsUpdateData,
    PositionTick,
    Snapshot,
    SnapshotData,
)

NOW = datetime(2026, 1, 5, 12, tzinfo=UTC)
ACCOUNT = AccountData(balance=10_000, equity=10_000, margin=0, margin_free=10_000, margin_level=0)


def snapshot(n: int) -> Snapshot:
    positions = [
        PositionData(ticket=1000 + i, symbol="EURUSD", type="buy" if i % 2 else "sell",
                     lots=0.1, open_price=1.1, current_price=1.1, profit=0.0, swap=0.0)
        for i in range(n)
    ]
    return Snapshot(type="snapshot", timestamp=NOW,
                    data=SnapshotData(account=ACCOUNT, positions=positions))


def update(ticks: list[PositionTick]) -> PositionsUpdate:
    return PositionsUpdate(type="positions_update", timestamp=NOW,
                           data=PositionsUpdateData(positions=ticks))


def recorder(model: PositionsModel) -> list[tuple[int, int, int, int]]:
    seen: list[tuple[int, int, int, int]] = []

    def on_change(a: QModelIndex, b: QModelIndex, _roles: object) -> None:
        seen.append((a.row(), b.row(), a.column(), b.column()))

    model.dataChanged.connect(on_change)
    return seen


def test_thousand_positions_ten_updates_signal_only_changed_rows(qapp: object) -> None:
    model = PositionsModel()
    model.apply("a1", snapshot(1000))
    assert model.rowCount() == 1000
    seen = recorder(model)
    rng = random.Random(5)
    elapsed = 0.0
    for _round in range(10):
        changed = sorted(rng.sample(range(1000), 300))
        ticks = [PositionTick(ticket=1000 + i, current_price=1.1 + rng.uniform(-0.01, 0.01),
                              profit=rng.uniform(-50, 50), swap=0.0) for i in changed]
        # Unchanged values for some others: they must not be signalled.
        ticks += [PositionTick(ticket=1000 + i, current_price=model.rows[i].current_price or 0,
                               profit=model.rows[i].profit or 0.0, swap=0.0)
                  for i in rng.sample([i for i in range(1000) if i not in set(changed)], 100)]
        seen.clear()
        t0 = time.perf_counter()
        model.apply("a1", update(ticks))
        elapsed += time.perf_counter() - t0
        signalled = {r for r0, r1, _c0, _c1 in seen for r in range(r0, r1 + 1)}
        assert signalled == set(changed)
        assert all(c0 >= COL_PRICE and c1 <= COL_PROFIT for _r0, _r1, c0, c1 in seen)
    # 10 rounds of 400 ticks: far below a frame each (budget generous for slow CI).
    assert elapsed < 1.0, f"model updates took {elapsed:.3f} s"


def test_profit_only_change_signals_the_profit_cell(qapp: object) -> None:
    model = PositionsModel()
    model.apply("a1", snapshot(3))
    seen = recorder(model)
    model.apply("a1", update([PositionTick(ticket=1001, current_price=1.1, profit=5.0)]))
    assert seen == [(1, 1, COL_PROFIT, COL_PROFIT)]
    colour = model.data(model.index(1, COL_PROFIT), Qt.ItemDataRole.ForegroundRole)
    assert colour.name() == "#1a7f37"
    model.apply("a1", update([PositionTick(ticket=1001, current_price=1.1, profit=-5.0)]))
    colour = model.data(model.index(1, COL_PROFIT), Qt.ItemDataRole.ForegroundRole)
    assert colour.name() == "#cf222e"


def test_modify_partial_close_and_close(qapp: object) -> None:
    model = PositionsModel()
    model.apply("a1", snapshot(3))
    seen = recorder(model)
    model.apply("a1", PositionModified(type="position_modified", timestamp=NOW,
                                       data=PositionModifiedData(ticket=1000, stop_loss=1.09,
                                                                 take_profit=1.2)))
    assert seen == [(0, 0, COL_SL, COL_TP)]
    model.apply("a1", PositionPartiallyClosed(
        type="position_partially_closed", timestamp=NOW,
        data=PartialCloseData(ticket=1001, new_ticket=2001, closed_lots=0.05,
                              remaining_lots=0.05, close_price=1.1, profit=1, net_profit=1)))
    row = model.get(("a1", 2001))
    assert row is not None and row.lots == 0.05 and row.comment == "from #1001"
    assert model.get(("a1", 1001)) is None
    model.apply("a1", PositionClosed(type="position_closed", timestamp=NOW,
                                     data=PositionClosedData(ticket=1000, close_price=1.1,
                                                             profit=1, net_profit=1)))
    assert model.rowCount() == 2
    assert model.row_of(("a1", 1002)) is not None and model.row_of(("a1", 2001)) is not None


def test_other_agents_rows_survive_a_snapshot(qapp: object) -> None:
    model = PositionsModel()
    model.apply("a1", snapshot(2))
    model.apply("a2", snapshot(3))
    model.apply("a1", snapshot(1))
    assert model.totals("a1")[0] == 1 and model.totals("a2")[0] == 3


def test_model_sorts_itself_ticks_do_not_reorder_and_selection_follows(qapp: object) -> None:
    model = PositionsModel()
    view = table(model)  # sorted by ticket, as the window shows it
    model.apply("a1", snapshot(3))
    tickets = lambda: [r.ticket for r in model.rows]  # noqa: E731
    assert tickets() == [1000, 1001, 1002]
    model.apply("a1", update([PositionTick(ticket=1000, current_price=1.1, profit=5.0),
                              PositionTick(ticket=1001, current_price=1.1, profit=30.0),
                              PositionTick(ticket=1002, current_price=1.1, profit=10.0)]))
    assert tickets() == [1000, 1001, 1002]  # a tick never moves rows under the mouse
    view.sortByColumn(COL_PROFIT, Qt.SortOrder.DescendingOrder)  # a header click
    assert tickets() == [1001, 1002, 1000]
    view.selectRow(1)
    assert selected_row(view, model).ticket == 1002  # type: ignore[attr-defined]
    opened = PositionData(ticket=1003, symbol="EURUSD", type="buy", lots=0.1, open_price=1.1,
                          current_price=1.1, profit=99.0, swap=0.0)
    model.apply("a1", PositionOpened(type="position_opened", timestamp=NOW, data=opened))
    assert tickets() == [1003, 1001, 1002, 1000]  # a new row lands in sorted order
    assert selected_row(view, model).ticket == 1002  # type: ignore[attr-defined]
    view.deleteLater()
