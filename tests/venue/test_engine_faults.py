"""The engine's execution faults over many inputs: a partial IOC fills exactly the fraction of what the book would
give (rounded down to the step), never more, and leaves no funds locked; a rejection changes nothing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arbkit.structs import OrderStatus, OrderType, Side, TimeInForce
from arbkit.venue.engine import ErrorKind, MatchingEngine, VenueError
from arbkit.venue.instruments import instruments
from arbkit.venue.market import SimulatedMarket

SYM = "BTC/USDT"
KEY = "k1"


def fresh_engine(seed: int) -> MatchingEngine:
    market = SimulatedMarket(["binance"], seed=seed)
    engine = MatchingEngine("binance", market.books("binance"), instruments("binance"))
    engine.add_account(KEY)
    return engine


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 50),
    side=st.sampled_from([Side.BUY, Side.SELL]),
    units=st.integers(1, 4000),
    fraction=st.floats(0.01, 0.99),
    levels=st.integers(0, 3),
)
def test_partial_ioc_fills_the_fraction_rounded_down(
    seed: int, side: Side, units: int, fraction: float, levels: int
) -> None:
    engine = fresh_engine(seed)
    inst = engine.instrument(SYM)
    book = engine.books[SYM]
    touch = (book.sorted_asks() if side is Side.BUY else book.sorted_bids())[levels][0]
    qty = inst.round_qty(units * inst.step_size * 10)
    available = sum(
        size
        for price, size in (book.sorted_asks() if side is Side.BUY else book.sorted_bids())
        if (price <= touch if side is Side.BUY else price >= touch)
    )
    expected = inst.round_qty(int(min(qty, available) * fraction / inst.step_size + 1e-9) * inst.step_size)
    if qty * touch < inst.min_notional:
        return
    account = engine.account(KEY)
    engine.faults.partial_next(fraction)
    order = engine.place(KEY, SYM, side, OrderType.LIMIT, qty, touch, TimeInForce.IOC)
    assert order.filled == pytest.approx(expected, abs=inst.step_size / 100)
    assert order.filled <= qty * fraction + 1e-9
    assert order.status in (OrderStatus.FILLED, OrderStatus.EXPIRED)
    assert order.locked == 0 and all(b.locked == 0 for b in account.balances.values())
    assert engine.faults.take_partial() is None


@pytest.mark.parametrize("kind", [ErrorKind.INSUFFICIENT_FUNDS, ErrorKind.RATE_LIMIT, ErrorKind.INVALID])
def test_rejection_changes_nothing(kind: ErrorKind) -> None:
    engine = fresh_engine(3)
    account = engine.account(KEY)
    before = {a: (b.free, b.locked) for a, b in account.balances.items()}
    engine.faults.reject_next(kind)
    with pytest.raises(VenueError) as info:
        engine.place(KEY, SYM, Side.BUY, OrderType.MARKET, 0.01)
    assert info.value.kind is kind
    assert account.orders == {} and {a: (b.free, b.locked) for a, b in account.balances.items()} == before
    assert engine.place(KEY, SYM, Side.BUY, OrderType.MARKET, 0.01).status is OrderStatus.FILLED
