"""Checks against a symbol's `symbol_info`, answered in words a trader understands."""

from __future__ import annotations

from ..protocol import SymbolInfoData

_EPS = 1e-9


def _lots(value: float) -> str:
    return f"{value:.2f}" if round(value, 2) == value else f"{value:g}"


def volume_problem(info: SymbolInfoData | None, lots: float) -> str | None:
    """Why MT4 would refuse `lots` for this symbol (error 131), or None if it would not."""
    if not lots > 0:
        return "Enter a volume greater than 0 lots."
    if info is None:
        return None
    if lots < info.min_lot - _EPS or lots > info.max_lot + _EPS:
        return (f"{_lots(lots)} lots is outside what {info.symbol} allows "
                f"({_lots(info.min_lot)} to {_lots(info.max_lot)} lots).")
    steps = lots / info.lot_step
    if abs(steps - round(steps)) > 1e-6:
        return f"{_lots(lots)} lots is not a multiple of the lot step {info.lot_step:g}."
    return None


def stops_problem(
    info: SymbolInfoData, *, is_buy: bool, reference: float, stop_loss: float,
    take_profit: float,
) -> str | None:
    """Why MT4 would refuse these S/L and T/P (error 130), or None.

    `reference` is the price the position closes at (bid for a buy, ask for a sell) or a
    pending order's entry price; 0 means "no S/L" or "no T/P".
    """
    level = max(info.stops_level, 1)

    def gap(upper: float, lower: float) -> float:
        return round((upper - lower) / info.point, 6)

    fmt = f"{{:.{info.digits}f}}"
    if stop_loss > 0:
        distance = gap(reference, stop_loss) if is_buy else gap(stop_loss, reference)
        if distance < level:
            side = "below" if is_buy else "above"
            return (f"Stop loss {fmt.format(stop_loss)} must be at least {level} points "
                    f"{side} {fmt.format(reference)}.")
    if take_profit > 0:
        distance = gap(take_profit, reference) if is_buy else gap(reference, take_profit)
        if distance < level:
            side = "above" if is_buy else "below"
            return (f"Take profit {fmt.format(take_profit)} must be at least {level} points "
                    f"{side} {fmt.format(reference)}.")
    return None


def distance_to_price(
    *, is_buy: bool, entry: float, points: float, point: float, digits: int,
    is_stop_loss: bool,
) -> float:
    """A distance in points turned into a price on the correct side of `entry`
    (0 points: no stop)."""
    if points <= 0:
        return 0.0
    below = is_buy == is_stop_loss  # a buy's S/L and a sell's T/P sit below the entry
    value = entry - points * point if below else entry + points * point
    return round(value, digits)
