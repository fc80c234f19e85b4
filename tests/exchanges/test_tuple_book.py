"""Tuple-row ccxt book sides: after any sequence of ccxt's own changes (inserts, size changes, deletes, trims to
depth, snapshot resets) they hold exactly the levels ccxt's own sides hold, and the feed's levels are a slice of
immutable tuples that later changes cannot touch."""

from __future__ import annotations

from typing import Any

from ccxt.async_support.base.ws.order_book import OrderBook as CcxtOrderBook
from hypothesis import given, settings
from hypothesis import strategies as st

from arbkit.exchanges.ccxt_books import BatchedReceive
from arbkit.exchanges.convert import levels
from arbkit.exchanges.tuple_book import TupleAsks, TupleBids, book_levels, tuple_order_book

prices = st.integers(1, 12).map(lambda i: 100.0 + i / 4)
sizes = st.sampled_from([0.0, 0.0, 0.5, 1.0, 2.25])
rows = st.lists(st.tuples(prices, sizes.filter(bool)), max_size=6)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("store"), st.sampled_from(["bids", "asks"]), prices, sizes),
        st.tuples(st.just("store_array"), st.sampled_from(["bids", "asks"]), prices, sizes),
        st.tuples(st.just("limit")),
        st.tuples(st.just("reset"), rows),
    ),
    max_size=50,
)


@settings(max_examples=120, deadline=None, derandomize=True)
@given(rows, operations, st.sampled_from([None, 3, 8]))
def test_tuple_sides_hold_what_ccxt_sides_hold(start: list[Any], ops: list[tuple[Any, ...]], depth: int | None) -> None:
    snapshot = {"bids": [list(r) for r in start], "asks": [list(r) for r in start]}
    ours, theirs = tuple_order_book(snapshot, depth), CcxtOrderBook(snapshot, depth)
    for op in ops:
        for book in (ours, theirs):
            if op[0] == "store":
                book[op[1]].store(op[2], op[3])
            elif op[0] == "store_array":
                book[op[1]].storeArray([op[2], op[3]])
            elif op[0] == "limit":
                book.limit()
            else:
                book.reset({"bids": [list(r) for r in op[1]], "asks": [list(r) for r in op[1]]})
        for name in ("bids", "asks"):
            assert ours[name]._index == theirs[name]._index
            assert book_levels(ours[name], 5) == levels(theirs[name], 5)
            assert all(type(row) is tuple and len(row) == 2 for row in ours[name])


def test_levels_handed_out_never_change_afterwards() -> None:
    book = tuple_order_book({"bids": [[100.0 - i, 1.0] for i in range(6)]})
    handed = book_levels(book["bids"], 4)
    before = list(handed)
    book["bids"].store(99.0, 7.0)  # a size change on a level handed out
    book["bids"].store(100.5, 1.0)  # an insert above it
    book["bids"].store(100.0, 0.0)  # a delete
    assert handed == before
    assert book_levels(book["bids"], 3) == [(100.5, 1.0), (99.0, 7.0), (98.0, 1.0)]


def test_arbkit_exchange_classes_build_tuple_books() -> None:
    class Exchange(BatchedReceive):
        pass

    book = Exchange().order_book({"bids": [[1.0, 2.0]]}, 10)
    assert isinstance(book["bids"], TupleBids) and isinstance(book["asks"], TupleAsks)
    assert book["bids"] == [(1.0, 2.0)]
