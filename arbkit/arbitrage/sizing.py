"""Choosing the size on the step grid, exactly: the general path behind ``evaluate_levels``' fast path.

Quantities are decimals on the common step grid (``k * step``); books carry floats that stand for decimals
(``repr``). Float results are rounded with a tolerance scaled to their magnitude (``BAND``); whenever a decision
falls inside that band (a size at a level boundary, a cost at the cap, a notional at a minimum, ``G`` at zero)
it is settled exactly in decimal arithmetic, so no size is ever one step short, one step past the book or the
cap, or counted against a level it does not touch.

API (used by ``evaluate``): ``Grid``, ``choose(...) -> Choice | None`` (the general path), ``cum_cmp`` (an exact
level boundary test).
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

from arbkit.structs import Level

__all__ = [
    "BAND",
    "Choice",
    "Grid",
    "Terms",
    "choose",
    "cum_cmp",
    "cum_cmp_units",
    "dec",
]

BAND = 1e-9  # relative: float decisions closer than this to a boundary are settled exactly


def dec(x: float) -> Fraction:
    """The decimal a float stands for (its shortest repr), exactly."""
    return Fraction(*Decimal(repr(x)).as_integer_ratio())


class Terms(NamedTuple):
    """The constants of one ordered venue pair that sizing needs (see ``VenuePairSpec``)."""

    buy_fee: float
    sell_fee: float
    min_profit_bps: float
    buy_factor: float  # a = 1 + buy_fee + min_profit_bps / 1e4
    sell_factor: float  # b = 1 - sell_fee
    max_notional: float
    min_quantity: float
    buy_min_notional: float
    sell_min_notional: float


class Grid:
    """The common step grid: size ``k`` is ``k * units / scale`` (integers); ``units == 0`` means continuous."""

    __slots__ = ("scale", "units")

    def __init__(self, units: int, scale: int) -> None:
        self.units = units
        self.scale = scale

    def size(self, k: float) -> float:
        return k * self.units / self.scale if self.units else k

    def exact(self, k: float) -> Fraction:
        return Fraction(int(k) * self.units, self.scale) if self.units else Fraction(k)

    def index(self, q: float) -> float:
        return q * self.scale / self.units if self.units else q

    def floor(self, q: float) -> float:
        """Largest index whose size is at most ``q``, or one more when ``q`` sits within the band below it."""
        if not self.units:
            return q
        x = q * self.scale / self.units
        return math.floor(x + BAND * x + BAND)

    def ceil_low(self, q: float) -> float:
        """An index no larger than the smallest whose size is at least ``q`` (it may be one below)."""
        if not self.units:
            return q
        x = q * self.scale / self.units
        return max(math.ceil(x - BAND * x - BAND), 0)

    def after(self, k: float) -> float:
        return k + 1 if self.units else math.nextafter(k, math.inf)

    def before(self, k: float) -> float:
        return k - 1 if self.units else math.nextafter(k, -math.inf)

    def positive(self, k: float) -> bool:
        return k >= 1 if self.units else k > 0.0


def cum_cmp(levels: list[Level], n: int, grid: Grid, k: float) -> int:
    """Sign of (sum of the first ``n`` level sizes) - (size ``k``), in exact decimals."""
    if grid.units:
        return cum_cmp_units(levels, n, grid.units, grid.scale, int(k))
    diff = sum((dec(size) for _, size in levels[:n]), Fraction(0)) - grid.exact(k)
    return (diff > 0) - (diff < 0)


_SCALED: dict[int, dict[float, int]] = {}  # scale -> {size: size * scale when an exact integer there, else -1}
_SCALED_MAX = 1 << 16  # entries per scale before the memo starts afresh


def cum_cmp_units(levels: list[Level], n: int, units: int, scale: int, k: int) -> int:
    """``cum_cmp`` on a step grid: integers at the step's scale when every size has no more decimals than the
    step (the usual case, cheap), else exact fractions. Each size's integer is memoised per scale (a pure function
    of the float; books repeat their sizes from update to update)."""
    memo = _SCALED.get(scale)
    if memo is None or len(memo) > _SCALED_MAX:
        memo = _SCALED[scale] = {}
    get = memo.get
    total = 0
    for _, size in levels[:n] if n < len(levels) else levels:
        r = get(size)
        if r is None:
            x = size * scale
            r = int(x + 0.5)
            if r / scale != size or x >= 1e15:  # not a decimal with the step's decimals (or too many digits)
                r = -1
            memo[size] = r
        if r < 0:
            diff = sum((dec(s) for _, s in levels[:n]), Fraction(0)) - Fraction(k * units, scale)
            return (diff > 0) - (diff < 0)
        total += r
    diff = total - k * units
    return (diff > 0) - (diff < 0)


def exact_value(levels: list[Level], n: int, grid: Grid, k: float) -> Fraction:
    """Exact quote value of taking size ``k`` through ``levels`` (it ends in level ``n``, 1-based)."""
    value = Fraction(0)
    rem = grid.exact(k)
    for price, size in levels[: n - 1]:
        value += dec(price) * dec(size)
        rem -= dec(size)
    return value + dec(levels[n - 1][0]) * rem


class Take(NamedTuple):
    """Taking one size through one side: quote value, levels touched, worst price, and where that level starts."""

    value: float
    levels: int
    worst: float
    level_start: float
    level_end: float


def take(levels: list[Level], grid: Grid, k: float) -> Take | None:
    """Walk ``levels`` for size ``k``; None when the book is too thin (settled exactly at the boundary)."""
    g = grid.size(k)
    rem = g
    value = 0.0
    cum = 0.0
    band = BAND * g if grid.units else 0.0
    for n, (price, size) in enumerate(levels, 1):
        d = size - rem
        if d > band or (d >= -band and (not grid.units or cum_cmp(levels, n, grid, k) >= 0)):
            return Take(value + price * rem, n, price, cum, cum + size)
        value += price * size
        rem -= size
        cum += size
    return None


class Choice(NamedTuple):
    """The chosen size (grid index ``k``) and everything the Opportunity reports about it."""

    k: float
    cost: float
    proceeds: float
    buy_levels: int
    sell_levels: int
    buy_worst: float
    sell_worst: float
    max_k: float


class _Probe(NamedTuple):
    k: float
    buy: Take
    sell: Take
    gain: float  # G = b * proceeds - a * cost


def _sign(x: float, scale: float, exact: object) -> int:
    """Sign of ``x`` with an exact fallback (``exact()`` -> Fraction) when ``|x|`` is within the band of ``scale``."""
    if x > BAND * scale:
        return 1
    if x < -BAND * scale:
        return -1
    diff = exact()  # type: ignore[operator]
    return (diff > 0) - (diff < 0)


def choose(asks: list[Level], bids: list[Level], terms: Terms, grid: Grid, peak: float, top: float) -> Choice | None:
    """The feasible size that maximises ``G`` (ties: the larger), given the continuous argmax ``peak`` and the
    largest continuous size ``top`` with ``G >= 0`` within depth and cap."""
    a, b = terms.buy_factor, terms.sell_factor

    def probe(k: float) -> _Probe | None:
        buy = take(asks, grid, k)
        sell = take(bids, grid, k) if buy is not None else None
        if buy is None or sell is None:
            return None
        cap = terms.max_notional
        if buy.value > cap * (1.0 - BAND):
            if _sign(cap - buy.value, cap, lambda: dec(cap) - exact_value(asks, buy.levels, grid, k)) < 0:
                return None
        return _Probe(k, buy, sell, b * sell.value - a * buy.value)

    def exact_gain(p: _Probe) -> Fraction:
        ea = 1 + dec(terms.buy_fee) + dec(terms.min_profit_bps) / 10_000
        eb = 1 - dec(terms.sell_fee)
        k = p.k
        return eb * exact_value(bids, p.sell.levels, grid, k) - ea * exact_value(asks, p.buy.levels, grid, k)

    def gain_ok(p: _Probe) -> bool:
        return _sign(p.gain, b * p.sell.value + a * p.buy.value, lambda: exact_gain(p)) >= 0

    def at_least(p: _Probe, other: _Probe) -> bool:
        """G at ``p`` >= G at ``other``, exactly when the floats are within the band (ties go to the larger)."""
        scale = b * p.sell.value + a * p.buy.value
        return _sign(p.gain - other.gain, scale, lambda: exact_gain(p) - exact_gain(other)) >= 0

    # the largest good size (max_quantity): floor of ``top``, stepped down until it is within the books, the cap
    # and G >= 0 (one step at most unless the float root is badly conditioned)
    kmax = grid.floor(top)
    while grid.positive(kmax):
        p = probe(kmax)
        if p is not None and gain_ok(p):
            break
        kmax = grid.before(kmax) if grid.units else _shrink(kmax)
    else:
        return None
    # the grid argmax: floor or ceil of ``peak`` (one more either side covers the band)
    best: _Probe | None = None
    if grid.units:
        k0 = grid.floor(peak)
        candidates = [k for k in (k0 - 1, k0, k0 + 1) if 1 <= k <= kmax] or [kmax]
    else:
        candidates = [min(peak, kmax)]
    for k in candidates:
        p = probe(k)
        if p is not None and (best is None or at_least(p, best)):
            best = p
    if best is None:
        return None
    if _meets_minimums(best, terms, grid):
        return _choice(best, kmax)
    left = _scan_left(best, terms, grid, probe)
    right = _scan_right(best, terms, grid, probe, kmax)
    if right is not None and (left is None or at_least(right, left)):
        return _choice(right, kmax) if gain_ok(right) else None
    return _choice(left, kmax) if left is not None and gain_ok(left) else None


def _shrink(q: float) -> float:
    """Continuous sizes: step down by the float noise of ``q`` (a root just past the true one)."""
    return q * (1.0 - 4 * BAND)


def _choice(p: _Probe, max_k: float) -> Choice:
    buy, sell = p.buy, p.sell
    return Choice(p.k, buy.value, sell.value, buy.levels, sell.levels, buy.worst, sell.worst, max_k)


def _at_least(x: float, minimum: float, exact: object) -> bool:
    if minimum <= 0.0:
        return True
    return _sign(x - minimum, minimum, exact) >= 0


def _failing(p: _Probe, terms: Terms, grid: Grid) -> str | None:
    """Which minimum size ``p.k`` fails: ``"quantity"``, ``"buy"`` or ``"sell"`` notional, or None."""
    g, k = grid.size(p.k), p.k
    mq = terms.min_quantity
    if not _at_least(g, mq, lambda: grid.exact(k) - dec(mq)):
        return "quantity"
    bmn, smn = terms.buy_min_notional, terms.sell_min_notional
    if not _at_least(g * p.buy.worst, bmn, lambda: grid.exact(k) * dec(p.buy.worst) - dec(bmn)):
        return "buy"
    if not _at_least(g * p.sell.worst, smn, lambda: grid.exact(k) * dec(p.sell.worst) - dec(smn)):
        return "sell"
    return None


def _meets_minimums(p: _Probe, terms: Terms, grid: Grid) -> bool:
    return _failing(p, terms, grid) is None


def _scan_right(best: _Probe, terms: Terms, grid: Grid, probe: object, kmax: float) -> _Probe | None:
    """The smallest feasible size above ``best`` (G falls to the right, so the smallest is the best there)."""
    k = best.k
    p: _Probe | None = best
    while p is not None:
        why = _failing(p, terms, grid)
        if why is None:
            return p
        if why == "quantity":
            nxt = grid.ceil_low(terms.min_quantity)
        elif why == "buy":  # the threshold at this price, or the first size on the next (dearer) level
            nxt = min(grid.ceil_low(terms.buy_min_notional / p.buy.worst), grid.ceil_low(p.buy.level_end))
        else:  # within this bid level at its threshold, else the first size on the next level
            nxt = grid.ceil_low(terms.sell_min_notional / p.sell.worst)
            if grid.size(nxt) > p.sell.level_end * (1.0 + BAND):
                nxt = grid.ceil_low(p.sell.level_end)
        k = max(nxt, grid.after(k))
        if k > kmax:
            return None
        p = probe(k)  # type: ignore[operator]
    return None


def _scan_left(best: _Probe, terms: Terms, grid: Grid, probe: object) -> _Probe | None:
    """The largest feasible size below ``best``; only a sell-side notional minimum can be met further down."""
    p: _Probe | None = best
    while p is not None:
        why = _failing(p, terms, grid)
        if why is None:
            return p
        if why != "sell":  # quantity and buy notional only grow with the size
            return None
        k = min(grid.floor(p.sell.level_start), grid.before(p.k))
        if not grid.positive(k):
            return None
        p = probe(k)  # type: ignore[operator]
    return None
