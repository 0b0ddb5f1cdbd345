"""Tick values and decimals for a value axis, chosen from its range ("nice numbers": steps
of 1, 2, 2.5 or 5 times a power of ten), so neighbouring labels never read the same.

A flat equity curve (10,000.00 the whole session) still gets a readable axis: the range
is widened around the value to a small span that shows cents, instead of 5 labels that
all round to 10,000.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

NICE_STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)
FLAT_SPAN = 1.0
"""Axis span (account currency) drawn around a curve that has not moved at all."""


@dataclass(frozen=True)
class Axis:
    low: float
    high: float
    ticks: list[float]
    decimals: int

    def labels(self) -> list[str]:
        return [f"{v:,.{self.decimals}f}" for v in self.ticks]


def nice_step(raw: float) -> float:
    """The smallest nice step at least `raw` (> 0)."""
    power = 10.0 ** math.floor(math.log10(raw))
    for m in NICE_STEPS:
        if m * power >= raw * (1 - 1e-9):
            return m * power
    return 10 * power  # pragma: no cover - NICE_STEPS ends at 10


def decimals_for(step: float) -> int:
    """Digits after the point that tell ticks `step` apart (2.5 and 0.25 need one more)."""
    if step >= 1 and float(step).is_integer():
        return 0
    d = max(0, -math.floor(math.log10(step) + 1e-12))
    while d < 12 and abs(round(step, d) - step) > step * 1e-6:
        d += 1
    return d


def value_axis(low: float, high: float, max_ticks: int = 5) -> Axis:
    """Ticks covering [low, high]: at most `max_ticks`, at least two, evenly spaced."""
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError("axis bounds must be finite numbers")
    if high < low:
        low, high = high, low
    if high - low < 1e-9 * max(1.0, abs(high)):
        low, high = low - FLAT_SPAN / 2, high + FLAT_SPAN / 2
    intervals = max(1, max_ticks - 1)
    step = nice_step((high - low) / intervals)
    while True:
        first = math.floor(low / step + 1e-9) * step
        last = math.ceil(high / step - 1e-9) * step
        count = round((last - first) / step) + 1
        if count <= max_ticks:
            break
        step = nice_step(step * 1.0001)
    ticks = [first + k * step for k in range(count)]
    return Axis(first, last, ticks, decimals_for(step))
