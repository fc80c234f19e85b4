"""The hot path: ``evaluate_levels`` (re-exported by ``arbkit.arbitrage.evaluate``, which documents the size it
finds): the early exit in a small frame, then ``walk``, one exact walk over the two books; the rest goes to
``general``.

Compiled by mypyc at install (``setup.py``; ``arbkit.arbitrage.native`` picks the compiled module or this source):
the annotations are what the compiled code checks and unboxes, so locals keep one type (floats stay floats), and
module-level helpers are plain functions (compiled, a call between them costs a few instructions)."""

from __future__ import annotations

from typing import Any, Final

from arbkit.arbitrage.general import general
from arbkit.arbitrage.opportunity import LIMIT_DEPTH, LIMIT_EDGE, LIMIT_NOTIONAL, BookRejectedError, Opportunity
from arbkit.arbitrage.sizing import BAND
from arbkit.arbitrage.spec import VenuePairSpec
from arbkit.structs import Level

__all__ = ["evaluate_levels", "walk"]

_EXACT: Final = 2.0**53  # integers in floats are exact below this


def evaluate_levels(
    spec: VenuePairSpec, asks: list[Level], bids: list[Level], now_ms: int, read: list[int] | None = None
) -> Opportunity | None:
    """The profit-maximising size buying through ``asks`` (buy venue) and selling through ``bids``, or None.

    With ``read`` (a list of two ints), also stores how many ask and bid levels the answer depends on (what
    ``evaluate_read`` returns) without building a tuple per call. The early exit (the best marginal edge is below
    the hurdle: most calls) is decided here, in a small frame (a frame's cost grows with its locals); past it,
    ``walk``."""
    try:
        if spec.sell_factor * bids[0][0] < spec.buy_factor * asks[0][0]:  # the best marginal edge is below the hurdle
            if read is not None:
                read[0] = read[1] = 1
            return None
    except IndexError:  # an empty side (a free check: no cost unless raised)
        raise BookRejectedError(f"{spec.pair_id} {spec.buy_exchange}->{spec.sell_exchange}: empty side") from None
    except TypeError:  # compiled: levels that are not (price, size) tuples (lists, as ccxt holds them): as tuples
        tuples = _tuples(asks), _tuples(bids)
        if tuples == (asks, bids):  # they were: the error is not the levels' shape
            raise
        return evaluate_levels(spec, tuples[0], tuples[1], now_ms, read)
    return walk(spec, asks, bids, now_ms, read)


def walk(
    spec: VenuePairSpec, asks: list[Level], bids: list[Level], now_ms: int, read: list[int] | None
) -> Opportunity | None:
    """``evaluate_levels`` past the early exit: one exact walk over the two books, else ``general``.

    The fast path assumes books sorted best first and every book size it reads an exact integer at the pair's size
    scale ``S`` (a power of ten at which both venues' steps are integers, so real books' sizes are): ``_units``
    gives that integer and raises ``KeyError`` for a size that is not exact there (or for every size without a
    step grid): the call goes to ``general``. Positions along the books are then exact integers (held in floats,
    checked below 2**53 at the end): where each level ends, the peak, the grid sizes (multiples of ``U``, the step
    at scale ``S``), so a grid size at a level boundary needs no tolerance and the levels are counted from the size
    itself. Money stays in floats. What is still decided in
    floats (the cap, the root of ``G``, the minimums, a tie between the grid sizes either side of the peak, ``G``
    near 0 at the end of the book) goes to ``general`` when it falls within the band of a decision."""
    a, b, cap, cap_low, units, scale, min_qty, buy_min, sell_min, S, U = spec.hot
    la = len(asks) - 1
    lb = len(bids) - 1
    try:
        through = b * bids[lb][0] >= a * asks[la][0]
        if through:
            # The last levels still clear the hurdle, so every segment does (books are sorted best first) and G
            # only grows: the size is the books' depth on the grid, one pass per side, unless the cap cuts it.
            ea, qcost = _depth(asks, S)
            eb, qproceeds = _depth(bids, S)
            worst_buy = asks[la][0]
            worst_sell = bids[lb][0]
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
                qcost, n_buy, worst_buy = _take(asks, g, S)
            if g != eb:
                qproceeds, n_sell, worst_sell = _take(bids, g, S)
            i = la
            j = lb
            limit = LIMIT_DEPTH
            through = qcost <= cap_low
        if not through:
            ap, s = asks[0]
            ea = _units(s, S)
            bp, s = bids[0]
            eb = _units(s, S)
            i = j = 0
            pos = cost = proceeds = 0.0
            # Phase 1: merged segments (one ask and one bid price each, so G is linear within one) while the
            # marginal edge clears the hurdle. ``ea`` / ``eb``: where the current ask / bid level ends; ``pos``:
            # where the walk is (at scale S). Each segment taken is P (from ``start`` to ``pos``, levels ``pi``,
            # ``pj`` at prices ``worst_buy``, ``worst_sell``); at its end the side (or sides) whose level ends
            # there moves on to its next level, the segment N, and the walk stops there when N's marginal edge is
            # below the hurdle. The depth stops it at the end of P, the cap inside the segment it cuts (from
            # ``pos``); both before any move, so i, j, ap, bp are still that segment's.
            while True:
                end = ea if ea < eb else eb
                seg = (end - pos) / S
                c = cost + ap * seg
                if c > cap:
                    limit = LIMIT_NOTIONAL
                    break
                cost = c
                proceeds += bp * seg
                start = pos
                pos = end
                pi = i  # P's levels and prices, kept when the walk moves on to N
                pj = j
                worst_buy = ap
                worst_sell = bp
                if ea == end:
                    if i == la or (eb == end and j == lb):
                        limit = LIMIT_DEPTH
                        break
                    i += 1
                    ap, s = asks[i]
                    ea += _units(s, S)
                if eb == end:
                    if j == lb:
                        limit = LIMIT_DEPTH
                        break
                    j += 1
                    bp, s = bids[j]
                    eb += _units(s, S)
                if b * bp < a * ap:
                    limit = LIMIT_EDGE
                    break
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
                    if g <= start:  # before P
                        return general(spec, asks, bids, now_ms, read)
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
                    return general(spec, asks, bids, now_ms, read)
                d = (g - pos) / S
                qcost, qproceeds = cost + ap * d, proceeds + bp * d
                n_buy, n_sell, worst_buy, worst_sell = i + 1, j + 1, ap, bp
            else:  # G peaks at pos, the end of P: the grid size there, else the better of those either side
                # (in P, in N)
                k = pos // U
                qcost = cost
                qproceeds = proceeds
                n_buy = pi + 1  # P's levels (and prices: worst_buy, worst_sell)
                n_sell = pj + 1
                g = k * U
                if g != pos or not k:
                    g += U
                    if g > (ea if ea < eb else eb):  # past N
                        return general(spec, asks, bids, now_ms, read)
                    d = (g - pos) / S
                    c = cost + ap * d
                    if c > cap_low:
                        return general(spec, asks, bids, now_ms, read)
                    p = proceeds + bp * d
                    gain = b * p - a * c
                    if k:  # k in P or k + 1 in N, whichever earns more (ties: the larger)
                        g -= U
                        if g <= start:  # before P
                            return general(spec, asks, bids, now_ms, read)
                        d = (pos - g) / S
                        qcost -= worst_buy * d
                        qproceeds -= worst_sell * d
                        diff = gain - (b * qproceeds - a * qcost)
                        band = BAND * (b * p + a * c)
                        if -band <= diff <= band:  # a tie within float noise: the general path settles it exactly
                            return general(spec, asks, bids, now_ms, read)
                        take_n = diff > 0.0
                    else:  # k + 1 alone, when G is clearly positive there
                        take_n = gain > BAND * (b * p + a * c)
                        if not take_n:
                            return general(spec, asks, bids, now_ms, read)
                    if take_n:
                        k += 1.0
                        qcost, qproceeds, n_buy, n_sell, worst_buy, worst_sell = c, p, i + 1, j + 1, ap, bp
                # Phase 2: on through segments with a negative marginal edge to the root of G (max_quantity)
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
                        ea += _units(s, S)
                    if eb == end:
                        if j == lb:
                            at_end = True
                            break
                        j += 1
                        bp, s = bids[j]
                        eb += _units(s, S)
                if at_end:  # the book ran out with G >= 0: the largest grid size in it, when G is clearly positive
                    if gain <= BAND * cost:
                        return general(spec, asks, bids, now_ms, read)
                    max_k = pos // U
                else:
                    x = (pos + seg * S) / U
                    max_k = x // 1.0
                    band = BAND * x + BAND
                    x -= max_k
                    if x <= band or x >= 1.0 - band:
                        return general(spec, asks, bids, now_ms, read)
        qty = k * units / scale
        if qty < min_qty or qty * worst_buy < buy_min or qty * worst_sell < sell_min:
            return general(spec, asks, bids, now_ms, read)  # a minimum binds (or nearly): the general path scans
        if ea + eb >= _EXACT:  # positions past 2**53 were not exact in floats
            return general(spec, asks, bids, now_ms, read)
    except (KeyError, TypeError):  # a book size that is no exact integer at the pair's size scale (or no step
        # grid); compiled, also a level that is not a (price, size) tuple of numbers (a list, say)
        return general(spec, asks, bids, now_ms, read)
    if read is not None:
        read[0] = i + 2
        read[1] = j + 2
    # the Opportunity inline (as in ``general.opportunity``): a call costs a tenth of the evaluation here
    names = spec.names
    assert names is not None  # make_spec sets it; without ``hot`` (no step grid) the walk never gets here
    pair_id, symbol, buy_exchange, sell_exchange, buy_fee, sell_fee, buy_cost = names
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


def _depth(levels: list[Level], S: float) -> tuple[float, float]:
    """A whole side: its depth in integers at scale ``S`` (``_units``) and its quote value."""
    end = value = 0.0
    for price, size in levels:
        end += _units(size, S)
        value += price * size
    return end, value


def _tuples(levels: list[Any]) -> list[Level]:
    return [(float(price), float(size)) for price, size in levels]


def _take(levels: list[Level], g: float, S: float) -> tuple[float, int, float]:
    """Quote value, levels touched and worst price of taking ``g`` (at scale ``S``, within the book) exactly."""
    end = value = 0.0
    n = 0
    for price, size in levels:
        n += 1
        r = _units(size, S)
        if end + r >= g:
            return value + price * ((g - end) / S), n, price
        end += r
        value += price * size
    raise AssertionError("a size within the book")


def _units(size: float, S: float) -> float:
    """``size * S`` when it is an exact integer at scale ``S`` (the decimal the float stands for has no more
    decimals than the scale), else ``KeyError``: more decimals, more than 15 digits, an empty level, or no step grid
    (``S`` 0). The integer ``u`` nearest ``size * S`` is it when ``u / S == size``: a division of exact integers is
    correctly rounded, so it gives back ``size`` exactly when the decimal ``u / S`` is the one ``size`` stands for.
    Arithmetic, not a lookup: compiled, about 230 instructions (most in the floor division's ``fmod``), where a
    dict lookup keyed by a float took about 550 (hashing a freshly boxed float, then comparing it)."""
    x = size * S
    if 0.0 < x < 1e15:  # at most 15 digits: the integer's decimal is the one the float stands for
        u = (x + 0.5) // 1.0  # x + 0.5 is exact below 2**50
        if u / S == size:
            return u
    raise KeyError(size)
