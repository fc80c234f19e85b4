"""In-memory columnar buffers of recorded rows (listeners only append: no I/O on the event loop).

A full buffer is handed to the ``PartWriter`` (``writer``), which turns it into Parquet on a worker thread.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from arbkit.recording.schemas import I64, ROW_SCHEMAS, STR, TS_MS, TS_US
from arbkit.research.frames import levels_to_numpy
from arbkit.structs import Level, OrderBook

__all__ = ["BookBuffer", "RowBuffer"]

_CHUNK = 1 << 16  # levels converted per C call, so the worker thread releases the GIL often


def _levels_arrays(levels: Sequence[Level]) -> tuple[np.ndarray, np.ndarray]:
    """Prices and sizes of ``(price, size)`` levels, converted a chunk at a time with the frames' fast path."""
    n = len(levels)
    price, size = np.empty(n), np.empty(n)
    for start in range(0, n, _CHUNK):
        end = min(start + _CHUNK, n)
        price[start:end], size[start:end] = levels_to_numpy(levels[start:end])
    return price, size


class BookBuffer:
    """Columnar buffer of book updates: one entry per book in small lists, every level in one flat list."""

    __slots__ = ("depth", "exchange", "levels", "n_asks", "n_bids", "received", "rows", "sequence", "symbol", "ts",
                 "update_id")  # fmt: skip

    def __init__(self, depth: int) -> None:
        self.depth = depth
        self.ts: list[int] = []
        self.exchange: list[str] = []
        self.symbol: list[str] = []
        self.sequence: list[int | None] = []
        self.received: list[float] = []
        self.update_id: list[int] = []
        self.n_bids: list[int] = []
        self.n_asks: list[int] = []
        self.levels: list[Level] = []
        self.rows = 0

    def add(self, book: OrderBook, update_id: int) -> None:
        bids, asks = book.bids[: self.depth], book.asks[: self.depth]
        received = book.received_ms or time.time() * 1000.0
        self.ts.append(int(received) if book.timestamp is None else book.timestamp)
        self.exchange.append(book.exchange)
        self.symbol.append(str(book.symbol))
        self.sequence.append(book.sequence)
        self.received.append(received)
        self.update_id.append(update_id)
        self.n_bids.append(len(bids))
        self.n_asks.append(len(asks))
        self.levels += bids
        self.levels += asks
        self.rows += len(bids) + len(asks)

    def frame(self) -> pl.DataFrame:
        """Rows in ``BOOK_SCHEMA`` order: per-book values repeated over their levels with one gather each."""
        n = len(self.ts)
        counts = np.empty(2 * n, np.int64)
        counts[0::2], counts[1::2] = self.n_bids, self.n_asks
        segment = np.repeat(np.arange(2 * n), counts)
        starts = np.cumsum(counts) - counts
        book = pl.Series(segment >> 1)
        price, size = _levels_arrays(self.levels)
        received_us = (np.asarray(self.received, np.float64) * 1000.0).astype(np.int64)
        per_book = [
            pl.Series("ts", self.ts, I64).cast(TS_MS),
            pl.Series("exchange", self.exchange, STR),
            pl.Series("symbol", self.symbol, STR),
        ]
        columns = [s.gather(book) for s in per_book] + [
            pl.Series("side", ["bid", "ask"], STR).gather(pl.Series(segment & 1)),
            pl.Series("level", (np.arange(len(segment)) - starts[segment]).astype(np.int32)),
            pl.Series("price", price),
            pl.Series("size", size),
            pl.Series("sequence", self.sequence, I64).gather(book),
            pl.Series("received", received_us).cast(TS_US).gather(book),
            pl.Series("update_id", self.update_id, I64).gather(book),
        ]
        return pl.DataFrame(columns)

    def release(self) -> None:
        """Drop the buffered levels a slice at a time, so this thread lets the event loop run in between."""
        while self.levels:
            del self.levels[-_CHUNK:]


class RowBuffer:
    """Low-volume rows (health, opportunity events) kept as tuples in schema order."""

    __slots__ = ("kind", "rows_", "schema")

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.schema = ROW_SCHEMAS[kind]
        self.rows_: list[tuple[Any, ...]] = []

    @property
    def rows(self) -> int:
        return len(self.rows_)

    def add(self, row: tuple[Any, ...]) -> None:
        self.rows_.append(row)

    def frame(self) -> pl.DataFrame:
        raw = {name: I64 if dtype == TS_MS else dtype for name, dtype in self.schema.items()}
        frame = pl.DataFrame(self.rows_, schema=raw, orient="row")
        return frame.with_columns(pl.col(n).cast(TS_MS) for n, dtype in self.schema.items() if dtype == TS_MS)

    def release(self) -> None:
        self.rows_.clear()
