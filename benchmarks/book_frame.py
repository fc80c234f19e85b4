"""Median time to turn one OrderBook into a polars frame: arbkit's numpy path vs a naive per-row list path.

Run: ``python benchmarks/book_frame.py [--levels 1000] [--repeat 2000]`` (levels = bids + asks).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import polars as pl
from polars.testing import assert_frame_equal

from arbkit.research.frames import book_frame
from arbkit.structs import OrderBook, Symbol

NAIVE_SCHEMA = {
    "exchange": pl.String, "symbol": pl.String, "side": pl.String, "level": pl.UInt32, "price": pl.Float64,
    "size": pl.Float64, "cum_size": pl.Float64, "cum_notional": pl.Float64, "distance_bps": pl.Float64,
}  # fmt: skip


def naive_book_frame(book: OrderBook) -> pl.DataFrame:
    """The obvious way: one Python tuple per level with running sums, then a row-oriented DataFrame."""
    mid = book.mid or float("nan")
    rows = []
    for side, levels in (("bid", book.bids), ("ask", book.asks)):
        cum_size = cum_notional = 0.0
        for level, (price, size) in enumerate(levels):
            cum_size += size
            cum_notional += price * size
            distance = abs(price - mid) / mid * 1e4
            rows.append((book.exchange, str(book.symbol), side, level, price, size, cum_size, cum_notional, distance))
    return pl.DataFrame(rows, schema=NAIVE_SCHEMA, orient="row")


def make_book(levels: int) -> OrderBook:
    half = levels // 2
    bids = [(65_000.0 - 0.5 * i, 0.001 * (1 + i % 7)) for i in range(half)]
    asks = [(65_000.5 + 0.5 * i, 0.002 * (1 + i % 5)) for i in range(levels - half)]
    return OrderBook("binance", Symbol.parse("BTC/USDT"), bids, asks, 1_700_000_000_000, 1)


def median_us(fn: Callable[[], object], repeat: int) -> float:
    for _ in range(min(100, repeat)):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter_ns()
        fn()
        samples.append(time.perf_counter_ns() - start)
    return statistics.median(samples) / 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, default=1000, help="bids + asks (default 1000)")
    parser.add_argument("--repeat", type=int, default=2000)
    args = parser.parse_args()
    book = make_book(args.levels)
    assert_frame_equal(book_frame(book), naive_book_frame(book))  # same frame, so the timings compare like with like
    fast = median_us(lambda: book_frame(book), args.repeat)
    naive = median_us(lambda: naive_book_frame(book), args.repeat)
    print(f"book_frame, {args.levels} levels ({len(book.bids)} bids + {len(book.asks)} asks), median of {args.repeat}:")
    print(f"  numpy path  {fast:8.1f} us")
    print(f"  naive rows  {naive:8.1f} us")
    print(f"  ratio       {naive / fast:8.1f}x")


if __name__ == "__main__":
    main()
