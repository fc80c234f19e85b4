"""Polars frames of books, top of book, cross-venue spreads, opportunities, lifecycles and book health.

Every timestamp column is ``pl.Datetime("ms", "UTC")``; call ``.to_pandas()`` for pandas. Functions that take a
frame accept an eager ``DataFrame`` or a ``LazyFrame`` (e.g. ``pl.scan_parquet`` of a recording) and return the
same kind, so a recording is filtered and aggregated before it is loaded.

Recorded book rows (``RECORDED_BOOK_SCHEMA``, the Parquet layout the recorder writes): one row per price level of
a book snapshot; a snapshot is all rows sharing ``(exchange, symbol, ts, sequence)``.

=========  ==================  ====================================================================
ts         Datetime(ms, UTC)   the book's exchange timestamp, else its local receive time
exchange   String              ``ExchangeEnum`` value, e.g. ``binance``
symbol     String              ``BASE/QUOTE``, e.g. ``BTC/USDT``
side       String              ``bid`` or ``ask``
level      UInt32              0 is the best price of that side
price      Float64             quote currency per unit of base
size       Float64             base quantity resting at that price
sequence   Int64 (nullable)    the book's sequence id when the exchange sends one
=========  ==================  ====================================================================

``book_frame`` / ``books_frame`` return those columns plus ``cum_size`` (base) and ``cum_notional`` (quote),
running sums from the best level, and ``distance_bps`` = ``|price - mid| / mid * 1e4``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from enum import Enum
from functools import lru_cache
from itertools import chain
from typing import Any, Literal, TypeVar

import msgspec
import numpy as np
import polars as pl

from arbkit.structs import BookHealth, OrderBook, Symbol

__all__ = [
    "RECORDED_BOOK_SCHEMA",
    "book_frame",
    "books_frame",
    "health_frame",
    "lifecycles_frame",
    "opportunities_frame",
    "resample",
    "spread_frame",
    "top_of_book_frame",
]

TS = pl.Datetime("ms", "UTC")

RECORDED_BOOK_SCHEMA: dict[str, pl.DataType] = {
    "ts": TS,
    "exchange": pl.String(),
    "symbol": pl.String(),
    "side": pl.String(),
    "level": pl.UInt32(),
    "price": pl.Float64(),
    "size": pl.Float64(),
    "sequence": pl.Int64(),
}
SNAPSHOT_KEYS = ("exchange", "symbol", "ts", "sequence")
TOP_OF_BOOK_COLUMNS = ("ts", "exchange", "symbol", "bid", "ask", "bid_size", "ask_size", "mid", "spread_bps")

F = TypeVar("F", pl.DataFrame, pl.LazyFrame)
BookLike = Any  # an OrderBook, or anything with a ``.book`` (BookUpdate)


def _book(item: BookLike) -> OrderBook:
    return getattr(item, "book", item)


def _book_ts(book: OrderBook) -> int | None:
    if book.timestamp is not None:
        return int(book.timestamp)
    return int(book.received_ms) if book.received_ms else None


def _like(result: pl.LazyFrame, source: F) -> F:
    """Collect when the caller passed an eager frame, so lazy in gives lazy out."""
    return result.collect() if isinstance(source, pl.DataFrame) else result  # type: ignore[return-value]


# ---------------------------------------------------------------------------------------------- books


def book_frame(book: BookLike, depth: int | None = None) -> pl.DataFrame:
    """One book as rows (bids then asks, best first), with cumulative size/notional and distance from mid.

    The hot path of the research frames: the label columns come from a cached frame per book shape, the five
    numeric columns are built straight from numpy, and one ``hstack`` joins them (no per-row Python work).
    """
    b = _book(book)
    bids, asks = (b.bids, b.asks) if depth is None else (b.bids[:depth], b.asks[:depth])
    n_bids = len(bids)
    price, size = levels_to_numpy(bids + asks)
    notional = price * size
    cum_size, cum_notional = np.empty_like(size), np.empty_like(size)
    for out, values in ((cum_size, size), (cum_notional, notional)):  # per side, on contiguous slices
        np.add.accumulate(values[:n_bids], out=out[:n_bids])  # what cumsum computes, with less overhead
        np.add.accumulate(values[n_bids:], out=out[n_bids:])
    mid = b.mid
    distance = price - (np.nan if mid is None else mid)
    np.abs(distance, out=distance)
    distance /= np.nan if mid is None else mid
    distance *= 1e4
    labels = _labels(b.exchange, str(b.symbol), n_bids, len(asks))
    return labels.hstack(
        [
            _f64("price", price),
            _f64("size", size),
            _f64("cum_size", cum_size),
            _f64("cum_notional", cum_notional),
            _f64("distance_bps", distance, nan_to_null=mid is None),
        ]
    )


def _f64_constructor() -> Any:
    """polars' direct Float64 Series constructor (5x cheaper than ``pl.Series`` on a small array), if present."""
    for module in ("polars._plr", "polars.polars"):
        try:
            return __import__(module, fromlist=["PySeries"]).PySeries.new_f64
        except (ImportError, AttributeError):
            continue
    return None


_NEW_F64 = _f64_constructor()


def _f64(name: str, values: np.ndarray, nan_to_null: bool = False) -> pl.Series:
    """A Float64 Series over a contiguous float64 array (the public constructor where the direct one is missing)."""
    if _NEW_F64 is not None:
        return pl.Series._from_pyseries(_NEW_F64(name, values, nan_to_null))
    return pl.Series(name, values, nan_to_null=nan_to_null)


@lru_cache(maxsize=512)
def _labels(exchange: str, symbol: str, n_bids: int, n_asks: int) -> pl.DataFrame:
    """The exchange/symbol/side/level columns of a book of this shape (polars frames are immutable: shared)."""
    total = n_bids + n_asks
    side, level = _side_columns(n_bids, n_asks)
    return pl.DataFrame([_constant("exchange", exchange, total), _constant("symbol", symbol, total), side, level])


def books_frame(books: Iterable[BookLike] | F, depth: int | None = None) -> pl.DataFrame | F:
    """Many books as one long frame; recorded rows (eager or lazy) get the same derived columns."""
    if isinstance(books, pl.DataFrame | pl.LazyFrame):
        return _enrich_rows(books, depth)
    return _levels_frame([_book(b) for b in books], depth, stamped=True)


# msgpack bytes of one ``[float, float]`` level: fixarray(2), float64 marker, price, float64 marker, size
_LEVEL_RECORD = np.dtype([("array", "u1"), ("f1", "u1"), ("price", ">f8"), ("f2", "u1"), ("size", ">f8")])
_encode = msgspec.msgpack.Encoder().encode


def levels_to_numpy(levels: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """(prices, sizes) of ``(price, size)`` levels, about 3x faster than ``np.fromiter`` on tuples.

    msgspec packs the list in C; when every level is two floats the bytes are fixed 19-byte records that numpy
    reads in place. The length and every marker byte are checked; anything else takes the plain path.
    """
    n = len(levels)
    buf = _encode(levels)
    header = 1 if n < 16 else 3 if n < 65536 else 5
    if len(buf) == header + 19 * n:
        end = header + 19 * n  # every 19th byte from each marker's offset, compared as bytes (C speed)
        if (
            buf[header:end:19] == b"\x92" * n
            and buf[header + 1 : end : 19] == buf[header + 10 : end : 19] == b"\xcb" * n
        ):
            rec = np.frombuffer(buf, _LEVEL_RECORD, offset=header)
            return rec["price"].astype(np.float64), rec["size"].astype(np.float64)
    flat = np.fromiter(chain.from_iterable(levels), np.float64, 2 * n)
    return flat[0::2].copy(), flat[1::2].copy()


@lru_cache(maxsize=512)
def _constant(name: str, value: str, n: int) -> pl.Series:
    """A constant string column; cached because polars Series are immutable and books repeat their shapes."""
    return _fill(pl.Series(name, [value], dtype=pl.String()), n)


def _fill(one: pl.Series, n: int) -> pl.Series:
    """``n`` copies of a one-element Series (``new_from_index`` cannot make an empty one)."""
    return one.new_from_index(0, n) if n else one.clear()


@lru_cache(maxsize=512)
def _side_columns(n_bids: int, n_asks: int) -> tuple[pl.Series, pl.Series]:
    """The ``side`` and ``level`` columns of a book with these side lengths (cached, like ``_constant``)."""
    side = pl.concat([_constant("side", "bid", n_bids), _constant("side", "ask", n_asks)], rechunk=True)
    level = np.concatenate((np.arange(n_bids), np.arange(n_asks))).astype(np.uint32)
    return side, pl.Series("level", level)


def _levels_frame(books: Sequence[OrderBook], depth: int | None, stamped: bool) -> pl.DataFrame:
    """Vectorised build: levels to numpy in one pass, per-side cumsums on views, one DataFrame."""
    sides = [s[:depth] if depth is not None else s for b in books for s in (b.bids, b.asks)]
    counts = [len(s) for s in sides]
    total = sum(counts)
    price, size = levels_to_numpy(sides[0] + sides[1] if len(sides) == 2 else list(chain.from_iterable(sides)))
    amounts = np.stack((size, price * size))  # rows: size, notional
    cum = np.empty_like(amounts)
    start = 0
    for count in counts:
        np.cumsum(amounts[:, start : start + count], axis=1, out=cum[:, start : start + count])
        start += count
    mids = [b.mid for b in books]
    stamps: list[pl.Series] = []
    if len(books) == 1:
        b = books[0]
        mid: Any = np.nan if mids[0] is None else mids[0]
        side, level = _side_columns(counts[0], counts[1])
        labels = [_constant("exchange", b.exchange, total), _constant("symbol", str(b.symbol), total), side]
        if stamped:
            stamps = [pl.Series("ts", [_book_ts(b)], dtype=TS), pl.Series("sequence", [b.sequence], dtype=pl.Int64())]
            stamps = [_fill(s, total) for s in stamps]
    else:
        segment = np.repeat(np.arange(len(sides)), counts)
        starts = np.cumsum([0, *counts[:-1]], dtype=np.int64)
        level = pl.Series("level", (np.arange(total) - starts[segment]).astype(np.uint32))
        index = pl.Series(segment >> 1)
        mid = np.array([np.nan if m is None else m for m in mids], np.float64)[segment >> 1]
        labels = [
            pl.Series("exchange", [b.exchange for b in books], dtype=pl.String()).gather(index),
            pl.Series("symbol", [str(b.symbol) for b in books], dtype=pl.String()).gather(index),
            pl.Series("side", ["bid", "ask"]).gather(pl.Series(segment & 1)),
        ]
        if stamped:
            stamps = [
                pl.Series("ts", [_book_ts(b) for b in books], dtype=TS).gather(index),
                pl.Series("sequence", [b.sequence for b in books], dtype=pl.Int64()).gather(index),
            ]
    distance = price - mid
    np.abs(distance, out=distance)
    distance /= mid
    distance *= 1e4
    columns = [
        *stamps[:1],
        *labels,
        level,
        pl.Series("price", price),
        pl.Series("size", size),
        *stamps[1:],
        pl.Series("cum_size", cum[0]),
        pl.Series("cum_notional", cum[1]),
        pl.Series("distance_bps", distance, nan_to_null=None in mids),
    ]
    return pl.DataFrame(columns)


def _enrich_rows(rows: F, depth: int | None) -> F:
    lf = rows.lazy()
    if depth is not None:
        lf = lf.filter(pl.col("level") < depth)
    snapshot, side_keys = list(SNAPSHOT_KEYS), [*SNAPSHOT_KEYS, "side"]

    def best(side: str) -> pl.Expr:
        return pl.col("price").filter((pl.col("side") == side) & (pl.col("level") == 0)).first().over(snapshot)

    mid = (best("bid") + best("ask")) / 2
    out = lf.with_columns(
        cum_size=pl.col("size").cum_sum().over(side_keys, order_by="level"),
        cum_notional=(pl.col("price") * pl.col("size")).cum_sum().over(side_keys, order_by="level"),
        distance_bps=(pl.col("price") - mid).abs() / mid * 1e4,
    )
    return _like(out, rows)


def top_of_book_frame(source: Iterable[BookLike] | F) -> pl.DataFrame | F:
    """Best bid/ask time series (ts, exchange, symbol, bid, ask, sizes, mid, spread_bps) from books or rows."""
    if isinstance(source, pl.DataFrame | pl.LazyFrame):
        side = pl.col("side")
        lf = (
            source.lazy()
            .filter(pl.col("level") == 0)
            .group_by(list(SNAPSHOT_KEYS))
            .agg(
                bid=pl.col("price").filter(side == "bid").first(),
                ask=pl.col("price").filter(side == "ask").first(),
                bid_size=pl.col("size").filter(side == "bid").first(),
                ask_size=pl.col("size").filter(side == "ask").first(),
            )
        )
        return _like(_finish_top(lf), source)
    rows = []
    for item in source:
        b = _book(item)
        bid, ask = (b.bids[0] if b.bids else (None, None)), (b.asks[0] if b.asks else (None, None))
        rows.append((_book_ts(b), b.exchange, str(b.symbol), bid[0], ask[0], bid[1], ask[1]))
    schema = {"ts": TS, "exchange": pl.String(), "symbol": pl.String()}
    schema |= {c: pl.Float64() for c in ("bid", "ask", "bid_size", "ask_size")}
    return _finish_top(pl.DataFrame(rows, schema=schema, orient="row").lazy()).collect()


def _finish_top(lf: pl.LazyFrame) -> pl.LazyFrame:
    mid = (pl.col("bid") + pl.col("ask")) / 2
    return (
        lf.with_columns(mid=mid, spread_bps=(pl.col("ask") - pl.col("bid")) / mid * 1e4)
        .select(TOP_OF_BOOK_COLUMNS)
        .sort("ts", "exchange", "symbol", maintain_order=True)
    )


# ---------------------------------------------------------------------------------------------- spreads


def spread_frame(
    tob: F,
    buy: str | Iterable[str] | None = None,
    sell: str | Iterable[str] | None = None,
    tolerance: str | timedelta | None = "5s",
) -> F:
    """Cross-venue edge over time for every ordered (buy, sell) venue pair on the same symbol.

    At each quote update of either venue, the latest ask of ``buy`` and bid of ``sell`` (no older than
    ``tolerance``) are aligned with ``join_asof``; ``edge_bps = (sell_bid - buy_ask) / mid * 1e4`` with
    ``mid = (buy_ask + sell_bid) / 2``. Fees are not included: compare with a fee threshold.
    """
    lf = tob.lazy()
    venues: list[str] = []
    if buy is None or sell is None:
        venues = lf.select(pl.col("exchange").unique().sort()).collect().to_series().to_list()
    buy_venues = [buy] if isinstance(buy, str) else list(buy) if buy is not None else venues
    sell_venues = [sell] if isinstance(sell, str) else list(sell) if sell is not None else venues
    quotes = lf.select("ts", "exchange", "symbol", "bid", "ask").sort("ts")
    parts = []
    for a in buy_venues:
        asks = quotes.filter(pl.col("exchange") == a).select("ts", "symbol", buy_ask="ask").drop_nulls()
        for b in sell_venues:
            if a == b:
                continue
            bids = quotes.filter(pl.col("exchange") == b).select("ts", "symbol", sell_bid="bid").drop_nulls()
            grid = pl.concat([asks.select("ts", "symbol"), bids.select("ts", "symbol")]).unique().sort("ts")
            joined = grid.join_asof(asks, on="ts", by="symbol", tolerance=tolerance, check_sortedness=False)
            joined = joined.join_asof(bids, on="ts", by="symbol", tolerance=tolerance, check_sortedness=False)
            parts.append(
                joined.drop_nulls(["buy_ask", "sell_bid"]).with_columns(
                    buy_exchange=pl.lit(a), sell_exchange=pl.lit(b), route=pl.lit(f"{a}->{b}")
                )
            )
    schema = {"ts": TS, "symbol": pl.String(), "buy_ask": pl.Float64(), "sell_bid": pl.Float64()}
    str_cols = {"buy_exchange": pl.String(), "sell_exchange": pl.String(), "route": pl.String()}
    combined = pl.concat(parts) if parts else pl.LazyFrame(schema=schema | str_cols)
    mid = (pl.col("buy_ask") + pl.col("sell_bid")) / 2
    out = (
        combined.with_columns(mid=mid, edge_bps=(pl.col("sell_bid") - pl.col("buy_ask")) / mid * 1e4)
        .select("ts", "symbol", "buy_exchange", "sell_exchange", "route", "buy_ask", "sell_bid", "mid", "edge_bps")
        .sort("ts", "route", "symbol")
    )
    return _like(out, tob)


_GROUP_COLUMNS = ("exchange", "symbol", "buy_exchange", "sell_exchange", "route", "side", "level")
Agg = Literal["last", "first", "mean", "median", "min", "max", "sum"]


def resample(frame: F, every: str | timedelta = "1s", agg: Agg = "last", by: Sequence[str] | None = None) -> F:
    """Aggregate a ``ts`` series into fixed windows per series (``group_by_dynamic``); adds ``n`` = rows per window.

    ``by`` defaults to the identifying columns present (exchange, symbol, route, ...); every other numeric
    column is aggregated with ``agg``.
    """
    lf = frame.lazy()
    schema = lf.collect_schema()
    keys = list(by) if by is not None else [c for c in _GROUP_COLUMNS if c in schema]
    values = [c for c, dt in schema.items() if dt.is_numeric() and c not in keys and c != "ts"]
    out = (
        lf.sort([*keys, "ts"])
        .group_by_dynamic("ts", every=every, group_by=keys)
        .agg([getattr(pl.col(c), agg)() for c in values] + [pl.len().alias("n")])
        .select("ts", *keys, *values, "n")
        .sort("ts", *keys)
    )
    return _like(out, frame)


# ---------------------------------------------------------------------------------------------- structs

_TIME_FIELDS = {"timestamp_ms": "ts", "opened_ms": "opened", "last_seen_ms": "last_seen", "closed_ms": "closed"}
_F64, _I64, _STR = pl.Float64(), pl.Int64(), pl.String()
OPPORTUNITY_SCHEMA: dict[str, pl.DataType] = {
    "pair_id": _STR, "symbol": _STR, "buy_exchange": _STR, "sell_exchange": _STR, "quantity": _F64,
    "buy_vwap": _F64, "sell_vwap": _F64, "notional": _F64, "profit_quote": _F64, "edge_bps": _F64,
    "top_edge_bps": _F64, "buy_levels": _I64, "sell_levels": _I64, "buy_fee": _F64, "sell_fee": _F64,
    "timestamp_ms": _I64, "top_raw_edge_bps": _F64, "limited_by": _STR, "max_quantity": _F64,
    "buy_worst_price": _F64, "sell_worst_price": _F64,
}  # fmt: skip
LIFECYCLE_SCHEMA: dict[str, pl.DataType] = {
    "pair_id": _STR, "buy_exchange": _STR, "sell_exchange": _STR, "opened_ms": _I64, "last_seen_ms": _I64,
    "closed_ms": _I64, "duration_ms": _I64, "peak_edge_bps": _F64, "peak_profit": _F64, "updates": _I64,
    "close_reason": _STR,
}  # fmt: skip
HEALTH_SCHEMA: dict[str, pl.DataType] = {
    "timestamp_ms": _I64, "exchange": _STR, "symbol": _STR, "state": _STR, "sequence": _I64,
    "age_ms": _F64, "updates": _I64, "updates_per_second": _F64, "gaps": _I64, "resyncs": _I64,
    "checksum_failures": _I64, "reconnects": _I64, "crossed": pl.Boolean(), "last_error": _STR,
}  # fmt: skip


def _row(item: Any) -> dict[str, Any]:
    """A Struct (or dict) as plain values: Symbol -> ``BTC/USDT``, enums -> values, nested Structs prefixed."""
    raw = msgspec.structs.asdict(item) if isinstance(item, msgspec.Struct) else dict(item)
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, Symbol):
            out[key] = str(value)
        elif isinstance(value, Enum):
            out[key] = value.value
        elif isinstance(value, msgspec.Struct):
            out.update({f"{key}_{k}": v for k, v in _row(value).items()})
        else:
            out[key] = msgspec.to_builtins(value)
    return out


def _struct_frame(rows: list[dict[str, Any]], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    if rows:
        frame = pl.DataFrame(rows, infer_schema_length=None)
        frame = frame.with_columns(pl.col(c).cast(dt) for c, dt in schema.items() if c in frame.columns)
    else:
        frame = pl.DataFrame(schema=schema)
    times = [c for c in _TIME_FIELDS if c in frame.columns]
    frame = frame.with_columns(pl.col(c).cast(_I64).cast(TS).alias(_TIME_FIELDS[c]) for c in times)
    first = [_TIME_FIELDS[c] for c in times]
    return frame.select(*first, pl.exclude(*first, *times))


def _with_route(frame: pl.DataFrame) -> pl.DataFrame:
    if {"buy_exchange", "sell_exchange"} <= set(frame.columns):
        return frame.with_columns(route=pl.concat_str("buy_exchange", pl.lit("->"), "sell_exchange"))
    return frame


def opportunities_frame(opps: Iterable[Any]) -> pl.DataFrame:
    """Opportunities (msgspec Structs or dicts) as rows; ``timestamp_ms`` becomes ``ts``; adds ``route``."""
    return _with_route(_struct_frame([_row(o) for o in opps], OPPORTUNITY_SCHEMA))


def lifecycles_frame(lifecycles: Iterable[Any]) -> pl.DataFrame:
    """Opportunity lifecycles (or events carrying ``.lifecycle``) as rows with opened/closed datetimes."""
    rows = [_row(getattr(item, "lifecycle", item)) for item in lifecycles]
    return _with_route(_struct_frame(rows, LIFECYCLE_SCHEMA))


def health_frame(
    healths: Iterable[BookHealth | tuple[float, BookHealth] | Any], ts_ms: float | None = None
) -> pl.DataFrame:
    """Book health snapshots over time; items are BookHealth (stamped ``ts_ms``), (ts_ms, BookHealth) or BookUpdate."""
    rows = []
    for item in healths:
        if isinstance(item, tuple):
            stamp, health = item
        elif isinstance(item, BookHealth):
            stamp, health = ts_ms, item
        else:  # BookUpdate: the health as of that book
            stamp, health = _book_ts(item.book), item.health
        rows.append({"timestamp_ms": None if stamp is None else int(stamp)} | _row(health))
    frame = _struct_frame(rows, HEALTH_SCHEMA)
    return frame.with_columns(healthy=(pl.col("state") == "live") & ~pl.col("crossed"))
