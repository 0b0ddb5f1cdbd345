"""MT4's order validation rules as pure functions, with MT4's error numbers.

Separate from the broker so each rule can be read (and tested) on its own, and so the broker
reads as a sequence of checks rather than a wall of arithmetic.
"""

from __future__ import annotations

from .market import SymbolSpec
from .orders import (
    ERR_INVALID_STOPS,
    ERR_INVALID_VOLUME,
    BrokerError,
    CloseReason,
    Order,
)

LOT_EPS = 1e-9


def distance(upper: float, lower: float, spec: SymbolSpec) -> float:
    """(upper - lower) in points, rounded so float noise cannot flip a comparison."""
    return round((upper - lower) / spec.point, 6)


def on_grid(lots: float, step: float) -> float:
    """Snap a volume to the lot step (1.0 - 0.3 is 0.7, not 0.7000000000000001)."""
    return round(round(lots / step) * step, 8)


def check_volume(spec: SymbolSpec, lots: float) -> None:
    """131 unless min_lot <= lots <= max_lot and lots is a whole number of lot steps."""
    if lots < spec.min_lot - LOT_EPS or lots > spec.max_lot + LOT_EPS:
        raise BrokerError(
            ERR_INVALID_VOLUME, f"{lots} lots is outside {spec.min_lot}..{spec.max_lot}"
        )
    steps = lots / spec.lot_step
    if abs(steps - round(steps)) > 1e-6:
        raise BrokerError(ERR_INVALID_VOLUME, f"{lots} lots is not a multiple of {spec.lot_step}")


def check_pending_price(
    spec: SymbolSpec, order_type: str, entry: float, bid: float, ask: float
) -> None:
    """130 unless a pending price is on its side of the market and stops_level away.

    Limits wait for a better price (buy below the ask, sell above the bid), stops for a
    breakout (buy above the ask, sell below the bid). At least one point away even with a
    stops level of 0, or the order would fill the moment it is placed.
    """
    level = max(spec.stops_level, 1)
    gap = {
        "buy_limit": distance(ask, entry, spec),
        "sell_limit": distance(entry, bid, spec),
        "buy_stop": distance(entry, ask, spec),
        "sell_stop": distance(bid, entry, spec),
    }[order_type]
    if gap < level or entry <= 0:
        raise BrokerError(
            ERR_INVALID_STOPS,
            f"{order_type} at {entry} must be on its side of the market ({bid}/{ask}) "
            f"and at least {level} points away",
        )


def check_stops(spec: SymbolSpec, is_buy: bool, ref: float, sl: float, tp: float) -> None:
    """130 unless S/L and T/P (0 = none) are on the right side of `ref`, stops_level away.

    `ref` is the price the position would close at (bid for a buy, ask for a sell) or the
    entry price of a pending order.
    """
    level = max(spec.stops_level, 1)
    if sl > 0:
        gap = distance(ref, sl, spec) if is_buy else distance(sl, ref, spec)
        if gap < level:
            side = "below" if is_buy else "above"
            raise BrokerError(
                ERR_INVALID_STOPS, f"stop loss {sl} must be {level} points {side} {ref}"
            )
    if tp > 0:
        gap = distance(tp, ref, spec) if is_buy else distance(ref, tp, spec)
        if gap < level:
            side = "above" if is_buy else "below"
            raise BrokerError(
                ERR_INVALID_STOPS, f"take profit {tp} must be {level} points {side} {ref}"
            )


def pending_reached(order: Order, bid: float, ask: float) -> bool:
    """Has the market reached a pending order's price? Buys watch the ask, sells the bid."""
    match order.type:
        case "buy_limit":
            return ask <= order.open_price
        case "buy_stop":
            return ask >= order.open_price
        case "sell_limit":
            return bid >= order.open_price
        case "sell_stop":
            return bid <= order.open_price
    return False


def stop_hit(order: Order) -> CloseReason | None:
    """Which of a position's stops its current (closing) price has reached, if any."""
    price = order.current_price
    if order.is_buy:
        if order.stop_loss > 0 and price <= order.stop_loss:
            return "stop_loss"
        if order.take_profit > 0 and price >= order.take_profit:
            return "take_profit"
    else:
        if order.stop_loss > 0 and price >= order.stop_loss:
            return "stop_loss"
        if order.take_profit > 0 and price <= order.take_profit:
            return "take_profit"
    return None
