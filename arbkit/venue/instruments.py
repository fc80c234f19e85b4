"""Which spot symbols each local venue lists, with tick/step sizes, minimums, fees and reference prices.

Symbols are unified strings (``BTC/USDT``); each protocol maps them to its own wire names. Every venue lists the
five core pairs plus about 55 more (vs USDT; vs USD and USDT on Kraken), so scale can be measured offline; the
simulated market quotes the extra ones only once a client asks for them.
"""

from __future__ import annotations

import math

import msgspec

__all__ = [
    "CORE_LISTINGS",
    "REFERENCE_PRICES",
    "Instrument",
    "decimals_of",
    "instrument",
    "instruments",
    "known_exchanges",
    "kraken_assets",
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

# The wider universe, quoted only once a client asks for it (see SimulatedMarket): asset -> (reference price in
# USDT, tick, step). Minimum quantity is one step; Kraken's own minimum is an order worth about 5 USD.
_MORE_ASSETS: dict[str, tuple[float, float, float]] = {
    "BNB": (580.0, 0.01, 0.001), "ADA": (0.45, 0.0001, 0.1), "TRX": (0.12, 0.00001, 0.1),
    "AVAX": (35.0, 0.01, 0.01), "DOT": (7.0, 0.001, 0.01), "LINK": (15.0, 0.01, 0.01),
    "POL": (0.5, 0.0001, 0.1), "LTC": (80.0, 0.01, 0.001), "BCH": (450.0, 0.1, 0.001),
    "SHIB": (0.000025, 0.00000001, 1.0), "UNI": (8.0, 0.001, 0.01), "ATOM": (8.0, 0.001, 0.01),
    "XLM": (0.1, 0.00001, 1.0), "ETC": (25.0, 0.01, 0.01), "FIL": (5.0, 0.001, 0.01),
    "APT": (9.0, 0.001, 0.01), "ARB": (0.9, 0.0001, 0.1), "OP": (2.0, 0.001, 0.01),
    "NEAR": (5.0, 0.001, 0.1), "ICP": (10.0, 0.001, 0.01), "HBAR": (0.08, 0.00001, 1.0),
    "VET": (0.03, 0.00001, 1.0), "ALGO": (0.18, 0.0001, 1.0), "AAVE": (100.0, 0.01, 0.001),
    "MKR": (2500.0, 0.1, 0.0001), "GRT": (0.2, 0.0001, 1.0), "SAND": (0.4, 0.0001, 1.0),
    "MANA": (0.4, 0.0001, 1.0), "AXS": (6.0, 0.001, 0.01), "EGLD": (35.0, 0.01, 0.01),
    "XTZ": (0.8, 0.0001, 0.1), "EOS": (0.7, 0.0001, 0.1), "THETA": (1.5, 0.001, 0.1),
    "INJ": (25.0, 0.01, 0.01), "SUI": (1.0, 0.0001, 0.1), "SEI": (0.4, 0.0001, 0.1),
    "TIA": (6.0, 0.001, 0.01), "RUNE": (4.0, 0.001, 0.1), "PEPE": (0.00001, 0.00000001, 1.0),
    "CRV": (0.3, 0.0001, 0.1), "LDO": (1.5, 0.001, 0.01), "SNX": (2.0, 0.001, 0.1),
    "COMP": (50.0, 0.01, 0.001), "ZEC": (30.0, 0.01, 0.001), "XMR": (160.0, 0.01, 0.001),
    "DASH": (25.0, 0.01, 0.001), "KAVA": (0.4, 0.0001, 0.1), "CHZ": (0.07, 0.00001, 1.0),
    "ENS": (20.0, 0.01, 0.01), "1INCH": (0.35, 0.0001, 0.1), "BAT": (0.2, 0.0001, 1.0),
    "ZRX": (0.35, 0.0001, 1.0), "STX": (1.6, 0.0001, 0.1), "IMX": (1.5, 0.0001, 0.1),
    "RENDER": (6.0, 0.001, 0.01), "FET": (1.3, 0.0001, 0.1), "WLD": (2.0, 0.001, 0.1),
    "JUP": (0.9, 0.0001, 0.1), "BONK": (0.00002, 0.00000001, 1.0),
}  # fmt: skip
REFERENCE_PRICES.update({asset: price for asset, (price, _, _) in _MORE_ASSETS.items()})

# exchange -> (maker fee, taker fee, min notional in quote)
_VENUE_TERMS: dict[str, tuple[float, float, float]] = {
    "binance": (0.001, 0.001, 5.0),
    "gateio": (0.002, 0.002, 3.0),
    "mexc": (0.0, 0.0005, 1.0),
    "kraken": (0.0025, 0.004, 5.0),
}

# Kraken's asset names: legacy X-prefixed crypto and Z-prefixed fiat ids, XBT for BTC, XDG for DOGE; newer
# assets keep their plain code. unified asset -> (Kraken asset id, altname)
_KRAKEN_QUIRKS: dict[str, tuple[str, str]] = {
    "BTC": ("XXBT", "XBT"), "ETH": ("XETH", "ETH"), "USD": ("ZUSD", "USD"), "XRP": ("XXRP", "XRP"),
    "DOGE": ("XXDG", "XDG"), "LTC": ("XLTC", "LTC"), "XLM": ("XXLM", "XLM"), "ETC": ("XETC", "ETC"),
    "ZEC": ("XZEC", "ZEC"), "XMR": ("XXMR", "XMR"),
}  # fmt: skip
_NOT_LISTED: dict[str, frozenset[str]] = {  # as on the real venues: privacy coins are gone from some
    "binance": frozenset({"XMR"}),
    "mexc": frozenset({"XMR"}),
    "gateio": frozenset(),
    "kraken": frozenset({"BNB"}),
}

_USDT_SYMBOLS = ("BTC/USDT", "ETH/USDT", "SOL/USDT", "XRP/USDT", "DOGE/USDT")
# The symbols every venue has always listed, first and in this order (the simulated market quotes them always).
CORE_LISTINGS: dict[str, tuple[str, ...]] = {
    "binance": _USDT_SYMBOLS,
    "gateio": _USDT_SYMBOLS,
    "mexc": _USDT_SYMBOLS,
    "kraken": ("BTC/USD", "ETH/USD", *_USDT_SYMBOLS),
}


def _listing(exchange: str) -> tuple[str, ...]:
    quotes = ("USD", "USDT") if exchange == "kraken" else ("USDT",)  # Kraken quotes in USD and, widely, USDT
    core = CORE_LISTINGS[exchange]
    assets = [a for a in (*_ASSET_PRECISION, *_MORE_ASSETS) if a not in _NOT_LISTED[exchange]]
    more = [f"{asset}/{quote}" for quote in quotes for asset in assets]
    return (*core, *(s for s in more if s not in core))


def kraken_assets() -> dict[str, tuple[str, str]]:
    """Every asset the Kraken venue lists: unified code -> (Kraken asset id, altname)."""
    assets = {a: (a, a) for symbol in _listing("kraken") for a in symbol.split("/")}
    return {a: _KRAKEN_QUIRKS.get(a, ids) for a, ids in assets.items()}


def _precision(exchange: str, base: str) -> tuple[float, float, float]:
    if base in _ASSET_PRECISION:
        return _ASSET_PRECISION[base]
    price, tick, step = _MORE_ASSETS[base]
    if exchange == "kraken":  # Kraken's order minimum is worth about 5 USD, not one step
        units = max(1, math.ceil(5.0 / price / step))
        return tick, step, float(f"{units * step:.10g}")
    return tick, step, step


def _build(exchange: str) -> dict[str, Instrument]:
    maker, taker, min_notional = _VENUE_TERMS[exchange]
    out: dict[str, Instrument] = {}
    for symbol in _listing(exchange):
        base, quote = symbol.split("/")
        tick, step, min_qty = _precision(exchange, base)
        out[symbol] = Instrument(exchange, symbol, base, quote, tick, step, min_qty, min_notional, maker, taker)
    return out


_INSTRUMENTS: dict[str, dict[str, Instrument]] = {name: _build(name) for name in CORE_LISTINGS}


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
