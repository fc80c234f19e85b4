"""Which spot symbols each local venue lists, with tick/step sizes, minimums, fees and reference prices.

Symbols are unified strings (``BTC/USDT``); each protocol maps them to its own wire names.
"""

from __future__ import annotations

import math

import msgspec

__all__ = [
    "REFERENCE_PRICES",
    "Instrument",
    "decimals_of",
    "instrument",
    "instruments",
    "known_exchanges",
]

# Reference price of each asset in USDT (USD tracks the same reference).
REFERENCE_PRICES: dict[str, float] = {"BTC": 60000.0, "ETH": 3000.0, "SOL": 150.0, "XRP": 0.6, "DOGE": 0.15}


class Instrument(msgspec.Struct, frozen=True):
    """One spot market on one venue: precision, minimums and fees (fees as fractions: 0.001 = 0.1%)."""

    exchange: str
    symbol: str
    base: str
    quote: str
    tick_size: float
    step_size: float
    min_qty: float
    min_notional: float
    maker_fee: float
    taker_fee: float

    @property
    def price_decimals(self) -> int:
        return decimals_of(self.tick_size)

    @property
    def qty_decimals(self) -> int:
        return decimals_of(self.step_size)

    def round_price(self, price: float) -> float:
        return round(price, self.price_decimals)

    def round_qty(self, qty: float) -> float:
        return round(qty, self.qty_decimals)

    def on_tick(self, price: float) -> bool:
        return _on_grid(price, self.tick_size)

    def on_step(self, qty: float) -> bool:
        return _on_grid(qty, self.step_size)


def decimals_of(increment: float) -> int:
    """Decimal places of a power-of-ten increment such as 0.001 (-> 3); 0 for increments >= 1."""
    if increment >= 1:
        return 0
    return max(0, round(-math.log10(increment)))


def _on_grid(value: float, increment: float) -> bool:
    units = value / increment
    return abs(units - round(units)) < 1e-6


# asset -> (tick size, step size, min qty) shared by every venue.
_ASSET_PRECISION: dict[str, tuple[float, float, float]] = {
    "BTC": (0.01, 0.00001, 0.00001),
    "ETH": (0.01, 0.0001, 0.0001),
    "SOL": (0.01, 0.001, 0.001),
    "XRP": (0.0001, 0.1, 0.1),
    "DOGE": (0.00001, 1.0, 1.0),
}

# exchange -> (maker fee, taker fee, min notional in quote)
_VENUE_TERMS: dict[str, tuple[float, float, float]] = {
    "binance": (0.001, 0.001, 5.0),
    "gateio": (0.002, 0.002, 3.0),
    "mexc": (0.0, 0.0005, 1.0),
    "kraken": (0.0025, 0.004, 5.0),
}

_USDT_SYMBOLS = ("BTC/USDT", "ETH/USDT", "SOL/USDT", "XRP/USDT", "DOGE/USDT")
_LISTINGS: dict[str, tuple[str, ...]] = {
    "binance": _USDT_SYMBOLS,
    "gateio": _USDT_SYMBOLS,
    "mexc": _USDT_SYMBOLS,
    "kraken": ("BTC/USD", "ETH/USD", *_USDT_SYMBOLS),
}


def _build(exchange: str) -> dict[str, Instrument]:
    maker, taker, min_notional = _VENUE_TERMS[exchange]
    out: dict[str, Instrument] = {}
    for symbol in _LISTINGS[exchange]:
        base, quote = symbol.split("/")
        tick, step, min_qty = _ASSET_PRECISION[base]
        out[symbol] = Instrument(exchange, symbol, base, quote, tick, step, min_qty, min_notional, maker, taker)
    return out


_INSTRUMENTS: dict[str, dict[str, Instrument]] = {name: _build(name) for name in _LISTINGS}


def known_exchanges() -> tuple[str, ...]:
    return tuple(_INSTRUMENTS)


def instruments(exchange: str) -> dict[str, Instrument]:
    """The instruments a venue lists, keyed by unified symbol; ValueError names an unknown exchange."""
    try:
        return _INSTRUMENTS[exchange]
    except KeyError:
        raise ValueError(f"venue {exchange!r}: no instruments (known: {', '.join(_INSTRUMENTS)})") from None


def instrument(exchange: str, symbol: str) -> Instrument:
    """One instrument; KeyError names the exchange and symbol."""
    try:
        return instruments(exchange)[symbol]
    except KeyError:
        raise KeyError(f"{exchange}: symbol {symbol!r} is not listed") from None
