"""Depth- and fee-aware evaluation: hand-computed cases, plus a brute-force check of maximality."""

from __future__ import annotations

import random

import pytest

from arbkit.arbitrage.evaluate import (
    LIMIT_DEPTH,
    LIMIT_EDGE,
    LIMIT_NOTIONAL,
    BookRejectedError,
    common_step,
    evaluate_books,
    evaluate_levels,
    make_spec,
    top_of_book_edge_bps,
)
from arbkit.structs import Level, OrderBook, Symbol, SymbolInfo

BTC = Symbol.parse("BTC/USDT")


def info(
    exchange: str, step: float = 0.01, fee: float = 0.0, min_qty: float = 0.0, min_notional: float = 0.0
) -> SymbolInfo:
    return SymbolInfo(
        exchange, BTC, tick_size=0.01, step_size=step, min_quantity=min_qty, min_notional=min_notional, taker_fee=fee
    )


def spec(bps: float = 0.0, fee: float = 0.0, cap: float | None = None, step: float = 0.01, **kw: float):
    return make_spec("btc_usdt", info("a", step, fee, **kw), info("b", step, fee, **kw), bps, cap)


def test_single_level_with_fees() -> None:
    # buy 1 @ 100, sell 1 @ 101, 0.1% taker each side: profit = 101*0.999 - 100*1.001 = 0.799
    opp = evaluate_levels(spec(fee=0.001), [(100.0, 1.0)], [(101.0, 1.0)], 123)
    assert opp is not None
    assert opp.quantity == 1.0
    assert opp.buy_vwap == 100.0 and opp.sell_vwap == 101.0
    assert opp.notional == pytest.approx(100.0)
    assert opp.profit_quote == pytest.approx(0.799)
    assert opp.edge_bps == pytest.approx(79.9)
    assert opp.top_edge_bps == pytest.approx(79.9)
    assert opp.top_raw_edge_bps == pytest.approx(100.0)
    assert (opp.buy_levels, opp.sell_levels) == (1, 1)
    assert opp.limited_by == LIMIT_DEPTH
    assert opp.timestamp_ms == 123
    assert opp.key == ("btc_usdt", "a", "b")
    assert (opp.buy_fee, opp.sell_fee) == (0.001, 0.001)


def test_fees_eat_the_raw_edge() -> None:
    # raw edge 15 bps, fees 10 bps a side: nothing left
    assert evaluate_levels(spec(fee=0.001), [(100.0, 1.0)], [(100.15, 1.0)], 0) is None
    assert evaluate_levels(spec(), [(100.0, 1.0)], [(100.15, 1.0)], 0) is not None


def test_worked_example_with_a_hurdle_stops_where_the_margin_stops_paying() -> None:
    # No fees, 50 bps: G's slope is +0.5 on the first segment, -0.102 on the second, -1.005 on the third: size 1.
    asks = [(100.0, 1.0), (100.4, 1.0), (101.0, 5.0)]
    bids = [(101.0, 1.0), (100.8, 1.0), (100.5, 5.0)]
    opp = evaluate_levels(spec(bps=50.0), asks, bids, 0)
    assert opp is not None
    assert opp.quantity == 1.0
    assert (opp.buy_vwap, opp.sell_vwap) == (100.0, 101.0)
    assert opp.notional == pytest.approx(100.0)
    assert opp.profit_quote == pytest.approx(1.0)
    assert opp.edge_bps == pytest.approx(100.0)
    assert (opp.buy_levels, opp.sell_levels) == (1, 1)
    assert opp.limited_by == LIMIT_EDGE
    assert (opp.buy_worst_price, opp.sell_worst_price) == (100.0, 101.0)
    # the old figure, kept: the largest size whose average edge still clears 50 bps (2.39, notional 239.79)
    assert opp.max_quantity == 2.39
    # with a 0 bps hurdle the second segment pays too (+0.4): the profit-maximising size is 2
    flat = evaluate_levels(spec(), asks, bids, 0)
    assert flat is not None and flat.quantity == 2.0 and flat.profit_quote == pytest.approx(1.4)
    assert (flat.buy_levels, flat.sell_levels) == (2, 2) and flat.sell_worst_price == 100.8


def test_size_is_not_the_largest_root() -> None:
    # buying 1.00 earns 1.00; the old largest-root size 1.33 earned 0.01
    opp = evaluate_levels(spec(), [(100.0, 1.0), (102.0, 10.0)], [(101.0, 1.0), (99.0, 10.0)], 0)
    assert opp is not None
    assert opp.quantity == 1.0 and opp.profit_quote == pytest.approx(1.0)
    assert opp.max_quantity == 1.33


def test_ties_take_the_largest_size() -> None:
    # a zero marginal edge on the second segment: the same G at 1 and 2, so 2
    opp = evaluate_levels(spec(), [(100.0, 1.0), (100.0, 1.0)], [(101.0, 1.0), (100.0, 1.0), (99.0, 1.0)], 0)
    assert opp is not None and opp.quantity == 2.0 and opp.profit_quote == pytest.approx(1.0)


def test_unaligned_levels() -> None:
    # asks: 0.5 @ 100 then 2 @ 100.2; bids: 2 @ 100.6 then 1 @ 99. No fees, 0 bps. Segments: 0.5 (100|100.6)
    # +0.6, 1.5 (100.2|100.6) +0.4 -> G = 0.9 at q=2, then (100.2|99) -1.2: the size is 2, the old figure 2.5.
    asks = [(100.0, 0.5), (100.2, 2.0)]
    bids = [(100.6, 2.0), (99.0, 1.0)]
    opp = evaluate_levels(spec(), asks, bids, 0)
    assert opp is not None
    assert opp.quantity == 2.0
    assert opp.limited_by == LIMIT_EDGE
    assert opp.notional == pytest.approx(50.0 + 150.3)
    assert opp.profit_quote == pytest.approx(0.9)
    assert (opp.buy_levels, opp.sell_levels) == (2, 1)
    assert opp.max_quantity == 2.5


def test_a_minimum_quantity_forces_the_smallest_feasible_larger_size() -> None:
    asks, bids = [(100.0, 1.0), (100.5, 5.0)], [(101.0, 1.0), (100.2, 5.0)]
    opp = evaluate_levels(spec(min_qty=1.5), asks, bids, 0)
    assert opp is not None and opp.quantity == 1.5
    assert opp.profit_quote == pytest.approx(1.0 - 0.3 * 0.5)
    assert evaluate_levels(spec(min_qty=5.0), asks, bids, 0) is None  # G < 0 by then


def test_min_notional_is_checked_at_the_worst_price_touched() -> None:
    # peak at 0.1 (the cheap level); 30 of buy notional needs 0.15 at the worst price 200 (0.2 by the VWAP)
    asks, bids = [(100.0, 0.1), (200.0, 1.0)], [(150.0, 2.0)]
    s = make_spec("p", info("a", min_notional=30.0), info("b"), 0.0)
    opp = evaluate_levels(s, asks, bids, 0)
    assert opp is not None and opp.quantity == 0.15
    assert opp.buy_worst_price == 200.0 and opp.buy_levels == 2
    assert opp.profit_quote == pytest.approx(0.15 * 150.0 - (10.0 + 0.05 * 200.0))


def test_sell_min_notional_can_be_met_only_below_the_peak() -> None:
    # selling 1 touches only the 100 bid (notional 100); any more touches the 1 bid (notional < 50)
    asks, bids = [(0.5, 20.0)], [(100.0, 1.0), (1.0, 10.0)]
    s = make_spec("p", info("a"), info("b", min_notional=50.0), 0.0)
    opp = evaluate_levels(s, asks, bids, 0)
    assert opp is not None and opp.quantity == 1.0
    assert (opp.sell_levels, opp.sell_worst_price) == (1, 100.0)
    assert opp.max_quantity == 11.0


def test_exact_depth_boundary_on_a_fine_grid() -> None:
    # 100000.7 + 89046.4 is 189047.09999999998 in floats; the book holds exactly 189047.1
    opp = evaluate_levels(spec(), [(0.5, 100000.7), (0.51, 89046.4)], [(0.6, 1e6)], 0)
    assert opp is not None and opp.quantity == 189047.1
    assert opp.limited_by == LIMIT_DEPTH and opp.buy_levels == 2


def test_levels_counted_from_the_rounded_quantity() -> None:
    opp = evaluate_levels(spec(step=0.1, cap=85.0), [(100.0, 0.7), (100.5, 0.1), (101.0, 1.0)], [(110.0, 5.0)], 0)
    assert opp is not None and opp.quantity == 0.8
    assert (opp.buy_levels, opp.sell_levels) == (2, 1)
    assert opp.buy_worst_price == 100.5


def test_rounding_never_goes_past_the_book_or_the_cap() -> None:
    assert evaluate_levels(spec(step=1.0), [(100.0, 0.9999999999)], [(101.0, 5.0)], 0) is None
    assert evaluate_levels(spec(step=1.0, cap=99.99999999), [(100.0, 5.0)], [(101.0, 5.0)], 0) is None
    opp = evaluate_levels(spec(step=1.0, cap=100.0), [(100.0, 5.0)], [(101.0, 5.0)], 0)
    assert opp is not None and opp.quantity == 1.0 and opp.notional == 100.0


def test_step_rounding_uses_the_coarser_step() -> None:
    s = make_spec("p", info("a", step=0.001), info("b", step=0.1), 0.0)
    assert s.step == 0.1
    opp = evaluate_levels(s, [(100.0, 0.379)], [(101.0, 5.0)], 0)
    assert opp is not None and opp.quantity == 0.3
    assert opp.notional == pytest.approx(30.0)


def test_common_step() -> None:
    assert common_step(0.001, 0.01) == 0.01
    assert common_step(0.0004, 0.0006) == pytest.approx(0.0012)
    assert common_step(0.0, 0.01) == 0.01
    assert common_step(1.0, 1.0) == 1.0


def test_rounded_away_is_none() -> None:
    assert evaluate_levels(spec(step=1.0), [(100.0, 0.9)], [(101.0, 5.0)], 0) is None


def test_min_quantity_and_min_notional() -> None:
    asks, bids = [(100.0, 0.05)], [(101.0, 5.0)]
    assert evaluate_levels(spec(), asks, bids, 0) is not None  # 0.05 BTC = 5 USDT
    assert evaluate_levels(spec(min_notional=10.0), asks, bids, 0) is None
    assert evaluate_levels(spec(min_qty=0.1), asks, bids, 0) is None
    # the sell venue's min notional is checked on the proceeds
    s = make_spec("p", info("a"), info("b", min_notional=5.06), 0.0)
    assert evaluate_levels(s, asks, bids, 0) is None  # proceeds 5.05


def test_max_notional_cap() -> None:
    opp = evaluate_levels(spec(fee=0.001, cap=50.0), [(100.0, 1.0)], [(101.0, 1.0)], 0)
    assert opp is not None
    assert opp.quantity == 0.5
    assert opp.notional == pytest.approx(50.0)
    assert opp.limited_by == LIMIT_NOTIONAL
    # a cap across levels: 100 + 101*0.49 = 149.49 <= 150 on step 0.01
    opp = evaluate_levels(spec(cap=150.0), [(100.0, 1.0), (101.0, 1.0)], [(103.0, 3.0)], 0)
    assert opp is not None and opp.quantity == 1.49
    assert opp.notional <= 150.0 and opp.buy_levels == 2


def test_no_opportunity() -> None:
    assert evaluate_levels(spec(), [(100.0, 1.0)], [(99.0, 1.0)], 0) is None
    assert evaluate_levels(spec(), [(100.0, 1.0)], [(100.0, 1.0)], 0) is not None  # 0 bps, exactly even
    assert evaluate_levels(spec(bps=1.0), [(100.0, 1.0)], [(100.0, 1.0)], 0) is None


def book(exchange: str, bids: list[Level], asks: list[Level]) -> OrderBook:
    return OrderBook(exchange, BTC, bids=bids, asks=asks)


def test_crossed_and_empty_books_are_rejected() -> None:
    s = spec()
    good_a = book("a", [(99.0, 1.0)], [(100.0, 1.0)])
    good_b = book("b", [(101.0, 1.0)], [(102.0, 1.0)])
    assert evaluate_books(s, good_a, good_b, 0) is not None
    stamped = evaluate_books(s, good_a, good_b, 1_700_000_000_123.9)  # a book's float received_ms: whole ms
    assert stamped is not None and stamped.timestamp_ms == 1_700_000_000_123 and type(stamped.timestamp_ms) is int
    crossed = book("b", [(101.0, 1.0)], [(100.5, 1.0)])
    with pytest.raises(BookRejectedError, match=r"^b BTC/USDT: crossed book \(bid 101.0 >= ask 100.5\)$"):
        evaluate_books(s, good_a, crossed, 0)
    with pytest.raises(BookRejectedError, match=r"a BTC/USDT: no asks"):
        evaluate_books(s, book("a", [(99.0, 1.0)], []), good_b, 0)
    with pytest.raises(BookRejectedError, match=r"b BTC/USDT: no bids"):
        evaluate_books(s, good_a, book("b", [], [(102.0, 1.0)]), 0)
    with pytest.raises(BookRejectedError, match=r"^btc_usdt a->b: empty side$"):
        evaluate_levels(s, [], [(101.0, 1.0)], 0)
    with pytest.raises(BookRejectedError, match=r"^btc_usdt a->b: empty side$"):
        evaluate_levels(s, [(100.0, 1.0)], [], 0, [1, 1])


def test_symmetric_directions() -> None:
    a = book("a", [(99.0, 1.0)], [(100.0, 1.0)])
    b = book("b", [(101.0, 2.0)], [(102.0, 1.0)])
    ab = make_spec("p", info("a"), info("b"), 0.0)
    ba = make_spec("p", info("b"), info("a"), 0.0)
    forward = evaluate_books(ab, a, b, 0)
    assert forward is not None and (forward.buy_exchange, forward.sell_exchange) == ("a", "b")
    assert evaluate_books(ba, b, a, 0) is None
    # mirror the prices: now b is the cheap venue and the same numbers come out reversed
    a2 = book("a", [(101.0, 2.0)], [(102.0, 1.0)])
    b2 = book("b", [(99.0, 1.0)], [(100.0, 1.0)])
    mirrored = evaluate_books(ba, b2, a2, 0)
    assert mirrored is not None
    assert (mirrored.quantity, mirrored.profit_quote) == (forward.quantity, forward.profit_quote)
    assert (mirrored.buy_exchange, mirrored.sell_exchange) == ("b", "a")


def test_top_of_book_edge() -> None:
    assert top_of_book_edge_bps(100.0, 101.0) == pytest.approx(100.0)
    assert top_of_book_edge_bps(100.0, 101.0, 0.001, 0.001) == pytest.approx(79.9)


def _brute_force(
    asks: list[Level], bids: list[Level], a: float, b: float, step: float, cap: float
) -> tuple[float, float]:
    """(argmax of G on the grid, ties larger; largest size with G >= 0) within depth and cap (tiny tolerance)."""
    depth = min(sum(q for _, q in asks), sum(q for _, q in bids))
    best = largest = 0.0
    best_gain = 0.0
    for n in range(1, int(depth / step + 1e-9) + 1):
        qty = n * step
        cost = proceeds = 0.0
        rem = qty
        for p, v in asks:
            take = min(v, rem)
            cost += p * take
            rem -= take
        rem = qty
        for p, v in bids:
            take = min(v, rem)
            proceeds += p * take
            rem -= take
        gain = b * proceeds - a * cost
        if cost <= cap + 1e-9 and gain >= -1e-9 * cost:
            largest = qty
            if gain >= best_gain - 1e-9 * cost:
                best, best_gain = qty, max(gain, best_gain)
    return best, largest


def test_matches_brute_force_on_random_books() -> None:
    rng = random.Random(11)
    for _ in range(150):
        asks = [(round(100 + 0.1 * i + rng.random() * 0.1, 2), round(rng.uniform(0.05, 1.0), 2)) for i in range(5)]
        top = rng.choice([100.1, 100.3, 100.6])
        bids = [(round(top - 0.1 * i - rng.random() * 0.1, 2), round(rng.uniform(0.05, 1.0), 2)) for i in range(5)]
        fee = rng.choice([0.0, 0.0005, 0.001])
        bps = rng.choice([0.0, 5.0, 20.0])
        cap = rng.choice([None, 80.0, 250.0])
        s = spec(bps=bps, fee=fee, cap=cap)
        opp = evaluate_levels(s, asks, bids, 0)
        best, largest = _brute_force(asks, bids, s.buy_factor, s.sell_factor, 0.01, cap or float("inf"))
        assert (0.0 if opp is None else opp.quantity) == pytest.approx(best, abs=1e-9), (asks, bids, fee, bps, cap)
        assert (0.0 if opp is None else opp.max_quantity) == pytest.approx(largest, abs=1e-9)
        if opp is not None:
            assert opp.edge_bps >= bps - 1e-6
            assert opp.notional <= (cap or float("inf")) + 1e-9


def test_rounded_sizes_are_clean_decimals() -> None:
    s = make_spec("p", info("a", step=0.0005), info("b", step=0.0005), 0.0)
    opp = evaluate_levels(s, [(100.0, 0.0137)], [(101.0, 1.0)], 0)
    assert opp is not None and opp.quantity == 0.0135
    s = make_spec("p", info("a", step=0.1), info("b", step=0.1), 0.0)
    opp = evaluate_levels(s, [(100.0, 0.1), (100.0, 0.1), (100.0, 0.1)], [(101.0, 1.0)], 0)
    assert opp is not None and opp.quantity == 0.3 and opp.buy_levels == 3


def test_zero_step_means_no_rounding() -> None:
    s = make_spec("p", info("a", step=0.0), info("b", step=0.0), 0.0)
    opp = evaluate_levels(s, [(100.0, 0.123456)], [(101.0, 1.0)], 0)
    assert opp is not None and opp.quantity == 0.123456
