"""VenueBook: deltas, sequence ids, snapshots, rounding and the bounded history."""

from __future__ import annotations

from arbkit.venue.book import VenueBook


def make_book(history: int = 512) -> VenueBook:
    return VenueBook("BTC/USDT", price_decimals=2, qty_decimals=5, history=history)


def test_apply_sets_and_deletes_levels_with_sequence_ids() -> None:
    book = make_book()
    first = book.apply(bids=[(100.0, 1.0), (99.0, 2.0)], asks=[(101.0, 1.5)])
    assert (first.seq, first.prev_seq) == (1, 0)
    assert first.bids == [(100.0, 1.0), (99.0, 2.0)] and first.asks == [(101.0, 1.5)]
    second = book.apply(bids=[(100.0, 0.0), (99.0, 2.0)], asks=[(102.0, 3.0)])
    assert (second.seq, second.prev_seq) == (2, 1)
    assert second.bids == [(100.0, 0.0)], "an unchanged level is not part of the delta"
    assert second.asks == [(102.0, 3.0)]
    assert book.bids == {99.0: 2.0} and book.asks == {101.0: 1.5, 102.0: 3.0}


def test_noop_update_keeps_sequence() -> None:
    book = make_book()
    book.apply(bids=[(100.0, 1.0)])
    delta = book.apply(bids=[(100.0, 1.0)], asks=[(105.0, 0.0)])
    assert delta.is_empty and book.seq == 1


def test_snapshot_is_sorted_best_first_and_depth_limited() -> None:
    book = make_book()
    book.apply(bids=[(99.0, 1.0), (100.0, 1.0), (98.0, 1.0)], asks=[(103.0, 1.0), (101.0, 1.0), (102.0, 1.0)])
    snap = book.snapshot()
    assert [p for p, _ in snap.bids] == [100.0, 99.0, 98.0]
    assert [p for p, _ in snap.asks] == [101.0, 102.0, 103.0]
    assert snap.seq == 1 and snap.best_bid == 100.0 and snap.best_ask == 101.0
    assert len(book.snapshot(depth=2).bids) == 2


def test_prices_and_quantities_are_rounded_so_keys_do_not_drift() -> None:
    book = make_book()
    book.apply(bids=[(0.1 + 0.2, 0.1 + 0.2)])
    book.apply(bids=[(0.3, 0.5)])
    assert book.bids == {0.3: 0.5}
    book.apply(bids=[(0.30000000004, 0.0)])
    assert book.bids == {}


def test_history_rebuilds_past_states_and_is_bounded() -> None:
    book = make_book(history=10)
    states = {}
    for i in range(30):
        book.apply(bids=[(100.0 - i % 5, 1.0 + i)], asks=[(101.0 + i % 3, 2.0 + i)] if i % 2 else [(101.0, 0.0)])
        states[book.seq] = book.snapshot()
    for seq in range(book.seq - 10, book.seq + 1):
        past = book.at(seq)
        assert past is not None
        assert (past.bids, past.asks) == (states[seq].bids, states[seq].asks), seq
    assert book.at(book.seq - 11) is None, "older than the history bound"
    assert book.at(book.seq + 1) is None
