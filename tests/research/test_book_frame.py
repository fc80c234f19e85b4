"""``book_frame`` (the research frames' hot path) equals a plain per-row computation for any book and depth,
with either Float64 constructor."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from arbkit.research import frames
from arbkit.research.frames import book_frame
from arbkit.structs import OrderBook, Symbol

SCHEMA = {
    "exchange": pl.String, "symbol": pl.String, "side": pl.String, "level": pl.UInt32, "price": pl.Float64,
    "size": pl.Float64, "cum_size": pl.Float64, "cum_notional": pl.Float64, "distance_bps": pl.Float64,
}  # fmt: skip


def _rows(book: OrderBook, depth: int | None) -> pl.DataFrame:
    mid = book.mid
    rows = []
    for side, levels in (("bid", book.bids[:depth]), ("ask", book.asks[:depth])):
        cum_size = cum_notional = 0.0
        for level, (price, size) in enumerate(levels):
            cum_size += size
            cum_notional += price * size
            distance = None if mid is None else abs(price - mid) / mid * 1e4
            rows.append(("kraken", "ETH/USD", side, level, float(price), float(size), cum_size, cum_notional, distance))
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")


price = st.one_of(st.floats(1.0, 1e5), st.integers(1, 100_000))  # ints take the fallback conversion
side = st.lists(st.tuples(price, st.floats(0.0, 1e3)), max_size=40)


@settings(max_examples=80, deadline=None)
@given(bids=side, asks=side, depth=st.one_of(st.none(), st.integers(1, 30)), direct=st.booleans())
def test_book_frame_equals_a_per_row_reference(bids: list, asks: list, depth: int | None, direct: bool) -> None:
    book = OrderBook("kraken", Symbol.parse("ETH/USD"), bids, asks, 1, 1)
    saved = frames._NEW_F64
    try:
        if not direct:
            frames._NEW_F64 = None  # the public pl.Series path
        assert_frame_equal(book_frame(book, depth), _rows(book, depth))
    finally:
        frames._NEW_F64 = saved


def test_the_direct_float_constructor_is_found() -> None:
    if frames._NEW_F64 is None:
        pytest.skip("this polars has no direct Float64 constructor: book_frame uses pl.Series")
    assert frames._f64("x", frames.np.array([1.0, float("nan")]), nan_to_null=True).to_list() == [1.0, None]
