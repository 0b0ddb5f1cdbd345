"""How numbers, times and states read on screen. Presentation only."""

from __future__ import annotations

from datetime import UTC, datetime

from .qt import QColor

PROFIT_UP = QColor("#1a7f37")
PROFIT_DOWN = QColor("#cf222e")

ORDER_TYPE_NAMES = {
    "buy": "Buy",
    "sell": "Sell",
    "buy_limit": "Buy Limit",
    "sell_limit": "Sell Limit",
    "buy_stop": "Buy Stop",
    "sell_stop": "Sell Stop",
}


def price(value: float | None, digits: int = 5) -> str:
    if value is None:
        return ""
    return f"{value:.{digits}f}"


def stop(value: float, digits: int = 5) -> str:
    """S/L and T/P: 0 means none, shown as empty so real levels stand out."""
    return "" if not value else f"{value:.{digits}f}"


def money(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.2f}"


def lots(value: float) -> str:
    """Two decimals like MT4 (0.50, 1.00); more only when the volume really has them."""
    text = f"{value:.2f}"
    return text if abs(float(text) - value) < 1e-9 else f"{value:g}"


def percent(value: float | None) -> str:
    if not value:
        return ""
    return f"{value:,.1f} %"


def age(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 1:
        return "now"
    if seconds < 90:
        return f"{seconds:.0f} s ago"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.1f} h ago"


def since(moment: datetime | None, now: datetime | None = None) -> float | None:
    if moment is None:
        return None
    return max(0.0, ((now or datetime.now(UTC)) - moment).total_seconds())


def profit_colour(value: float | None) -> QColor | None:
    if value is None or value == 0:
        return None
    return PROFIT_UP if value > 0 else PROFIT_DOWN


def order_type(name: str) -> str:
    return ORDER_TYPE_NAMES.get(name, name)
