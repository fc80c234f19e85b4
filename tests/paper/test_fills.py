"""The pure fill model: every exchange refusal with its reason, and the level walk of an IOC limit."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arbkit.paper.fills import Rejection, check_order, match_ioc
from arbkit.structs import Side
from tests.paper.helpers import info

INFO = info(tick=0.01, step=0.001, min_qty=0.002, min_notional=10.0, taker=0.001)


@pytest.mark.parametrize(
    ("side", "quantity", "price", "free_base", "free_quote", "reason"),
    [
        (Side.BUY, 0.01, 0.0, 1.0, 1e6, Rejection.INVALID),
        (Side.BUY, 0.0, 100.0, 1.0, 1e6, Rejection.INVALID),
        (Side.BUY, 0.01, 100.005, 1.0, 1e6, Rejection.PRECISION),
        (Side.SELL, 0.0105, 100.0, 1.0, 1e6, Rejection.PRECISION),
        (Side.BUY, 0.001, 20000.0, 1.0, 1e6, Rejection.MIN_QTY),
        (Side.SELL, 0.05, 100.0, 1.0, 1e6, Rejection.MIN_NOTIONAL),
        (Side.BUY, 1.0, 100.0, 0.0, 99.99, Rejection.INSUFFICIENT_FUNDS),
        (Side.SELL, 1.0, 100.0, 0.999, 0.0, Rejection.INSUFFICIENT_FUNDS),
    ],
)
def test_each_refusal_reason(side, quantity, price, free_base, free_quote, reason) -> None:
    refusal = check_order(INFO, side, quantity, price, free_base, free_quote)
    assert refusal is not None and refusal[0] is reason and "BTC/USDT" in refusal[1]


def test_accepted_at_the_limits() -> None:
    assert check_order(INFO, Side.BUY, 0.1, 100.0, 0.0, 10.0) is None  # exactly the funds, exactly min notional
    assert check_order(INFO, Side.SELL, 0.002, 5000.0, 0.002, 0.0) is None  # exactly min quantity and the base


def test_walks_levels_to_the_limit_and_charges_the_taker_fee() -> None:
    asks = [(100.0, 0.5), (100.5, 0.25), (101.0, 1.0)]
    fills = match_ioc(INFO, Side.BUY, 1.0, 100.5, asks)
    assert [(f.price, f.quantity) for f in fills] == [(100.0, 0.5), (100.5, 0.25)]
    assert sum(f.fee_quote for f in fills) == pytest.approx((50.0 + 25.125) * 0.001)
    assert match_ioc(INFO, Side.SELL, 1.0, 100.5, [(100.0, 3.0)]) == []  # bid below the sell limit: nothing


levels = st.lists(st.tuples(st.integers(1, 40), st.integers(1, 3000)), min_size=0, max_size=8, unique_by=lambda x: x[0])


@settings(max_examples=60, deadline=None, derandomize=True)
@given(levels, st.sampled_from([Side.BUY, Side.SELL]), st.integers(1, 8000), st.integers(1, 40))
def test_fill_walk_properties(raw, side, qty_units, limit_units) -> None:
    """Never beyond the limit, best level first, never more than asked or than the book holds, fee on notional,
    and exactly ``min(quantity, depth within the limit)`` filled."""
    sign = 1 if side is Side.BUY else -1
    book = sorted(((100.0 + sign * p * 0.01, round(s * 0.001, 3)) for p, s in raw), key=lambda lv: sign * lv[0])
    limit = 100.0 + sign * limit_units * 0.01
    quantity = round(qty_units * 0.001, 3)
    fills = match_ioc(INFO, side, quantity, limit, book)
    within = sum(s for p, s in book if (p <= limit if side is Side.BUY else p >= limit))
    assert sum(f.quantity for f in fills) == pytest.approx(min(quantity, within), abs=1e-9)
    assert all((f.price <= limit) if side is Side.BUY else (f.price >= limit) for f in fills)
    assert [f.price for f in fills] == [p for p, _ in book[: len(fills)]]
    for f in fills:
        assert f.fee_quote == pytest.approx(f.price * f.quantity * INFO.taker_fee)
        assert f.quantity <= dict(book)[f.price] + 1e-12
