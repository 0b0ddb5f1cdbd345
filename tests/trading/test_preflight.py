from __future__ import annotations

import pytest

from gateway_core.protocol import SymbolInfoData
from gateway_core.trading import distance_to_price, stops_problem, volume_problem

EURUSD = SymbolInfoData(symbol="EURUSD", digits=5, point=0.00001, min_lot=0.01, max_lot=50,
                        lot_step=0.01, stops_level=10, trade_allowed=True)


@pytest.mark.parametrize(
    ("lots", "needle"),
    [(0, "greater than 0"), (0.005, "outside"), (51, "outside"), (0.015, "lot step")],
)
def test_volume_refusals_in_words(lots: float, needle: str) -> None:
    problem = volume_problem(EURUSD, lots)
    assert problem is not None and needle in problem


@pytest.mark.parametrize("lots", [0.01, 0.1, 0.3, 1.23, 50])
def test_valid_volumes(lots: float) -> None:
    assert volume_problem(EURUSD, lots) is None


def test_unknown_symbol_only_checks_sign() -> None:
    assert volume_problem(None, 0.123) is None
    assert volume_problem(None, -1) is not None


def test_stops_level_and_side() -> None:
    ok = stops_problem(EURUSD, is_buy=True, reference=1.10000, stop_loss=1.09990,
                       take_profit=1.10010)
    assert ok is None
    near = stops_problem(EURUSD, is_buy=True, reference=1.10000, stop_loss=1.09995,
                         take_profit=0)
    assert near is not None and "10 points below 1.10000" in near
    wrong_side = stops_problem(EURUSD, is_buy=False, reference=1.10000, stop_loss=1.09,
                               take_profit=0)
    assert wrong_side is not None and "above" in wrong_side
    tp = stops_problem(EURUSD, is_buy=False, reference=1.10000, stop_loss=0,
                       take_profit=1.10005)
    assert tp is not None and "Take profit" in tp


def test_distance_to_price_sides() -> None:
    kw = {"entry": 1.1, "points": 150, "point": 0.00001, "digits": 5}
    assert distance_to_price(is_buy=True, is_stop_loss=True, **kw) == 1.0985
    assert distance_to_price(is_buy=True, is_stop_loss=False, **kw) == 1.1015
    assert distance_to_price(is_buy=False, is_stop_loss=True, **kw) == 1.1015
    assert distance_to_price(is_buy=False, is_stop_loss=False, **{**kw, "points": 0}) == 0.0
