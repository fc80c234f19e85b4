"""Depth-aware, fee-aware evaluation of one ordered venue pair: buy on A at A's asks, sell on B at B's bids.

API:
- ``make_spec(pair_id, buy_info, sell_info, min_profit_bps, max_notional=None, buy_fee=None, sell_fee=None)``
  -> ``VenuePairSpec``: everything constant for the ordered pair (fees, common step, minimums), built once
  (defined in ``arbkit.arbitrage.spec``, re-exported here with ``common_step`` and ``top_of_book_edge_bps``).
- ``evaluate_books(spec, buy_book, sell_book, now_ms=None) -> Opportunity | None``: rejects crossed or empty books
  with ``BookRejectedError``, then ``evaluate_levels``.
- ``evaluate_levels(spec, asks, bids, now_ms, read=None) -> Opportunity | None``: the hot path over ``(price, qty)``
  levels; given ``read`` (a list of two ints) it also stores how many ask and bid levels the answer depends on (the
  scanner skips books unchanged there; one level each means the early exit, which depends on the best prices
  alone); ``evaluate_read`` returns the same as a tuple.
- ``top_of_book_edge_bps(ask, bid, buy_fee, sell_fee)``: the naive check, for comparison.

The size. Buying ``q`` walks A's asks for ``cost(q)``, selling ``q`` walks B's bids for ``proceeds(q)`` (both
before fees); with taker fees ``bf``, ``sf`` and ``h = min_profit_bps / 1e4``:
``G(q) = (1 - sf) * proceeds(q) - (1 + bf + h) * cost(q)`` and ``profit(q) = (1 - sf) * proceeds(q) - (1 + bf) *
cost(q)``. Feasible sizes are ``q > 0`` on the common step grid, within both books' depth, with
``cost(q) <= max_notional``, at least both venues' minimum quantity, and with each venue's minimum notional met
by ``q`` times the worst price touched on that side (what the exchange checks on the marketable IOC limit order
that execution sends at ``buy_worst_price`` / ``sell_worst_price``). The size is the feasible ``q`` that
maximises ``G`` (ties: the largest); there is an opportunity when that ``G`` is at least 0. So every unit taken
earns at least the hurdle at the margin, and when a minimum forces a larger size the smallest feasible one is
taken. ``limited_by`` says what stopped the walk: the marginal edge, the depth, or ``max_notional``.
``max_quantity`` keeps the old figure: the largest size on the grid, within depth and cap, whose average edge
still clears the hurdle (``G >= 0``), i.e. how much the books could absorb; it is at least ``quantity``.

``G`` is concave and piecewise linear (the marginal edge only falls as the walk goes deeper), so its argmax is at
a level boundary of either book or at a bound: one walk over the levels finds it, and goes on to the root of
``G`` for ``max_quantity``. Sizes are then put on the grid with a tolerance scaled to their magnitude and any
decision within that tolerance is settled exactly (see ``sizing``). Edge in bps is ``profit / notional * 1e4``
where notional is the buy cost before fees.
"""

from __future__ import annotations

import time
from typing import Final

import msgspec

from arbkit.arbitrage.sizing import BAND, Grid, Terms, choose, cum_cmp_units, ends_side, in_n
from arbkit.arbitrage.spec import VenuePairSpec, common_step, make_spec, top_of_book_edge_bps
from arbkit.errors import ArbkitError
from arbkit.structs import Level, OrderBook, Symbol

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
    "evaluate_read",
    "make_spec",
    "top_of_book_edge_bps",
]

LIMIT_EDGE: Final = "edge"  # the next unit would earn less than min_profit_bps at the margin
LIMIT_DEPTH: Final = "depth"  # the books ran out of levels
LIMIT_NOTIONAL: Final = "max_notional"  # the pair's size cap


class BookRejectedError(ArbkitError, ValueError):
    """An input book cannot be evaluated (crossed or empty side); the message names exchange and symbol."""


class Opportunity(msgspec.Struct, frozen=True, gc=False):
    """The profit-maximising size at the hurdle for one ordered venue pair, and what it earns.

    ``buy_worst_price`` / ``sell_worst_price``: the last ask / bid level the size touches, the limit prices of
    the marketable IOC orders that take it. ``max_quantity``: the largest size whose average edge clears the
    hurdle (how much the books could absorb), at least ``quantity``.
    """

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
    max_quantity: float = 0.0  # largest grid size with G >= 0 (average edge at the hurdle) within depth and cap
    buy_worst_price: float = 0.0  # highest ask touched: the buy IOC limit price
    sell_worst_price: float = 0.0  # lowest bid touched: the sell IOC limit price

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


def evaluate_read(
    spec: VenuePairSpec, asks: list[Level], bids: list[Level], now_ms: int
) -> tuple[Opportunity | None, int, int]:
    """``evaluate_levels`` and how many ask and bid levels it read: a book whose first levels are unchanged up to
    there gives the same answer, so the scanner can skip re-evaluating it."""
    read = [1, 1]
    opp = evaluate_levels(spec, asks, bids, now_ms, read)
    return opp, read[0], read[1]


def evaluate_levels(
    spec: VenuePairSpec, asks: list[Level], bids: list[Level], now_ms: int, read: list[int] | None = None
) -> Opportunity | None:
    """The profit-maximising size buying through ``asks`` (buy venue) and selling through ``bids``, or None.

    With ``read`` (a list of two ints), also stores how many ask and bid levels the answer depends on (what
    ``evaluate_read`` returns) without building a tuple per call. The early exit is decided here, in a small frame
    (most calls end there); the walk is ``_walk``."""
    if not asks or not bids:
        raise BookRejectedError(f"{spec.pair_id} {spec.buy_exchange}->{spec.sell_exchange}: empty side")
    if spec.sell_factor * bids[0][0] < spec.buy_factor * asks[0][0]:  # the best marginal edge is below the hurdle
        if read is not None:
            read[0] = read[1] = 1
        return None
    return _walk(spec, asks, bids, now_ms, read)


def _walk(
    spec: VenuePairSpec, asks: list[Level], bids: list[Level], now_ms: int, read: list[int] | None
) -> Opportunity | None:
    """``evaluate_levels`` past the early exit: the walk, the grid size and the Opportunity."""
    a, b, cap, units, scale, min_qty, buy_min, sell_min = spec.hot
    ap, aq = asks[0]
    bp, bq = bids[0]
    top_ask = ap
    top_bid = bp
    na = len(asks)
    nb = len(bids)
    i = j = 0
    q = cost = proceeds = 0.0
    # Phase 1: merged segments (one ask and one bid price each, so G is linear within one) while the marginal
    # edge clears the hurdle. P (start pq, prices pap/pbp, levels pi/pj) is the last segment taken.
    while True:
        seg = aq if aq < bq else bq
        pq = q
        pap = ap
        pbp = bp
        pi = i
        pj = j
        c = ap * seg
        if cost + c > cap:
            seg = (cap - cost) / ap
            q += seg
            cost += ap * seg
            proceeds += bp * seg
            limit = LIMIT_NOTIONAL
            break
        q += seg
        cost += c
        proceeds += bp * seg
        aq -= seg
        bq -= seg
        if aq <= 0.0:
            if i + 1 == na:
                limit = LIMIT_DEPTH
                break
            i += 1
            ap, aq = asks[i]
        if bq <= 0.0:
            if j + 1 == nb:
                limit = LIMIT_DEPTH
                break
            j += 1
            bp, bq = bids[j]
        if b * bp < a * ap:
            limit = LIMIT_EDGE
            break
    peak = top = q
    if limit is LIMIT_EDGE:
        # Phase 2: on through segments with a negative marginal edge to the root of G (for max_quantity).
        nap, nbp, ni, nj = ap, bp, i, j  # N: the segment after the peak
        nlen = aq if aq < bq else bq
        gain = b * proceeds - a * cost
        qq, cc = q, cost
        while True:
            s = a * ap - b * bp
            seg = aq if aq < bq else bq
            last = gain < s * seg
            if last:
                seg = gain / s
            if cc + ap * seg > cap:
                top = qq + (cap - cc) / ap
                break
            qq += seg
            if last:
                top = qq
                break
            cc += ap * seg
            gain -= s * seg
            aq -= seg
            bq -= seg
            if aq <= 0.0:
                if i + 1 == na:
                    top = qq
                    break
                i += 1
                ap, aq = asks[i]
            if bq <= 0.0:
                if j + 1 == nb:
                    top = qq
                    break
                j += 1
                bp, bq = bids[j]

    # Fast path: the grid size next to the peak, inside P or N, clear of every boundary band; ``found`` is
    # (size, cost, proceeds, buy levels, sell levels, worst ask, worst bid, G) as in ``in_p`` / ``in_n``.
    found = None
    if units:
        x = peak * scale / units
        k = int(x)
        band = BAND * x + BAND
        near = x - k <= band
        if k + 1 - x <= band:
            k += 1
            near = True
        if limit is LIMIT_EDGE:
            if near:  # on a level boundary: which side of it the grid size falls, exactly
                # (ni, nj: the levels right after the peak; i, j have walked on to the root of G since)
                if ni == pi or nj == pj:  # one side's level ends at the peak (the usual case)
                    if ni != pi:
                        side = cum_cmp_units(asks, pi + 1, units, scale, k)
                    elif nj != pj:
                        side = cum_cmp_units(bids, pj + 1, units, scale, k)
                    else:
                        side = -2
                else:  # both end there: ``boundary_side`` inline
                    side = cum_cmp_units(asks, pi + 1, units, scale, k)
                    if cum_cmp_units(bids, pj + 1, units, scale, k) != side:
                        side = -2  # the two sides disagree: left to the general path
                if side >= 0:  # ``in_p`` inline
                    g = k * units / scale
                    if g > pq + BAND * peak:
                        d = peak - g
                        c = cost - pap * d
                        p = proceeds - pbp * d
                        found = (g, c, p, pi + 1, pj + 1, pap, pbp, b * p - a * c)
                elif side == -1:
                    found = in_n(k, units, scale, peak, nlen, cost, proceeds, nap, nbp, ni, nj, a, b, cap)
            else:  # ``in_p`` for size k and ``in_n`` for k + 1, inline: the usual path of an opportunity
                left = right = None
                if k:
                    g = k * units / scale
                    if g > pq + BAND * peak:
                        d = peak - g
                        c = cost - pap * d
                        p = proceeds - pbp * d
                        left = (g, c, p, pi + 1, pj + 1, pap, pbp, b * p - a * c)
                g = (k + 1) * units / scale
                d = g - peak
                if d < nlen - BAND * peak:
                    c = cost + nap * d
                    if c <= cap * (1.0 - BAND):
                        p = proceeds + nbp * d
                        right = (g, c, p, ni + 1, nj + 1, nap, nbp, b * p - a * c)
                if right is not None and left is not None:
                    found = right if right[7] >= left[7] else left
                elif right is not None and not k and right[7] > BAND * (b * right[2] + a * right[1]):
                    found = right
        elif limit is LIMIT_DEPTH or not near:
            if near:  # at the end of the thinner book: step back unless the grid size is within it, exactly
                if ends_side(asks, bids, aq <= 0.0 and i + 1 == na, bq <= 0.0 and j + 1 == nb, units, scale, k) < 0:
                    k -= 1
            if k:  # priced inside P (``in_p`` inline: this is the full-walk hot path)
                g = k * units / scale
                if g > pq + BAND * peak:
                    d = peak - g
                    found = (g, cost - pap * d, proceeds - pbp * d, pi + 1, pj + 1, pap, pbp, 0.0)
        if found is not None:
            g = found[0]
            if g * (1.0 - BAND) < min_qty or g * found[5] < buy_min or g * found[6] < sell_min:
                found = None
            elif limit is LIMIT_EDGE:
                xt = top * scale / units
                kt = int(xt)
                if xt - kt <= BAND * xt + BAND or kt + 1 - xt <= BAND * xt + BAND:
                    found = None
                else:
                    max_qty = kt * units / scale
            else:
                max_qty = g
    if found is not None:
        qty, cost, proceeds, n_buy, n_sell, worst_buy, worst_sell, _ = found
    else:
        grid = _grid(spec)
        choice = choose(asks, bids, _terms(spec), grid, peak, top)
        if choice is None:
            if read is not None:  # one level past the walk: a size within the band may reach it
                read[0] = i + 2
                read[1] = j + 2
            return None
        qty = grid.size(choice.k)
        max_qty = grid.size(choice.max_k)
        cost, proceeds = choice.cost, choice.proceeds
        n_buy, n_sell, worst_buy, worst_sell = (
            choice.buy_levels,
            choice.sell_levels,
            choice.buy_worst,
            choice.sell_worst,
        )
    pair_id, symbol, buy_exchange, sell_exchange, buy_fee, sell_fee, buy_cost = spec.names
    profit = proceeds * b - cost * buy_cost
    opp = Opportunity(
        pair_id,
        symbol,
        buy_exchange,
        sell_exchange,
        qty,
        cost / qty,
        proceeds / qty,
        cost,
        profit,
        profit / cost * 1e4,
        (top_bid * b - top_ask * buy_cost) / top_ask * 1e4,
        n_buy,
        n_sell,
        buy_fee,
        sell_fee,
        now_ms,
        (top_bid - top_ask) / top_ask * 1e4,
        limit,
        max_qty,
        worst_buy,
        worst_sell,
    )
    if read is not None:
        read[0] = i + 2
        read[1] = j + 2
    return opp


def _grid(spec: VenuePairSpec) -> Grid:
    return Grid(spec.step_units, spec.step_scale)


def _terms(spec: VenuePairSpec) -> Terms:
    return Terms(
        spec.buy_fee,
        spec.sell_fee,
        spec.min_profit_bps,
        spec.buy_factor,
        spec.sell_factor,
        spec.max_notional,
        spec.min_quantity,
        spec.buy_min_notional,
        spec.sell_min_notional,
    )
