"""Frames on hand-built books and series: exact cumulative sums and bps, asof alignment, lazy == eager."""

from __future__ import annotations

import msgspec
import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from arbkit.arbitrage.evaluate import Opportunity
from arbkit.arbitrage.lifecycle import OpportunityLifecycle
from arbkit.research import frames
from arbkit.research.frames import (
    RECORDED_BOOK_SCHEMA,
    book_frame,
    books_frame,
    health_frame,
    lifecycles_frame,
    opportunities_frame,
    resample,
    spread_frame,
    top_of_book_frame,
)
from arbkit.structs import BookHealth, BookState, BookUpdate, OrderBook, Symbol

BTC = Symbol.parse("BTC/USDT")
T0 = 1_700_000_000_000
TS = pl.Datetime("ms", "UTC")


def make_book(exchange: str = "binance", ts: int = T0, seq: int | None = 7) -> OrderBook:
    return OrderBook(exchange, BTC, [(100.0, 1.0), (99.0, 2.0), (98.0, 0.5)], [(101.0, 0.25), (102.0, 4.0)], ts, seq)


def test_book_frame_values_are_exact() -> None:
    df = book_frame(make_book())
    assert df.columns == [
        "exchange", "symbol", "side", "level", "price", "size", "cum_size", "cum_notional", "distance_bps"
    ]  # fmt: skip
    assert df["side"].to_list() == ["bid"] * 3 + ["ask"] * 2
    assert df["level"].to_list() == [0, 1, 2, 0, 1]
    assert df["level"].dtype == pl.UInt32
    assert df["cum_size"].to_list() == [1.0, 3.0, 3.5, 0.25, 4.25]
    assert df["cum_notional"].to_list() == [100.0, 298.0, 347.0, 25.25, 433.25]
    mid = 100.5
    expected = [abs(p - mid) / mid * 1e4 for p in (100.0, 99.0, 98.0, 101.0, 102.0)]
    assert df["distance_bps"].to_list() == pytest.approx(expected, rel=1e-12)
    assert set(df["exchange"]) == {"binance"} and set(df["symbol"]) == {"BTC/USDT"}


def test_book_frame_depth_empty_side_and_int_levels() -> None:
    assert book_frame(make_book(), depth=1)["price"].to_list() == [100.0, 101.0]
    one_sided = book_frame(OrderBook("kraken", BTC, [], [(101, 2)]))  # ints take the plain numpy path
    assert one_sided["cum_notional"].to_list() == [202.0]
    assert one_sided["distance_bps"].to_list() == [None]
    empty = book_frame(OrderBook("kraken", BTC, [], []))
    assert empty.height == 0 and empty.columns == book_frame(make_book()).columns


@pytest.mark.parametrize("n", [0, 1, 15, 16, 65_535, 65_536])
def test_levels_to_numpy_matches_numpy_at_msgpack_header_sizes(n: int) -> None:
    levels = [(100.0 + i * 0.5, 1.0 / (i + 1)) for i in range(n)]
    price, size = frames.levels_to_numpy(levels)
    expected = np.array(levels, dtype=np.float64).reshape(-1, 2)
    assert np.array_equal(price, expected[:, 0]) and np.array_equal(size, expected[:, 1])


def test_books_frame_stacks_books_with_time_and_sequence() -> None:
    a, b = make_book(), make_book("kraken", T0 + 500, None)
    long = books_frame([a, BookUpdate(b, _health("kraken"))])
    assert long["exchange"].to_list() == ["binance"] * 5 + ["kraken"] * 5
    assert long["ts"].dtype == TS and long["sequence"].to_list() == [7] * 5 + [None] * 5
    per_book = pl.concat([book_frame(a), book_frame(b)])
    assert_frame_equal(long.drop("ts", "sequence"), per_book)
    assert {k: long.schema[k] for k in RECORDED_BOOK_SCHEMA} == RECORDED_BOOK_SCHEMA


def test_books_frame_from_recorded_rows_lazy_and_eager(tmp_path) -> None:
    books = [make_book(), make_book("kraken", T0 + 500, 3), make_book(ts=T0 + 1000, seq=8)]
    expected = books_frame(books)
    path = tmp_path / "books.parquet"
    expected.select(list(RECORDED_BOOK_SCHEMA)).write_parquet(path)
    rows = pl.read_parquet(path)
    assert_frame_equal(books_frame(rows), expected)
    assert_frame_equal(books_frame(pl.scan_parquet(path)).collect(), expected)


def test_top_of_book_from_books_and_recorded_rows(tmp_path) -> None:
    books = [make_book(), make_book("kraken", T0 + 500, 3)]
    tob = top_of_book_frame(books)
    assert tob.columns == list(frames.TOP_OF_BOOK_COLUMNS)
    assert tob.row(0, named=True) == {
        "ts": tob["ts"][0], "exchange": "binance", "symbol": "BTC/USDT", "bid": 100.0, "ask": 101.0,
        "bid_size": 1.0, "ask_size": 0.25, "mid": 100.5, "spread_bps": 1.0 / 100.5 * 1e4,
    }  # fmt: skip
    path = tmp_path / "rows.parquet"
    books_frame(books).select(list(RECORDED_BOOK_SCHEMA)).write_parquet(path)
    assert_frame_equal(top_of_book_frame(pl.scan_parquet(path)).collect(), tob)
    assert_frame_equal(top_of_book_frame(pl.read_parquet(path)), tob)


def _tob() -> pl.DataFrame:
    """Venue a quotes at 0 s and 2 s, venue b at 1 s and 5 s."""
    return pl.DataFrame(
        {
            "ts": [T0, T0 + 1000, T0 + 2000, T0 + 5000],
            "exchange": ["a", "b", "a", "b"],
            "symbol": ["BTC/USDT"] * 4,
            "bid": [99.0, 100.5, 100.0, 102.0],
            "ask": [100.0, 101.5, 101.0, 103.0],
        },
        schema_overrides={"ts": TS},
    )


def test_spread_frame_aligns_quotes_with_join_asof() -> None:
    sp = spread_frame(_tob(), tolerance="2s")
    got = {(r["route"], r["ts"].timestamp() * 1000 - T0): r for r in sp.iter_rows(named=True)}
    assert sorted(got) == [("a->b", 1000), ("a->b", 2000), ("b->a", 1000), ("b->a", 2000)]
    row = got[("a->b", 1000)]  # a's ask from t=0 (1 s old) against b's bid from t=1 s
    assert (row["buy_ask"], row["sell_bid"]) == (100.0, 100.5)
    assert row["edge_bps"] == pytest.approx(0.5 / 100.25 * 1e4, rel=1e-12)
    assert got[("a->b", 2000)]["edge_bps"] == pytest.approx(-0.5 / 100.75 * 1e4, rel=1e-12)
    assert got[("b->a", 2000)]["edge_bps"] == pytest.approx((100.0 - 101.5) / 100.75 * 1e4, rel=1e-12)
    # without a tolerance the 3 s old quote of venue a still counts at t=5 s
    assert spread_frame(_tob(), tolerance=None).height == 6


def test_spread_frame_filters_venues_and_lazy_equals_eager() -> None:
    only = spread_frame(_tob(), buy="a", sell=["b"], tolerance="2s")
    assert only["route"].unique().to_list() == ["a->b"]
    assert_frame_equal(spread_frame(_tob().lazy(), tolerance="2s").collect(), spread_frame(_tob(), tolerance="2s"))


def test_resample_windows_per_route_lazy_equals_eager() -> None:
    sp = spread_frame(_tob(), tolerance=None)
    out = resample(sp, every="2s", agg="last")
    ab = out.filter(pl.col("route") == "a->b")
    assert ab["n"].to_list() == [1, 1, 1]  # windows [0, 2 s), [2 s, 4 s), [4 s, 6 s) hold t = 1, 2, 5 s
    assert ab["sell_bid"].to_list() == [100.5, 100.5, 102.0]
    mean = resample(sp, every="10s", agg="mean").filter(pl.col("route") == "a->b")
    assert mean["n"].to_list() == [3] and mean["buy_ask"].to_list() == [pytest.approx((100 + 101 + 101) / 3)]
    assert_frame_equal(resample(sp.lazy(), every="2s").collect(), out)
    assert out.columns[0] == "ts" and out["ts"].dtype == TS


def _health(exchange: str, state: BookState = BookState.LIVE, age: float = 12.0) -> BookHealth:
    return BookHealth(exchange, BTC, state, 7, age, 10, 5.0, 1, 2, 0, 3)


def _opportunity(buy: str = "binance", sell: str = "kraken", ts: int = T0) -> Opportunity:
    return Opportunity("p1", BTC, buy, sell, 0.5, 100.0, 100.4, 50.0, 0.1, 20.0, 25.0, 1, 2, 0.001, 0.001, ts)


def test_opportunities_frame_from_structs_and_empty() -> None:
    df = opportunities_frame([_opportunity(), _opportunity("kraken", "binance", T0 + 1)])
    assert df.columns[0] == "ts" and df["ts"].dtype == TS and "timestamp_ms" not in df.columns
    assert df["symbol"].to_list() == ["BTC/USDT"] * 2
    assert df["route"].to_list() == ["binance->kraken", "kraken->binance"]
    assert df["profit_quote"].to_list() == [0.1, 0.1]
    empty = opportunities_frame([])
    assert empty.height == 0 and {"ts", "route", "edge_bps", "buy_exchange"} <= set(empty.columns)


def test_lifecycles_frame_times_and_open_lifecycles() -> None:
    closed = OpportunityLifecycle(
        pair_id="p1", buy_exchange="binance", sell_exchange="kraken", opened_ms=T0, last_seen_ms=T0 + 400,
        closed_ms=T0 + 500, duration_ms=500, peak_edge_bps=30.0, peak_profit=0.2, last_quantity=1.0, updates=4,
        close_reason="gone",
    )  # fmt: skip
    still_open = msgspec.structs.replace(closed, closed_ms=None, close_reason=None)
    df = lifecycles_frame([closed, still_open])
    assert df.columns[:4] == ["opened", "last_seen", "closed", "pair_id"]
    assert df["opened"].dtype == TS and df["closed"].null_count() == 1
    assert df["duration_ms"].to_list() == [500, 500] and df["route"][0] == "binance->kraken"


def test_health_frame_accepts_pairs_updates_and_plain_health() -> None:
    book = make_book("kraken", T0 + 250)
    df = health_frame([(T0, _health("binance")), BookUpdate(book, _health("kraken", BookState.STALE))])
    assert df["ts"].to_list()[1].timestamp() * 1000 == T0 + 250
    assert df["state"].to_list() == ["live", "stale"] and df["healthy"].to_list() == [True, False]
    assert df["gaps"].to_list() == [1, 1] and df["reconnects"].to_list() == [3, 3]
    plain = health_frame([_health("binance")], ts_ms=T0)
    assert plain["ts"].dtype == TS and plain.height == 1
