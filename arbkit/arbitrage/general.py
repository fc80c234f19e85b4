"""The general path of ``evaluate_levels``: whatever the exact walk (``walk``) does not settle (book sizes with more
decimals than the steps, a decision within the tolerance band, no step grid, a minimum that binds). A float walk
finds the continuous argmax and root of ``G``; ``sizing.choose`` puts the size on the grid, settling every decision
within the band exactly. Slower (tens of microseconds), and rare on real books."""

from __future__ import annotations

from arbkit.arbitrage.opportunity import LIMIT_DEPTH, LIMIT_EDGE, LIMIT_NOTIONAL, Opportunity
from arbkit.arbitrage.sizing import Grid, Terms, choose
from arbkit.arbitrage.spec import VenuePairSpec
from arbkit.structs import Level

__all__ = ["general", "opportunity"]


def general(
    spec: VenuePairSpec, asks: list[Level], bids: list[Level], now_ms: int, read: list[int] | None
) -> Opportunity | None:
    """``evaluate_levels`` past the early exit, for what the exact walk does not settle."""
    peak, top, limit, i, j = _float_walk(spec, asks, bids)
    if read is not None:  # one level past the walk: a size within the band may reach it
        read[0] = i + 2
        read[1] = j + 2
    grid = Grid(spec.step_units, spec.step_scale)
    choice = choose(asks, bids, _terms(spec), grid, peak, top)
    if choice is None:
        return None
    return opportunity(
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


def opportunity(
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
    """The Opportunity for a chosen size (``walk`` builds the same one inline)."""
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
