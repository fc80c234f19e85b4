"""``evaluate_levels`` against an exact rational reference on random books (hypothesis, derandomized).

The suite runs a fixed, derandomized 300 cases; the long campaign (5,000 cases or more) is the same test with
``ARBKIT_SIZING_EXAMPLES`` set: ``PYTHONPATH=. python benchmarks/sizing_campaign.py`` (issue 10).

The reference is independent of the walk: it cuts the two books into merged segments in exact decimal arithmetic
(``Fraction(repr(x))``), finds on each segment the interval of feasible grid sizes (minimums, cap, depth), and
evaluates ``G`` exactly at its two ends (``G`` is linear on a segment, so its maximum there is at an end).
"""

from __future__ import annotations

import itertools
import math
import os
import random
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arbkit.arbitrage.evaluate import VenuePairSpec, evaluate_levels, make_spec
from arbkit.structs import Level, Symbol, SymbolInfo

BTC = Symbol.parse("BTC/USDT")
EXAMPLES = int(os.environ.get("ARBKIT_SIZING_EXAMPLES", "300"))  # the suite's budget; the campaign raises it


def D(x: float) -> Fraction:
    """The decimal a float stands for, exactly."""
    return Fraction(*Decimal(repr(x)).as_integer_ratio())


class Ref(NamedTuple):
    k: int
    quantity: Fraction
    cost: Fraction
    proceeds: Fraction
    buy_levels: int
    sell_levels: int
    buy_worst: Fraction
    sell_worst: Fraction
    max_k: int


def _cums(levels: list[Level]) -> list[Fraction]:
    out, total = [], Fraction(0)
    for _, size in levels:
        total += D(size)
        out.append(total)
    return out


def reference(spec: VenuePairSpec, asks: list[Level], bids: list[Level]) -> Ref | None:
    """The exact answer: the feasible grid size maximising G (ties: the larger), or None."""
    step = D(spec.step)
    bf, sf, h = D(spec.buy_fee), D(spec.sell_fee), D(spec.min_profit_bps) / 10_000
    a, b = 1 + bf + h, 1 - sf
    cap = None if math.isinf(spec.max_notional) else D(spec.max_notional)
    mq, bmn, smn = D(spec.min_quantity), D(spec.buy_min_notional), D(spec.sell_min_notional)
    ca, cb = _cums(asks), _cums(bids)
    depth = min(ca[-1], cb[-1])
    points = sorted({Fraction(0), *(c for c in ca + cb if c <= depth)})
    best: tuple[Fraction, int, tuple] | None = None  # (G, k, details)
    max_k = 0
    cost0 = proc0 = Fraction(0)
    i = j = 0
    for lo, hi in itertools.pairwise(points):
        while ca[i] <= lo:
            i += 1
        while cb[j] <= lo:
            j += 1
        pa, pb = D(asks[i][0]), D(bids[j][0])
        slope = b * pb - a * pa
        g_lo = b * proc0 - a * cost0
        if g_lo < 0 or (cap is not None and cost0 > cap):
            break  # G is concave from G(0) = 0 and cost only grows: nothing further is good

        def cost_at(q: Fraction, pa: Fraction = pa, lo: Fraction = lo, c0: Fraction = cost0) -> Fraction:
            return c0 + pa * (q - lo)

        upper = hi if cap is None else min(hi, lo + (cap - cost0) / pa)
        k_lo = math.floor(lo / step) + 1  # the first grid size in (lo, hi]
        k_hi = math.floor(upper / step) if upper >= lo else k_lo - 1
        # max_quantity: the largest k in the segment with G >= 0 (no minimums)
        if k_lo <= k_hi:
            if slope >= 0:
                k_top = k_hi
            else:
                k_top = min(k_hi, math.floor((lo + g_lo / -slope) / step))
            if k_top >= k_lo:
                max_k = max(max_k, k_top)
        # quantity: minimums narrow the feasible interval from below
        lows = [k_lo, math.ceil(mq / step), math.ceil(bmn / pa / step), math.ceil(smn / pb / step), 1]
        f_lo = max(lows)
        for k in {f_lo, k_hi}:
            if f_lo <= k <= k_hi:
                q = k * step
                gain = g_lo + slope * (q - lo)
                if gain < 0:
                    continue
                detail = (cost_at(q), proc0 + pb * (q - lo), i + 1, j + 1, pa, pb)
                if best is None or gain > best[0] or (gain == best[0] and k > best[1]):
                    best = (gain, k, detail)
        cost0 += pa * (hi - lo)
        proc0 += pb * (hi - lo)
    if best is None:
        return None
    _, k, (cost, proc, nb, ns, wa, wb) = best
    return Ref(k, k * step, cost, proc, nb, ns, wa, wb, max_k)


# ------------------------------------------------------------------------------------------- strategies


def _decimal(x: float, digits: int) -> float:
    return float(f"{x:.{digits}g}")


@st.composite
def cases(draw: st.DrawFn) -> tuple[VenuePairSpec, list[Level], list[Level]]:
    """Two venues' steps (same, nested, lcm or unrelated), books of 1-30 levels around a price in 1e-8..1e6 with
    sizes on the grid, off it, or a hair below a grid size, and random minimums, caps and fees."""
    rnd = random.Random(draw(st.integers(0, 2**63)))  # hypothesis picks the seed; plain draws keep it fast
    step_a = float(Fraction(rnd.choice([1, 1, 2, 4, 5, 6, 25])) / Fraction(10) ** rnd.randint(-3, 8))
    relation = draw(st.sampled_from(["same", "nested", "lcm", "other"]))
    if relation == "same":
        step_b = step_a
    elif relation == "nested":
        step_b = float(D(step_a) * rnd.choice([10, 100, 2, 5]))
    elif relation == "lcm":
        step_b = float(D(step_a) * Fraction(3, 2))
    else:
        step_b = float(Fraction(rnd.choice([1, 3, 5])) / Fraction(10) ** rnd.randint(-3, 8))
    step = max(step_a, step_b)
    price = _decimal(10 ** rnd.uniform(-8, 6), 6)
    n_a, n_b = draw(st.integers(1, 30)), draw(st.integers(1, 30))
    lots = rnd.choice([1, 3, 10, 1000, 10**6])  # a typical level holds about this many steps

    exact_step = Decimal(repr(step))

    def size() -> float:
        kind = rnd.choice(["grid", "grid", "decimal", "near"])
        units = rnd.randint(1, 2 * lots)
        if kind == "grid":
            return float(exact_step * units)
        if kind == "near":
            return float(exact_step * units - exact_step.scaleb(-10))
        return _decimal(step * units * rnd.uniform(0.1, 1.9), rnd.randint(2, 10))

    spread = draw(st.sampled_from([-0.002, 0.0, 0.001, 0.003, 0.01]))
    tick = rnd.uniform(0.00001, 0.003)
    asks = [(_decimal(price * (1 + tick * n), 8), size()) for n in range(n_a)]
    bids = [(_decimal(price * (1 + spread - tick * n * rnd.uniform(0.5, 1.5)), 8), size()) for n in range(n_b)]
    bids.sort(key=lambda level: -level[0])
    notional = price * step * lots
    fee = rnd.choice([0.0, 0.0, 0.001, 0.00075, 0.002])
    bps = rnd.choice([0.0, 0.0, 5.0, 25.0, 50.0])
    cap = rnd.choice([None, None, _decimal(notional * rnd.uniform(0.01, 3.0), 6)])
    min_qty = rnd.choice([0.0, float(D(step) * rnd.randint(1, 3 * lots))])
    buy_min, sell_min = (rnd.choice([0.0, _decimal(notional * rnd.uniform(0.01, 3.0), 4)]) for _ in range(2))
    buy = SymbolInfo("a", BTC, 0.01, step_a, min_quantity=min_qty, min_notional=buy_min, taker_fee=fee)
    sell = SymbolInfo("b", BTC, 0.01, step_b, min_quantity=0.0, min_notional=sell_min, taker_fee=fee)
    return make_spec("p", buy, sell, bps, cap), asks, bids


@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(cases())
def test_matches_the_exact_reference(case: tuple[VenuePairSpec, list[Level], list[Level]]) -> None:
    spec, asks, bids = case
    ref = reference(spec, asks, bids)
    opp = evaluate_levels(spec, asks, bids, 0)
    assert (opp is None) == (ref is None), (ref, opp)
    if opp is None or ref is None:
        return
    step = D(spec.step)
    assert D(opp.quantity) == ref.quantity, (opp.quantity, float(ref.quantity))
    assert D(opp.max_quantity) == ref.max_k * step, (opp.max_quantity, float(ref.max_k * step))
    assert opp.max_quantity >= opp.quantity
    assert (opp.buy_levels, opp.sell_levels) == (ref.buy_levels, ref.sell_levels)
    assert (D(opp.buy_worst_price), D(opp.sell_worst_price)) == (ref.buy_worst, ref.sell_worst)
    assert math.isclose(opp.notional, float(ref.cost), rel_tol=1e-9)
    profit = float((1 - D(spec.sell_fee)) * ref.proceeds - (1 + D(spec.buy_fee)) * ref.cost)
    assert abs(opp.profit_quote - profit) <= 1e-9 * float(ref.cost)
