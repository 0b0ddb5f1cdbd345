"""The equity curve's value axis: ticks and decimals follow the range, so no two labels
read the same (a flat 10,000 curve used to show `10,001 10,001 10,000 9,999 9,999`)."""

from __future__ import annotations

import pytest

from desktop.axis_ticks import value_axis
from desktop.equity_curve import EquityCurve, EquityHistory
from desktop.qt import QApplication

RANGES = [
    (10_000.0, 10_000.0),  # flat: the reported case
    (10_000.0, 10_000.004),  # moves by less than a cent
    (10_000.0, 10_000.03),
    (9_999.4, 10_001.2),
    (9_500.0, 10_700.0),
    (-3.2, 7.9),
    (0.0, 0.0),
    (1_234_567.0, 1_234_567.0),
    (50.0, 49_000.0),
]


@pytest.mark.parametrize(("low", "high"), RANGES)
def test_labels_are_distinct_and_cover_the_range(low: float, high: float) -> None:
    axis = value_axis(low, high)
    labels = axis.labels()
    assert 2 <= len(labels) <= 5
    assert len(set(labels)) == len(labels), labels
    assert axis.low <= low and axis.high >= high
    steps = {round(b - a, 9) for a, b in zip(axis.ticks, axis.ticks[1:], strict=False)}
    assert len(steps) == 1, axis.ticks  # evenly spaced


def test_decimals_follow_the_step() -> None:
    assert value_axis(9_500, 10_700).labels() == ["9,500", "10,000", "10,500", "11,000"]
    assert value_axis(10_000, 10_000.03).labels() == [
        "10,000.00", "10,000.01", "10,000.02", "10,000.03"]
    assert value_axis(0, 1).labels() == ["0.00", "0.25", "0.50", "0.75", "1.00"]
    with pytest.raises(ValueError, match="finite"):
        value_axis(0, float("nan"))


def test_flat_curve_paints_distinct_labels(qapp: QApplication) -> None:
    history = EquityHistory()
    for t in range(30):
        history.add("demo-1", 10_000.0, now=1_000_000.0 + t)
    curve = EquityCurve(history)
    curve.resize(600, 200)
    image = curve.grab()  # runs paintEvent offscreen
    assert not image.isNull()
    assert len(curve.axis_labels) >= 2
    assert len(set(curve.axis_labels)) == len(curve.axis_labels), curve.axis_labels
    assert "10,000.00" in curve.axis_labels
