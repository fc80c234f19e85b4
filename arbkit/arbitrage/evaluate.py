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

from arbkit.arbitrage.sizing import BAND, Grid, Terms, choose, learn_units
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
_EXACT: Final = 2.0**53  # integers in floats are exact below this


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
    (most calls end there); then the exact integer walk ``_walk``, which raises ``KeyError`` on a book size not in
    the size memo: the books' sizes are learnt and it walks again, and a size that cannot be learnt (more decimals
    than the steps) leaves the evaluation to the general path."""
    if not asks or not bids:
        raise BookRejectedError(f"{spec.pair_id} {spec.buy_exchange}->{spec.sell_exchange}: empty side")
    if spec.sell_factor * bids[0][0] < spec.buy_factor * asks[0][0]:  # the best marginal edge is below the hurdle
        if read is not None:
            read[0] = read[1] = 1
        return None
    try:
        return _walk(spec, asks, bids, now_ms, read)
    except KeyError:  # a size not in the memo yet
        hot = spec.hot
        learn_units(hot[10], hot[8], asks)
        learn_units(hot[10], hot[8], bids)
    try:
        return _walk(spec, asks, bids, now_ms, read)
    except KeyError:  # a size that is no exact integer at the size scale
        return _general(spec, asks, bids, now_ms, read)


def _walk(
    spec: VenuePairSpec, asks: list[Level], bids: list[Level], now_ms: int, read: list[int] | None
) -> Opportunity | None:
    """``evaluate_levels`` past the early exit, exactly, in one walk when the sizes allow (else ``_general``).

    The fast path assumes every book size it reads is an exact integer at the pair's size scale ``S`` (a power of
    ten at which both venues' steps are integers, so real books always are; a size that is not raises ``KeyError``
    from the memo). Positions along the books are then exact integers (held in floats, checked below 2**53 at the
    end): where each level ends, the peak, the grid sizes (multiples of ``U``, the step at scale ``S``), so a grid
    size at a level boundary needs no tolerance and the levels are counted from the size itself. Money stays in
    floats. What is still decided in floats (the cap, the root of ``G``, the minimums, ``G`` near 0 at the end of
    the book) goes to ``_general`` when it falls within the band of a decision."""
    a, b, cap, units, scale, min_qty, buy_min, sell_min, S, U, memo = spec.hot
    if not U:  # no step grid
        return _general(spec, asks, bids, now_ms, read)
    la = len(asks) - 1
    lb = len(bids) - 1
    through = b * bids[lb][0] >= a * asks[la][0]
    if through:
        # The last levels still clear the hurdle, so every segment does (books are sorted best first) and G only
        # grows: the size is the books' depth on the grid, one pass per side, unless the cap cuts it (the walk).
        ea = qcost = 0.0
        for worst_buy, s in asks:
            ea += memo[s]
            qcost += worst_buy * s
        eb = qproceeds = 0.0
        for worst_sell, s in bids:
            eb += memo[s]
            qproceeds += worst_sell * s
        k = max_k = (ea if ea < eb else eb) // U
        if not k:
            if read is not None:
                read[0] = la + 2
                read[1] = lb + 2
            return None
        g = k * U
        n_buy = la + 1
        n_sell = lb + 1
        if g != ea:  # the size ends inside the ask book
            qcost, n_buy, worst_buy = _take(asks, g, memo, S)
        if g != eb:
            qproceeds, n_sell, worst_sell = _take(bids, g, memo, S)
        i = la
        j = lb
        limit = LIMIT_DEPTH
        through = qcost <= cap * (1.0 - BAND)
    if not through:
        ap, s = asks[0]
        ea = memo[s]
        bp, s = bids[0]
        eb = memo[s]
        i = j = 0
        pos = width = cost = proceeds = 0.0
        # Phase 1: merged segments (one ask and one bid price each, so G is linear within one) while the marginal
        # edge clears the hurdle. ``ea`` / ``eb``: where the current ask / bid level ends; ``pos``: where the walk is
        # (at scale S). At a level's end the next level's price is checked before moving on, so every exit leaves the
        # walk in segment P, the last one taken (levels i, j at prices ap, bp, from pos - width to pos), or for the cap
        # in the segment it cuts (from pos).
        while True:
            end = ea if ea < eb else eb
            width = end - pos
            seg = width / S
            c = cost + ap * seg
            if c > cap:
                limit = LIMIT_NOTIONAL
                break
            cost = c
            proceeds += bp * seg
            pos = end
            if ea != end:  # the bid level ends here
                if j == lb:
                    limit = LIMIT_DEPTH
                    break
                if b * bids[j + 1][0] < a * ap:
                    limit = LIMIT_EDGE
                    break
                j += 1
                bp, s = bids[j]
                eb += memo[s]
            elif eb != end:  # the ask level ends here
                if i == la:
                    limit = LIMIT_DEPTH
                    break
                if b * bp < a * asks[i + 1][0]:
                    limit = LIMIT_EDGE
                    break
                i += 1
                ap, s = asks[i]
                ea += memo[s]
            else:  # both end here
                if i == la or j == lb:
                    limit = LIMIT_DEPTH
                    break
                if b * bids[j + 1][0] < a * asks[i + 1][0]:
                    limit = LIMIT_EDGE
                    break
                i += 1
                ap, s = asks[i]
                ea += memo[s]
                j += 1
                bp, s = bids[j]
                eb += memo[s]
        if limit is LIMIT_DEPTH:  # the largest grid size within the book, in P
            k = max_k = pos // U
            g = k * U
            if not k:
                if read is not None:
                    read[0] = i + 2
                    read[1] = j + 2
                return None
            qcost, qproceeds = cost, proceeds
            if g < pos:
                if g <= pos - width:  # before P
                    return _general(spec, asks, bids, now_ms, read)
                d = (pos - g) / S
                qcost -= ap * d
                qproceeds -= bp * d
            n_buy, n_sell, worst_buy, worst_sell = i + 1, j + 1, ap, bp
        elif limit is LIMIT_NOTIONAL:  # the largest grid size under the cap, in the segment it cuts
            x = (pos + (cap - cost) / ap * S) / U
            k = max_k = x // 1.0
            g = k * U
            band = BAND * x + BAND
            x -= k
            if x <= band or x >= 1.0 - band or g <= pos:
                return _general(spec, asks, bids, now_ms, read)
            d = (g - pos) / S
            qcost, qproceeds = cost + ap * d, proceeds + bp * d
            n_buy, n_sell, worst_buy, worst_sell = i + 1, j + 1, ap, bp
        else:  # G peaks at pos, the end of P: the grid size there, else the better of those either side (in P, in N)
            k = pos // U
            g = k * U
            n_buy, n_sell, worst_buy, worst_sell = i + 1, j + 1, ap, bp  # P's
            qcost, qproceeds = cost, proceeds
            if ea == pos:  # on to segment N: the side whose level ends at the peak takes its next one
                i += 1
                nap, s = asks[i]
                ea += memo[s]
            else:
                nap = ap
            if eb == pos:
                j += 1
                nbp, s = bids[j]
                eb += memo[s]
            else:
                nbp = bp
            if g != pos or not k:
                g += U
                if g > (ea if ea < eb else eb):  # past N
                    return _general(spec, asks, bids, now_ms, read)
                d = (g - pos) / S
                c = cost + nap * d
                if c > cap * (1.0 - BAND):
                    return _general(spec, asks, bids, now_ms, read)
                p = proceeds + nbp * d
                gain = b * p - a * c
                if k:  # k in P or k + 1 in N, whichever earns more (ties: the larger)
                    g -= U
                    if g <= pos - width:  # before P
                        return _general(spec, asks, bids, now_ms, read)
                    d = (pos - g) / S
                    qcost -= ap * d
                    qproceeds -= bp * d
                    take_n = gain >= b * qproceeds - a * qcost
                else:  # k + 1 alone, when G is clearly positive there
                    take_n = gain > BAND * (b * p + a * c)
                    if not take_n:
                        return _general(spec, asks, bids, now_ms, read)
                if take_n:
                    k += 1.0
                    qcost, qproceeds, n_buy, n_sell, worst_buy, worst_sell = c, p, i + 1, j + 1, nap, nbp
            # Phase 2: on through segments with a negative marginal edge to the root of G (max_quantity)
            ap = nap
            bp = nbp
            gain = b * proceeds - a * cost
            at_end = False
            while True:
                end = ea if ea < eb else eb
                loss = a * ap - b * bp
                seg = (end - pos) / S
                drop = loss * seg
                c = cost + ap * seg
                if gain < drop or c > cap:  # G reaches 0, or the cost the cap, inside this segment
                    if gain < drop:
                        seg = gain / loss
                    if cost + ap * seg > cap:
                        seg = (cap - cost) / ap
                    break
                cost = c
                gain -= drop
                pos = end
                if ea == end:
                    if i == la:
                        at_end = True
                        break
                    i += 1
                    ap, s = asks[i]
                    ea += memo[s]
                if eb == end:
                    if j == lb:
                        at_end = True
                        break
                    j += 1
                    bp, s = bids[j]
                    eb += memo[s]
            if at_end and gain > BAND * cost:  # G clearly positive at the end of the book
                max_k = pos // U
            else:
                x = (pos + seg * S) / U
                max_k = x // 1.0
                band = BAND * x + BAND
                x -= max_k
                if x <= band or x >= 1.0 - band:
                    return _general(spec, asks, bids, now_ms, read)
    qty = k * units / scale
    if qty < min_qty or qty * worst_buy < buy_min or qty * worst_sell < sell_min:
        return _general(spec, asks, bids, now_ms, read)  # a minimum binds (or nearly): the general path scans
    if ea + eb >= _EXACT:  # positions past 2**53 were not exact in floats
        return _general(spec, asks, bids, now_ms, read)
    if read is not None:
        read[0] = i + 2
        read[1] = j + 2
    # the Opportunity inline (as in ``_opportunity``): a call costs a tenth of the evaluation here
    pair_id, symbol, buy_exchange, sell_exchange, buy_fee, sell_fee, buy_cost = spec.names
    top_ask = asks[0][0]
    top_bid = bids[0][0]
    profit = qproceeds * b - qcost * buy_cost
    return Opportunity(
        pair_id,
        symbol,
        buy_exchange,
        sell_exchange,
        qty,
        qcost / qty,
        qproceeds / qty,
        qcost,
        profit,
        profit / qcost * 1e4,
        (top_bid * b - top_ask * buy_cost) / top_ask * 1e4,
        n_buy,
        n_sell,
        buy_fee,
        sell_fee,
        now_ms,
        (top_bid - top_ask) / top_ask * 1e4,
        limit,
        qty if max_k == k else max_k * units / scale,
        worst_buy,
        worst_sell,
    )


def _take(levels: list[Level], g: float, memo: dict[float, float], S: int) -> tuple[float, int, float]:
    """Quote value, levels touched and worst price of taking ``g`` (at scale ``S``, within the book) exactly."""
    end = value = 0.0
    n = 0
    for price, size in levels:
        n += 1
        r = memo[size]
        if end + r >= g:
            return value + price * ((g - end) / S), n, price
        end += r
        value += price * size
    raise AssertionError("a size within the book")


def _general(
    spec: VenuePairSpec, asks: list[Level], bids: list[Level], now_ms: int, read: list[int] | None
) -> Opportunity | None:
    """What the fast walk does not settle: the float walk for the continuous argmax and root of G, then the size
    on the grid with every decision within the band settled exactly (``sizing.choose``)."""
    peak, top, limit, i, j = _float_walk(spec, asks, bids)
    if read is not None:  # one level past the walk: a size within the band may reach it
        read[0] = i + 2
        read[1] = j + 2
    grid = Grid(spec.step_units, spec.step_scale)
    choice = choose(asks, bids, _terms(spec), grid, peak, top)
    if choice is None:
        return None
    return _opportunity(
        spec,
        asks,
        bids,
        grid.size(choice.k),
        choice.cost,
        choice.proceeds,
        choice.buy_levels,
        choice.sell_levels,
        choice.buy_worst,
        choice.sell_worst,
        limit,
        grid.size(choice.max_k),
        now_ms,
    )


def _float_walk(spec: VenuePairSpec, asks: list[Level], bids: list[Level]) -> tuple[float, float, str, int, int]:
    """In floats: the argmax ``peak`` of G, the largest size ``top`` with G >= 0 within depth and cap, what
    stopped the size, and the last ask and bid level read."""
    a, b, cap = spec.buy_factor, spec.sell_factor, spec.max_notional
    ap, aq = asks[0]
    bp, bq = bids[0]
    na = len(asks)
    nb = len(bids)
    i = j = 0
    q = cost = proceeds = 0.0
    while True:  # merged segments while the marginal edge clears the hurdle
        seg = aq if aq < bq else bq
        if cost + ap * seg > cap:
            return q + (cap - cost) / ap, q + (cap - cost) / ap, LIMIT_NOTIONAL, i, j
        q += seg
        cost += ap * seg
        proceeds += bp * seg
        aq -= seg
        bq -= seg
        if aq <= 0.0:
            if i + 1 == na:
                return q, q, LIMIT_DEPTH, i, j
            i += 1
            ap, aq = asks[i]
        if bq <= 0.0:
            if j + 1 == nb:
                return q, q, LIMIT_DEPTH, i, j
            j += 1
            bp, bq = bids[j]
        if b * bp < a * ap:
            break
    peak = q
    gain = b * proceeds - a * cost
    while True:  # on through segments with a negative marginal edge to the root of G
        loss = a * ap - b * bp
        seg = aq if aq < bq else bq
        if gain < loss * seg:
            seg = gain / loss
            if cost + ap * seg > cap:
                return peak, q + (cap - cost) / ap, LIMIT_EDGE, i, j
            return peak, q + seg, LIMIT_EDGE, i, j
        if cost + ap * seg > cap:
            return peak, q + (cap - cost) / ap, LIMIT_EDGE, i, j
        q += seg
        cost += ap * seg
        gain -= loss * seg
        aq -= seg
        bq -= seg
        if aq <= 0.0:
            if i + 1 == na:
                return peak, q, LIMIT_EDGE, i, j
            i += 1
            ap, aq = asks[i]
        if bq <= 0.0:
            if j + 1 == nb:
                return peak, q, LIMIT_EDGE, i, j
            j += 1
            bp, bq = bids[j]


def _opportunity(
    spec: VenuePairSpec,
    asks: list[Level],
    bids: list[Level],
    qty: float,
    cost: float,
    proceeds: float,
    n_buy: int,
    n_sell: int,
    worst_buy: float,
    worst_sell: float,
    limit: str,
    max_qty: float,
    now_ms: int,
) -> Opportunity:
    pair_id, symbol, buy_exchange, sell_exchange, buy_fee, sell_fee, buy_cost = spec.names
    b = spec.sell_factor
    top_ask = asks[0][0]
    top_bid = bids[0][0]
    profit = proceeds * b - cost * buy_cost
    return Opportunity(
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
