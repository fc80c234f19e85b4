"""The constants of one ordered venue pair, built once: fees, hurdle, the common step grid, minimums and cap.

API: ``make_spec(pair_id, buy_info, sell_info, min_profit_bps, max_notional=None, buy_fee=None, sell_fee=None)``
-> ``VenuePairSpec``; ``common_step(a, b)``; ``top_of_book_edge_bps(ask, bid, buy_fee, sell_fee)`` (the naive check).
``VenuePairSpec.hot`` / ``names`` hold what ``evaluate_levels`` unpacks per call, so the hot path does no attribute
lookups and no arithmetic on constants.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import msgspec

from arbkit.arbitrage.sizing import BAND
from arbkit.structs import Symbol, SymbolInfo

__all__ = ["VenuePairSpec", "common_step", "make_spec", "top_of_book_edge_bps"]


class VenuePairSpec(msgspec.Struct, frozen=True, kw_only=True):
    """Constants of one ordered venue pair (buy on ``buy_exchange``, sell on ``sell_exchange``)."""

    pair_id: str
    symbol: Symbol
    buy_exchange: str
    sell_exchange: str
    buy_fee: float
    sell_fee: float
    min_profit_bps: float
    step: float  # common step valid on both venues; 0 means no rounding
    step_units: int  # step == step_units / step_scale exactly
    step_scale: int  # a power of ten; 0 when step is 0
    min_quantity: float
    buy_min_notional: float
    sell_min_notional: float
    max_notional: float  # math.inf when uncapped
    buy_factor: float  # 1 + buy_fee + min_profit_bps / 1e4
    sell_factor: float  # 1 - sell_fee
    # the hot path's constants, unpacked in one go: (buy_factor, sell_factor, max_notional,
    # max_notional * (1 - BAND), step_units, step_scale, min_quantity / (1 - BAND), buy_min_notional * (1 + BAND),
    # sell_min_notional * (1 + BAND), size_scale, step in size units); size_scale: a power of ten at which both
    # venues' steps are integers (book sizes are exact integers there), 0 without a step grid (no size is an
    # integer at 0, so every walk goes to the general path)
    hot: tuple[float, float, float, float, int, int, float, float, float, float, float] = (
        0.0,
        0.0,
        0.0,
        0.0,
        0,
        0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
    )
    # what every Opportunity of the pair carries: (pair_id, symbol, buy_exchange, sell_exchange, buy_fee,
    # sell_fee, 1 + buy_fee)
    names: tuple[str, Symbol, str, str, float, float, float] | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.pair_id, self.buy_exchange, self.sell_exchange)


def common_step(a: float, b: float) -> float:
    """The finest quantity step that is a multiple of both steps (the coarser one when they nest)."""
    if a <= 0 or b <= 0:
        return max(a, b, 0.0)
    fa, fb = Fraction(repr(a)), Fraction(repr(b))
    lcm_num = math.lcm(fa.numerator * fb.denominator, fb.numerator * fa.denominator)
    return float(Fraction(lcm_num, fa.denominator * fb.denominator))


def _step_parts(step: float) -> tuple[int, int]:
    """``(units, scale)`` with ``step == units / scale`` in decimal, so rounded sizes are the clean decimals."""
    if step <= 0:
        return 0, 0
    scale = _decimal_scale(step)
    return round(Decimal(repr(step)) * scale), scale


def _decimal_scale(x: float) -> int:
    """The power of ten at which the decimal ``x`` stands for is an integer."""
    exponent = int(Decimal(repr(x)).normalize().as_tuple().exponent)
    return 10 ** max(0, -exponent)


def make_spec(
    pair_id: str,
    buy_info: SymbolInfo,
    sell_info: SymbolInfo,
    min_profit_bps: float,
    max_notional: float | None = None,
    buy_fee: float | None = None,
    sell_fee: float | None = None,
) -> VenuePairSpec:
    """Build the constants for buying on ``buy_info.exchange`` and selling on ``sell_info.exchange``.

    Fees default to each market's taker fee; pass the resolved fee (e.g. ``ArbitrageConfig.taker_fee``) to override.
    """
    if buy_info.symbol != sell_info.symbol:
        raise ValueError(
            f"{pair_id}: symbols differ ({buy_info.symbol} on {buy_info.exchange}, "
            f"{sell_info.symbol} on {sell_info.exchange})"
        )
    bf = buy_info.taker_fee if buy_fee is None else buy_fee
    sf = sell_info.taker_fee if sell_fee is None else sell_fee
    step = common_step(buy_info.step_size, sell_info.step_size)
    units, scale = _step_parts(step)
    cap = math.inf if max_notional is None else max_notional
    min_qty = max(buy_info.min_quantity, sell_info.min_quantity)
    a, b = 1.0 + bf + min_profit_bps / 1e4, 1.0 - sf
    steps = (info.step_size for info in (buy_info, sell_info) if info.step_size > 0)
    size_scale = max(scale, *(_decimal_scale(s) for s in steps)) if units else 0
    return VenuePairSpec(
        pair_id=pair_id,
        symbol=buy_info.symbol,
        buy_exchange=buy_info.exchange,
        sell_exchange=sell_info.exchange,
        buy_fee=bf,
        sell_fee=sf,
        min_profit_bps=min_profit_bps,
        step=step,
        step_units=units,
        step_scale=scale,
        min_quantity=min_qty,
        buy_min_notional=buy_info.min_notional,
        sell_min_notional=sell_info.min_notional,
        max_notional=cap,
        buy_factor=a,
        sell_factor=b,
        hot=(
            a,
            b,
            cap,
            cap * (1.0 - BAND),
            units,
            scale,
            min_qty / (1.0 - BAND),
            buy_info.min_notional * (1.0 + BAND),
            sell_info.min_notional * (1.0 + BAND),
            float(size_scale),
            float(units * size_scale // scale) if units else 0.0,
        ),
        names=(pair_id, buy_info.symbol, buy_info.exchange, sell_info.exchange, bf, sf, 1.0 + bf),
    )


def top_of_book_edge_bps(ask: float, bid: float, buy_fee: float = 0.0, sell_fee: float = 0.0) -> float:
    """Edge of buying one unit at ``ask`` and selling at ``bid``, after fees, in bps of the ask."""
    return (bid * (1.0 - sell_fee) - ask * (1.0 + buy_fee)) / ask * 1e4
