"""Depth-aware, fee-aware evaluation of one ordered venue pair: buy on A at A's asks, sell on B at B's bids.

API:
- ``make_spec(pair_id, buy_info, sell_info, min_profit_bps, max_notional=None, buy_fee=None, sell_fee=None)``
  -> ``VenuePairSpec``: everything constant for the ordered pair (fees, common step, minimums), built once.
- ``evaluate_books(spec, buy_book, sell_book, now_ms=None) -> Opportunity | None``: rejects crossed or empty books
  with ``BookRejectedError``, then ``evaluate_levels``.
- ``evaluate_levels(spec, asks, bids, now_ms) -> Opportunity | None``: the hot path over ``(price, qty)`` levels.
- ``top_of_book_edge_bps(ask, bid, buy_fee, sell_fee)``: the naive check, for comparison.

The math: with ``a = 1 + buy_fee + min_profit_bps/1e4`` and ``b = 1 - sell_fee``, a size ``q`` is good when
``G(q) = b*proceeds(q) - a*cost(q) >= 0``. ``G`` is piecewise linear and concave (the marginal edge only falls
as the walk goes deeper), so the largest good size is found by walking both books level by level and, in the
first segment where the marginal edge is negative, solving ``G = 0`` exactly. The size is then capped by
``max_notional``, rounded down to the common step, and checked against both venues' minimums; by concavity every
smaller size is still good. Edge in bps is ``profit / notional * 1e4`` where notional is the buy cost before fees.
"""

from __future__ import annotations

import math
import time
from decimal import Decimal
from fractions import Fraction
from typing import Final

import msgspec

from arbkit.errors import ArbkitError
from arbkit.structs import Level, OrderBook, Symbol, SymbolInfo

__all__ = [
    "LIMIT_DEPTH",
    "LIMIT_EDGE",
    "LIMIT_NOTIONAL",
    "BookRejectedError",
    "Opportunity",
    "VenuePairSpec",
    "common_step",
    "evaluate_books",
    "evaluate_levels",
    "make_spec",
    "top_of_book_edge_bps",
]

LIMIT_EDGE: Final = "edge"  # deeper levels would take the average edge below min_profit_bps
LIMIT_DEPTH: Final = "depth"  # the books ran out of levels
LIMIT_NOTIONAL: Final = "max_notional"  # the pair's size cap


class BookRejectedError(ArbkitError, ValueError):
    """An input book cannot be evaluated (crossed or empty side); the message names exchange and symbol."""


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
    step_units: float  # step == step_units / step_scale exactly, with step_units a whole number
    step_scale: float  # a power of ten; 0 when step is 0
    min_quantity: float
    buy_min_notional: float
    sell_min_notional: float
    max_notional: float  # math.inf when uncapped
    buy_factor: float  # 1 + buy_fee + min_profit_bps / 1e4
    sell_factor: float  # 1 - sell_fee

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.pair_id, self.buy_exchange, self.sell_exchange)


class Opportunity(msgspec.Struct, frozen=True, gc=False):
    """The largest profitable size for one ordered venue pair, and what it earns."""

    pair_id: str
    symbol: Symbol
    buy_exchange: str
    sell_exchange: str
    quantity: float
    buy_vwap: float
    sell_vwap: float
    notional: float  # quantity * buy_vwap, before fees
    profit_quote: float  # after both taker fees
    edge_bps: float  # profit / notional at this size
    top_edge_bps: float  # best bid vs best ask, fees included
    buy_levels: int
    sell_levels: int
    buy_fee: float
    sell_fee: float
    timestamp_ms: int
    top_raw_edge_bps: float = 0.0  # best bid vs best ask, before fees
    limited_by: str = LIMIT_EDGE  # what stopped the size: LIMIT_EDGE, LIMIT_DEPTH or LIMIT_NOTIONAL

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.pair_id, self.buy_exchange, self.sell_exchange)

    def __repr__(self) -> str:
        return (
            f"Opportunity({self.pair_id} buy {self.buy_exchange} @ {self.buy_vwap:.8g} sell {self.sell_exchange} "
            f"@ {self.sell_vwap:.8g} qty={self.quantity:.8g} edge={self.edge_bps:.2f}bps "
            f"profit={self.profit_quote:.6g})"
        )

    def _repr_html_(self) -> str:
        from arbkit.research.html import opportunity_html

        return opportunity_html(self)


def common_step(a: float, b: float) -> float:
    """The finest quantity step that is a multiple of both steps (the coarser one when they nest)."""
    if a <= 0 or b <= 0:
        return max(a, b, 0.0)
    fa, fb = Fraction(repr(a)), Fraction(repr(b))
    lcm_num = math.lcm(fa.numerator * fb.denominator, fb.numerator * fa.denominator)
    return float(Fraction(lcm_num, fa.denominator * fb.denominator))


def _step_parts(step: float) -> tuple[float, float]:
    """``(units, scale)`` with ``step == units / scale`` in decimal, so rounded sizes are the clean decimals."""
    if step <= 0:
        return 0.0, 0.0
    exponent = int(Decimal(repr(step)).normalize().as_tuple().exponent)
    scale = 10 ** max(0, -exponent)
    return float(round(Decimal(repr(step)) * scale)), float(scale)


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
        min_quantity=max(buy_info.min_quantity, sell_info.min_quantity),
        buy_min_notional=buy_info.min_notional,
        sell_min_notional=sell_info.min_notional,
        max_notional=math.inf if max_notional is None else max_notional,
        buy_factor=1.0 + bf + min_profit_bps / 1e4,
        sell_factor=1.0 - sf,
    )


def top_of_book_edge_bps(ask: float, bid: float, buy_fee: float = 0.0, sell_fee: float = 0.0) -> float:
    """Edge of buying one unit at ``ask`` and selling at ``bid``, after fees, in bps of the ask."""
    return (bid * (1.0 - sell_fee) - ask * (1.0 + buy_fee)) / ask * 1e4


def _reject(book: OrderBook, problem: str) -> BookRejectedError:
    return BookRejectedError(f"{book.exchange} {book.symbol}: {problem}")


def evaluate_books(
    spec: VenuePairSpec, buy_book: OrderBook, sell_book: OrderBook, now_ms: int | None = None
) -> Opportunity | None:
    """Evaluate two full books; a crossed book or an empty side needed raises ``BookRejectedError``."""
    for book in (buy_book, sell_book):
        if book.is_crossed:
            raise _reject(book, f"crossed book (bid {book.bids[0][0]} >= ask {book.asks[0][0]})")
    if not buy_book.asks:
        raise _reject(buy_book, "no asks to buy from")
    if not sell_book.bids:
        raise _reject(sell_book, "no bids to sell into")
    if now_ms is None:
        now_ms = int(time.time() * 1000)
    return evaluate_levels(spec, buy_book.asks, sell_book.bids, now_ms)


def evaluate_levels(spec: VenuePairSpec, asks: list[Level], bids: list[Level], now_ms: int) -> Opportunity | None:
    """Largest good size buying through ``asks`` (buy venue) and selling through ``bids`` (sell venue), or None."""
    if not asks or not bids:
        raise BookRejectedError(f"{spec.pair_id} {spec.buy_exchange}->{spec.sell_exchange}: empty side")
    a = spec.buy_factor
    b = spec.sell_factor
    ap, aq = asks[0]
    bp, bq = bids[0]
    if b * bp < a * ap:  # the best marginal edge is already below the threshold
        return None
    top_ask = ap
    top_bid = bp
    cap = spec.max_notional
    na = len(asks)
    nb = len(bids)
    i = j = 0
    q = cost = proceeds = 0.0
    # Walk merged segments; each has one ask and one bid price, so G is linear within it. Full segments are
    # added in the loop; the last, partial one (``seg`` at prices ap, bp) is left to price the rounded size.
    while True:
        s = b * bp - a * ap
        seg = aq if aq < bq else bq
        if s < 0.0:
            x = (a * cost - b * proceeds) / s  # where G(q) reaches 0 within this segment
            if x < seg:
                seg = x
                limit = LIMIT_EDGE
                if cost + ap * seg > cap:
                    seg = (cap - cost) / ap
                    limit = LIMIT_NOTIONAL
                break
        c = ap * seg
        if cost + c > cap:
            seg = (cap - cost) / ap
            limit = LIMIT_NOTIONAL
            break
        q += seg
        cost += c
        proceeds += bp * seg
        aq -= seg
        bq -= seg
        if aq <= 0.0:
            if i + 1 == na:
                seg = 0.0
                limit = LIMIT_DEPTH
                break
            i += 1
            ap, aq = asks[i]
        if bq <= 0.0:
            if j + 1 == nb:
                seg = 0.0
                limit = LIMIT_DEPTH
                break
            j += 1
            bp, bq = bids[j]

    top = q + seg
    units = spec.step_units
    if units:
        scale = spec.step_scale
        qty = int(top * scale / units + 1e-9) * units / scale
    else:
        qty = top
    if qty <= 0.0 or qty < spec.min_quantity:
        return None
    if qty > q:  # the usual case: the rounded size ends inside the last segment
        cost += ap * (qty - q)
        proceeds += bp * (qty - q)
        n_buy = i + 1
        n_sell = j + 1
    else:
        cost, n_buy = _fill(asks, qty)
        proceeds, n_sell = _fill(bids, qty)
    if cost < spec.buy_min_notional or proceeds < spec.sell_min_notional:
        return None
    buy_fee = spec.buy_fee
    profit = proceeds * b - cost * (1.0 + buy_fee)
    return Opportunity(
        spec.pair_id,
        spec.symbol,
        spec.buy_exchange,
        spec.sell_exchange,
        qty,
        cost / qty,
        proceeds / qty,
        cost,
        profit,
        profit / cost * 1e4,
        (top_bid * b - top_ask * (1.0 + buy_fee)) / top_ask * 1e4,
        n_buy,
        n_sell,
        buy_fee,
        spec.sell_fee,
        now_ms,
        (top_bid - top_ask) / top_ask * 1e4,
        limit,
    )


def _fill(levels: list[Level], qty: float) -> tuple[float, int]:
    """Quote value of taking ``qty`` through ``levels``, and how many levels it touches."""
    rem = qty
    value = 0.0
    used = 0
    for price, size in levels:
        used += 1
        if size >= rem:
            return value + price * rem, used
        value += price * size
        rem -= size
    return value, used
