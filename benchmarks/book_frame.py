"""Median time to turn one OrderBook into a polars frame: arbkit's path vs the previous one and a naive row path.

Run: ``python benchmarks/book_frame.py [--levels 1000] [--repeat 2000]`` (levels = bids + asks). Target: under
100 us for 1,000 levels. ``baseline_book_frame`` is the previous implementation, kept here verbatim so the
ratio is measured in the same run on the same machine.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from functools import lru_cache
from itertools import chain

import msgspec
import numpy as np
import polars as pl
from polars.testing import assert_frame_equal

from arbkit.research.frames import book_frame
from arbkit.structs import OrderBook, Symbol

TARGET_US = 100.0

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


_RECORD = np.dtype([("array", "u1"), ("f1", "u1"), ("price", ">f8"), ("f2", "u1"), ("size", ">f8")])
_ENCODE = msgspec.msgpack.Encoder().encode


def _old_levels_to_numpy(levels: list) -> tuple[np.ndarray, np.ndarray]:
    n = len(levels)
    buf = _ENCODE(levels)
    header = 1 if n < 16 else 3 if n < 65536 else 5
    if len(buf) == header + 19 * n:
        rec = np.frombuffer(buf, _RECORD, offset=header)
        if (rec["array"] == 0x92).all() and (rec["f1"] == 0xCB).all() and (rec["f2"] == 0xCB).all():
            return rec["price"].astype(np.float64), rec["size"].astype(np.float64)
    flat = np.fromiter(chain.from_iterable(levels), np.float64, 2 * n)
    return flat[0::2].copy(), flat[1::2].copy()


@lru_cache(maxsize=512)
def _old_constant(name: str, value: str, n: int) -> pl.Series:
    one = pl.Series(name, [value], dtype=pl.String())
    return one.new_from_index(0, n) if n else one.clear()


@lru_cache(maxsize=512)
def _old_side_columns(n_bids: int, n_asks: int) -> tuple[pl.Series, pl.Series]:
    side = pl.concat([_old_constant("side", "bid", n_bids), _old_constant("side", "ask", n_asks)], rechunk=True)
    level = np.concatenate((np.arange(n_bids), np.arange(n_asks))).astype(np.uint32)
    return side, pl.Series("level", level)


def baseline_book_frame(book: OrderBook) -> pl.DataFrame:
    """The previous ``book_frame`` (its single-book path), for the ratio."""
    sides = [book.bids, book.asks]
    counts = [len(s) for s in sides]
    total = sum(counts)
    price, size = _old_levels_to_numpy(sides[0] + sides[1])
    amounts = np.stack((size, price * size))
    cum = np.empty_like(amounts)
    start = 0
    for count in counts:
        np.cumsum(amounts[:, start : start + count], axis=1, out=cum[:, start : start + count])
        start += count
    mid = np.nan if book.mid is None else book.mid
    side, level = _old_side_columns(counts[0], counts[1])
    labels = [_old_constant("exchange", book.exchange, total), _old_constant("symbol", str(book.symbol), total), side]
    distance = price - mid
    np.abs(distance, out=distance)
    distance /= mid
    distance *= 1e4
    columns = [
        *labels, level, pl.Series("price", price), pl.Series("size", size), pl.Series("cum_size", cum[0]),
        pl.Series("cum_notional", cum[1]), pl.Series("distance_bps", distance, nan_to_null=book.mid is None),
    ]  # fmt: skip
    return pl.DataFrame(columns)


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
    # the same frame every way, so the timings compare like with like
    assert_frame_equal(book_frame(book), naive_book_frame(book))
    assert_frame_equal(book_frame(book), baseline_book_frame(book), check_exact=True)
    fast = median_us(lambda: book_frame(book), args.repeat)
    before = median_us(lambda: baseline_book_frame(book), args.repeat)
    naive = median_us(lambda: naive_book_frame(book), args.repeat)
    print(f"book_frame, {args.levels} levels ({len(book.bids)} bids + {len(book.asks)} asks), median of {args.repeat}:")
    print(f"  book_frame      {fast:8.1f} us   target < {TARGET_US:.0f} us: {'met' if fast < TARGET_US else 'NOT met'}")
    print(f"  previous code   {before:8.1f} us   ({before / fast:.2f}x slower than now)")
    print(f"  naive rows      {naive:8.1f} us   ({naive / fast:.1f}x slower than now)")


if __name__ == "__main__":
    main()
