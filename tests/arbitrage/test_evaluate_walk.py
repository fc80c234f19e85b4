"""The exact walk (``walk``, the fast path) against the general path and the exact reference, and its size units;
each test that looks inside the walk runs on the source and on the compiled module (``WALKS``)."""

from __future__ import annotations

import math
from decimal import Decimal
from types import ModuleType
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arbkit.arbitrage.evaluate import LIMIT_DEPTH, LIMIT_NOTIONAL, VenuePairSpec, evaluate_levels, make_spec
from arbkit.arbitrage.general import general
from arbkit.structs import Level, Symbol, SymbolInfo
from tests.arbitrage.test_native import WALKS
from tests.arbitrage.test_sizing_property import D, cases, reference

BTC = Symbol.parse("BTC/USDT")


def spec(step: float = 0.01, cap: float | None = None) -> VenuePairSpec:
    a = SymbolInfo("a", BTC, 0.01, step)
    b = SymbolInfo("b", BTC, 0.01, step)
    return make_spec("p", a, b, 0.0, cap)


@pytest.mark.parametrize("module", WALKS)
def test_size_units_are_exact_integers_and_finer_sizes_are_refused(module: ModuleType) -> None:
    units = module._units
    assert units(0.29, 100.0) == 29.0  # 0.29 * 100 is 28.999999999999996 in floats
    assert units(1.13, 100.0) == 113.0 and units(5.0, 1.0) == 5.0
    with pytest.raises(KeyError):
        units(1e14, 100.0)  # 1e16 units: more digits than a float holds exactly
    with pytest.raises(KeyError):
        units(0.123, 100.0)  # three decimals at a scale of two
    with pytest.raises(KeyError):
        units(0.0, 100.0)  # an empty level: the general path, which never counts it as touched
    with pytest.raises(KeyError):
        units(1.0, 0.0)  # no step grid: every size goes to the general path
    with pytest.raises(KeyError):
        units(math.nan, 100.0)


def test_size_scale_covers_both_venues_steps() -> None:
    s = make_spec("p", SymbolInfo("a", BTC, 0.01, 0.001), SymbolInfo("b", BTC, 0.01, 0.1), 0.0)
    assert (s.step, s.hot[9], s.hot[10]) == (0.1, 1000, 100.0)  # the 0.001-step book's sizes are integers too
    opp = evaluate_levels(s, [(100.0, 0.379)], [(101.0, 5.0)], 0)
    assert opp is not None and opp.quantity == 0.3


def test_a_cap_on_a_book_profitable_to_its_end_is_found_by_the_walk() -> None:
    # the last levels still clear the hurdle, but 200.1 of cost is over the cap: 100 + 100.1 * 0.49 <= 150
    opp = evaluate_levels(spec(cap=150.0), [(100.0, 1.0), (100.1, 1.0)], [(102.0, 1.0), (101.9, 1.0)], 0)
    assert opp is not None and opp.limited_by == LIMIT_NOTIONAL
    assert (opp.quantity, opp.max_quantity, opp.buy_levels, opp.sell_levels) == (1.49, 1.49, 2, 2)
    assert opp.notional == pytest.approx(100.0 + 100.1 * 0.49) and opp.notional <= 150.0


def _spy(module: ModuleType, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the walk's hand-offs to the general path (which still answers)."""
    handed: list[int] = []
    monkeypatch.setattr(module, "general", lambda *args: handed.append(1) or general(*args))
    return handed


@pytest.mark.parametrize("module", WALKS)
def test_a_size_finer_than_the_steps_goes_to_the_general_path(
    module: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    asks, bids = [(100.0, 0.123456789), (100.2, 1.0)], [(101.0, 5.0)]
    handed = _spy(module, monkeypatch)
    opp = module.evaluate_levels(spec(), asks, bids, 0)
    assert handed == [1]
    assert opp is not None and opp.quantity == 1.12 and opp.buy_levels == 2


@pytest.mark.parametrize("module", WALKS)
def test_sizes_are_walked_exactly_without_the_general_path(module: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    handed = _spy(module, monkeypatch)
    asks, bids = [(100.0, 0.37), (100.1, 1.13)], [(101.0, 5.0)]
    opp = module.evaluate_levels(spec(), asks, bids, 0)
    assert handed == []
    assert opp is not None and (opp.quantity, opp.buy_levels) == (1.5, 2)


@pytest.mark.parametrize("module", WALKS)
def test_a_pair_without_a_step_grid_goes_to_the_general_path(
    module: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    handed = _spy(module, monkeypatch)
    opp = module.evaluate_levels(spec(step=0.0), [(100.0, 0.5), (100.1, 1.0)], [(101.0, 5.0)], 0)
    assert handed == [1]
    assert opp is not None and opp.quantity == 1.5 and opp.limited_by == LIMIT_DEPTH


@pytest.mark.parametrize("module", WALKS)
def test_levels_that_are_lists_or_ints_get_the_same_answer(module: ModuleType) -> None:
    # lists, as ccxt's own books hold them, and ints: the compiled walk reads tuples of floats and leaves the
    # rest to the general path
    s = spec()
    tuples = module.evaluate_levels(s, [(100.0, 0.5), (100.5, 1.0)], [(102.0, 1.0)], 0)
    lists = module.evaluate_levels(s, [[100.0, 0.5], [100.5, 1.0]], [[102.0, 1.0]], 0)
    ints = module.evaluate_levels(s, [(100, 1)], [(102, 1)], 0)
    assert tuples is not None and lists == tuples and lists.quantity == 1.0
    assert ints is not None and (ints.quantity, ints.buy_vwap, ints.sell_vwap) == (1.0, 100.0, 102.0)
    assert module.evaluate_levels(s, [[100.0, 0.5]], [[99.0, 1.0]], 0) is None  # early exit, as a list


def test_an_empty_last_level_is_not_touched() -> None:
    opp = evaluate_levels(spec(), [(100.0, 1.0), (101.0, 0.0)], [(102.0, 5.0)], 0)
    assert opp is not None and (opp.quantity, opp.buy_levels, opp.buy_worst_price) == (1.0, 1, 100.0)


@pytest.mark.parametrize("module", WALKS)
def test_positions_past_2_53_are_left_to_the_general_path(module: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    # sizes at scale 1e8 (the buy venue's step): 10 levels of 9.9e14 units each are exact, their sum is not
    s = make_spec("p", SymbolInfo("a", BTC, 0.01, 1e-8), SymbolInfo("b", BTC, 0.01, 1.0), 0.0)
    asks: list[Level] = [(1.0 + n / 1000, 9_900_000.0) for n in range(10)]
    bids: list[Level] = [(2.0 - n / 1000, 9_900_000.0) for n in range(11)]
    handed = _spy(module, monkeypatch)
    opp = module.evaluate_levels(s, asks, bids, 0)
    assert handed == [1]
    ref = reference(s, asks, bids)
    assert opp is not None and ref is not None and opp.limited_by == LIMIT_DEPTH
    assert D(opp.quantity) == ref.quantity == 99_000_000 and opp.buy_levels == 10


@settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(cases())
@pytest.mark.parametrize("module", WALKS)
def test_the_walk_and_the_general_path_agree(
    module: ModuleType, case: tuple[VenuePairSpec, list[Level], list[Level]]
) -> None:
    """Wherever the walk answers, the general path (which it leaves the rest to) gives the same size."""
    s, asks, bids = case
    if s.sell_factor * bids[0][0] < s.buy_factor * asks[0][0]:
        return  # the early exit, before either
    handed: list[int] = []
    with patch.object(module, "general", lambda *args: handed.append(1) or general(*args)):
        fast = module.walk(s, asks, bids, 0, None)
    if handed:
        return  # the walk left it to the general path
    slow = general(s, asks, bids, 0, None)
    assert (fast is None) == (slow is None), (fast, slow)
    if fast is None or slow is None:
        return
    assert (fast.quantity, fast.max_quantity) == (slow.quantity, slow.max_quantity)
    assert (fast.buy_levels, fast.sell_levels) == (slow.buy_levels, slow.sell_levels)
    assert (fast.buy_worst_price, fast.sell_worst_price) == (slow.buy_worst_price, slow.sell_worst_price)
    assert math.isclose(fast.notional, slow.notional, rel_tol=1e-9)
    assert abs(fast.profit_quote - slow.profit_quote) <= 1e-9 * fast.notional


@st.composite
def _symmetric(draw: st.DrawFn) -> tuple[VenuePairSpec, list[Level], list[Level]]:
    """asks ``[(p, s1), (p + 2d, s2)]``, bids ``[(p + d, s3)]``, no fees, 0 bps: G rises by ``d`` per unit up to
    ``s1`` and falls by ``d`` after it, so the grid sizes either side of an off-grid peak tie exactly, and G is 0
    exactly at ``2 * s1`` (the end of the bid book when ``s3 == 2 * s1``): the decisions floats cannot settle."""
    fine = draw(st.sampled_from(["0.001", "0.01", "0.1", "1"]))
    coarse = Decimal(fine) * draw(st.sampled_from([1, 10, 100]))
    units = draw(st.integers(1, 3000))
    s1 = Decimal(fine) * units
    s2 = s1 + Decimal(fine) * draw(st.integers(0, 3))
    s3 = 2 * s1 + Decimal(fine) * draw(st.sampled_from([0, 0, 1, -1]))
    p = Decimal(draw(st.sampled_from(["0.5", "1", "37.5", "100", "12345.67"])))
    d = p * Decimal(draw(st.sampled_from(["0.001", "0.01", "0.0003"])))
    buy = SymbolInfo("a", BTC, 0.01, float(fine), taker_fee=0.0)
    sell = SymbolInfo("b", BTC, 0.01, float(coarse), taker_fee=0.0)
    asks: list[Level] = [(float(p), float(s1)), (float(p + 2 * d), float(s2))]
    bids: list[Level] = [(float(p + d), float(s3))] if s3 > 0 else [(float(p + d), float(s1))]
    return make_spec("p", buy, sell, 0.0), asks, bids


@settings(max_examples=600, derandomize=True, deadline=None, database=None)
@given(_symmetric())
@pytest.mark.parametrize("module", WALKS)
def test_ties_and_a_zero_at_the_end_of_the_book_match_the_reference(
    module: ModuleType, case: tuple[VenuePairSpec, list[Level], list[Level]]
) -> None:
    s, asks, bids = case
    ref = reference(s, asks, bids)
    for opp in (module.evaluate_levels(s, asks, bids, 0), general(s, asks, bids, 0, None)):
        assert (opp is None) == (ref is None), (ref, opp)
        if opp is None or ref is None:
            return
        assert D(opp.quantity) == ref.quantity, (opp.quantity, float(ref.quantity))
        assert D(opp.max_quantity) == ref.max_k * D(s.step), (opp.max_quantity, float(ref.max_k * D(s.step)))
        assert (opp.buy_levels, opp.sell_levels) == (ref.buy_levels, ref.sell_levels)


def test_a_tie_either_side_of_the_peak_takes_the_larger_size() -> None:
    # G(1.00) == G(1.01) == 1.0 exactly (the peak at 1.005 is off the 0.01 grid); floats may order them either way
    s = make_spec(
        "p", SymbolInfo("a", BTC, 0.01, 0.001, taker_fee=0.0), SymbolInfo("b", BTC, 0.01, 0.01, taker_fee=0.0), 0.0
    )
    opp = evaluate_levels(s, [(100.0, 1.005), (102.0, 1.005)], [(101.0, 2.01)], 0)
    assert opp is not None and (opp.quantity, opp.max_quantity) == (1.01, 2.01)


def test_max_quantity_stays_within_the_book_when_g_is_zero_at_its_end() -> None:
    # G is 0 exactly at 2.51, where the bid book ends; the walk once reported 3.76, past the book
    s = make_spec(
        "p", SymbolInfo("a", BTC, 0.01, 0.001, taker_fee=0.0), SymbolInfo("b", BTC, 0.01, 0.01, taker_fee=0.0), 0.0
    )
    opp = evaluate_levels(s, [(100.0, 1.255), (102.0, 1.255)], [(101.0, 2.51)], 0)
    assert opp is not None and (opp.quantity, opp.max_quantity) == (1.26, 2.51)
