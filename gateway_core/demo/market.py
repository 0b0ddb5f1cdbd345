"""A random-walk market: bid/ask for a handful of symbols and their MT4 contract specs.

Prices move as a geometric random walk with a weak pull back to where they started, so a
demo left running for days still shows believable prices. All randomness comes from the
injected `random.Random`, so a seed replays the same market.
"""

from __future__ import annotations

import logging
import math
import random
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SymbolSpec:
    """What MT4's MarketInfo() tells an EA about a symbol, plus how the demo moves it."""

    name: str
    digits: int
    base: str
    """Margin currency: a lot is `contract_size` units of it."""
    quote: str
    """Profit currency: price differences are in it."""
    start_bid: float
    spread_points: int
    volatility: float
    """Standard deviation of the relative price move over one second."""
    min_lot: float = 0.01
    max_lot: float = 100.0
    lot_step: float = 0.01
    stops_level: int = 10
    """Minimum distance, in points, of S/L, T/P and pending prices from the market."""
    freeze_level: int = 0
    contract_size: float = 100_000.0
    description: str = ""
    trade_allowed: bool = True

    @property
    def point(self) -> float:
        return 10.0**-self.digits

    def normalize(self, price: float) -> float:
        """NormalizeDouble(price, Digits): MT4 refuses prices with more decimals."""
        return round(price, self.digits)


DEFAULT_SYMBOLS: tuple[SymbolSpec, ...] = (
    SymbolSpec(
        name="EURUSD",
        digits=5,
        base="EUR",
        quote="USD",
        start_bid=1.08500,
        spread_points=12,
        volatility=0.00003,
        stops_level=10,
        description="Euro vs US Dollar",
    ),
    SymbolSpec(
        name="GBPUSD",
        digits=5,
        base="GBP",
        quote="USD",
        start_bid=1.26800,
        spread_points=16,
        volatility=0.000035,
        stops_level=10,
        description="Great Britain Pound vs US Dollar",
    ),
    SymbolSpec(
        name="USDJPY",
        digits=3,
        base="USD",
        quote="JPY",
        start_bid=148.200,
        spread_points=14,
        volatility=0.00003,
        stops_level=10,
        description="US Dollar vs Japanese Yen",
    ),
    SymbolSpec(
        name="XAUUSD",
        digits=2,
        base="XAU",
        quote="USD",
        start_bid=2030.00,
        spread_points=35,
        volatility=0.00005,
        stops_level=50,
        max_lot=50.0,
        contract_size=100.0,
        description="Gold vs US Dollar",
    ),
)

# How hard prices are pulled back towards their start, per second. Small enough to be
# invisible minute to minute, large enough that a long demo does not drift off to nonsense.
_MEAN_REVERSION = 0.0005


class Market:
    """Current bid/ask per symbol. `step()` moves time on; tests pin prices with `set_bid()`."""

    def __init__(
        self,
        rng: random.Random,
        symbols: tuple[SymbolSpec, ...] = DEFAULT_SYMBOLS,
        *,
        tick_probability: float = 0.7,
    ) -> None:
        self._rng = rng
        self.specs: dict[str, SymbolSpec] = {s.name: s for s in symbols}
        # Not every symbol ticks on every step: real feeds are uneven, and it keeps the
        # quote stream from looking like a metronome.
        self._tick_probability = tick_probability
        self.frozen = False
        """Stop the walk: prices change only through `set_bid()` (tests, screenshots)."""
        self._bid: dict[str, float] = {}
        self._spread: dict[str, int] = {}
        for spec in symbols:
            self._bid[spec.name] = spec.normalize(spec.start_bid)
            self._spread[spec.name] = spec.spread_points

    @property
    def symbols(self) -> list[str]:
        return list(self.specs)

    def spec(self, symbol: str) -> SymbolSpec:
        """Raises KeyError for a symbol this market does not quote."""
        return self.specs[symbol]

    def bid(self, symbol: str) -> float:
        return self._bid[symbol]

    def ask(self, symbol: str) -> float:
        spec = self.specs[symbol]
        return spec.normalize(self._bid[symbol] + self._spread[symbol] * spec.point)

    def set_bid(self, symbol: str, bid: float, spread_points: int | None = None) -> None:
        """Put the market where a test needs it."""
        spec = self.specs[symbol]
        self._bid[symbol] = spec.normalize(bid)
        if spread_points is not None:
            self._spread[symbol] = spread_points

    def step(self, dt: float) -> list[str]:
        """Advance the walk by `dt` seconds; returns the symbols whose price changed."""
        if dt <= 0 or self.frozen:
            return []
        changed: list[str] = []
        sqrt_dt = math.sqrt(dt)
        for name, spec in self.specs.items():
            if self._rng.random() > self._tick_probability:
                continue
            bid = self._bid[name]
            drift = -_MEAN_REVERSION * math.log(bid / spec.start_bid) * dt
            shock = spec.volatility * sqrt_dt * self._rng.gauss(0.0, 1.0)
            new_bid = spec.normalize(bid * math.exp(drift + shock))
            # Spreads breathe a little around their typical value.
            spread = spec.spread_points + self._rng.randint(0, max(1, spec.spread_points // 4))
            if new_bid != bid or spread != self._spread[name]:
                self._bid[name] = max(new_bid, spec.point)
                self._spread[name] = spread
                changed.append(name)
        return changed

    def to_account(self, amount: float, currency: str, account_currency: str) -> float:
        """Convert an amount into the account currency using this market's own rates.

        Only direct crosses are needed for the demo symbols (EUR, GBP, JPY, XAU vs USD).
        """
        if currency == account_currency:
            return amount
        direct = currency + account_currency
        if direct in self._bid:
            return amount * self._bid[direct]
        inverse = account_currency + currency
        if inverse in self._bid:
            return amount / self._bid[inverse]
        log.warning("no rate for %s -> %s; using 1.0", currency, account_currency)
        return amount
