"""The pure paper fill model: one IOC limit order against one side of a book, with the exchange's rules.

``check_order`` refuses exactly where a spot exchange does (in the exchange's order: positive price and quantity,
price on the tick, quantity on the step, minimum quantity, minimum notional at the limit price, then funds: a buy
needs ``quantity x limit`` of the quote asset free, a sell ``quantity`` of the base). ``match_ioc`` walks the levels
best first up to the limit, fills what is there (partly or not at all) at each level's price, and charges the taker
fee on the filled notional. Written from the exchanges' documented semantics, independently of the local venue's
matching engine, so the calibration test compares two implementations.
"""

from __future__ import annotations

import math
from enum import StrEnum

import msgspec

from arbkit.structs import Level, Side, SymbolInfo

__all__ = ["FillResult", "PaperFill", "Rejection", "check_order", "match_ioc", "on_grid"]

EPS = 1e-9  # relative tolerance of float comparisons on amounts (the exchanges compare decimal strings)


class Rejection(StrEnum):
    """Why an exchange refuses an order; the values are the local venue's error kinds, for the calibration."""

    INVALID = "invalid"  # non-positive price or quantity
    PRECISION = "precision"  # price off the tick or quantity off the step
    MIN_QTY = "min_qty"
    MIN_NOTIONAL = "min_notional"
    INSUFFICIENT_FUNDS = "insufficient_funds"


class PaperFill(msgspec.Struct, frozen=True):
    """One execution against one price level; ``fee_quote`` is the taker fee on its notional."""

    price: float
    quantity: float
    fee_quote: float


class FillResult(msgspec.Struct, frozen=True):
    """The fills of one IOC (maybe none), or the refusal (``rejection`` set, ``message`` the exchange-like line)."""

    fills: list[PaperFill]
    rejection: Rejection | None = None
    message: str = ""

    @property
    def filled(self) -> float:
        return sum(f.quantity for f in self.fills)

    @property
    def notional(self) -> float:
        return sum(f.price * f.quantity for f in self.fills)

    @property
    def average_price(self) -> float | None:
        filled = self.filled
        return self.notional / filled if filled > 0 else None

    @property
    def fee_quote(self) -> float:
        return sum(f.fee_quote for f in self.fills)


def on_grid(value: float, increment: float) -> bool:
    """Is ``value`` a whole multiple of ``increment``? Exchanges compare decimal strings; float dust is tolerated."""
    if increment <= 0:
        return True
    units = value / increment
    return abs(units - round(units)) < 1e-6


def check_order(
    info: SymbolInfo, side: Side, quantity: float, price: float, free_base: float, free_quote: float
) -> tuple[Rejection, str] | None:
    """The exchange's refusal of an IOC limit order, or None when it would be accepted."""
    sym = str(info.symbol)
    if not price > 0 or not math.isfinite(price):
        return Rejection.INVALID, f"{sym}: a limit order needs a positive price, got {price}"
    if not quantity > 0 or not math.isfinite(quantity):
        return Rejection.INVALID, f"{sym}: quantity must be positive, got {quantity}"
    if not on_grid(price, info.tick_size):
        return Rejection.PRECISION, f"{sym}: price {price} is not a multiple of the tick size {info.tick_size}"
    if not on_grid(quantity, info.step_size):
        return Rejection.PRECISION, f"{sym}: quantity {quantity} is not a multiple of the step size {info.step_size}"
    if quantity < info.min_quantity * (1 - EPS):
        return Rejection.MIN_QTY, f"{sym}: quantity {quantity} is below the minimum {info.min_quantity}"
    if quantity * price < info.min_notional * (1 - EPS):
        notional = quantity * price
        return Rejection.MIN_NOTIONAL, f"{sym}: notional {notional:.8g} is below the minimum {info.min_notional}"
    if side is Side.BUY:
        need, have, asset = quantity * price, free_quote, str(info.symbol.quote)
    else:
        need, have, asset = quantity, free_base, str(info.symbol.base)
    if have < need * (1 - EPS) - 1e-12:
        return Rejection.INSUFFICIENT_FUNDS, f"{sym}: needs {need:.8g} {asset}, {have:.8g} free"
    return None


def match_ioc(info: SymbolInfo, side: Side, quantity: float, price: float, levels: list[Level]) -> list[PaperFill]:
    """Fill an accepted IOC against ``levels`` (the opposite side, best first, already net of consumed depth):
    every level at or better than the limit, at the level's price, until the quantity is done; the rest expires."""
    fills: list[PaperFill] = []
    left = quantity
    for level_price, size in levels:
        if (level_price > price) if side is Side.BUY else (level_price < price):
            break
        if size <= 0:
            continue
        take = _clean(min(size, left))
        if take <= 0:
            break
        fills.append(PaperFill(level_price, take, take * level_price * info.taker_fee))
        left = _clean(left - take)
        if left <= quantity * EPS:
            break
    return fills


def _clean(value: float) -> float:
    """Round away float dust (12 decimals, far below any exchange's step)."""
    return round(value, 12)
