"""Recorder: a session's books, book health and opportunity events to hive-partitioned Parquet.

Three datasets under ``out_dir`` (``books/``, ``health/``, ``opportunities/``), each laid out as
``<dataset>/date=YYYY-MM-DD/<exchange key>=<name>/symbol=<BASE%2FQUOTE>/part-<run>-<batch>.parquet`` so that
``pl.scan_parquet(f"{out_dir}/books/**/*.parquet", hive_partitioning=True)`` reads one lazy dataset. The symbol is
percent-encoded in the path (``BTC%2FUSDT``); polars and pyarrow decode it, so the column reads ``BTC/USDT``.

Book rows follow ``RECORDED_BOOK_SCHEMA`` plus ``received`` (local receive time, us) and ``update_id`` (the order
in which the scanner saw the updates, across every venue: replay follows it). Listeners only append to in-memory
columnar buffers; full buffers are written by a worker thread, each part file written under a temporary name and
renamed, so a crash loses at most the buffers not yet flushed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
import uuid
from collections.abc import Callable, Sequence
from itertools import chain
from pathlib import Path
from typing import Any
from urllib.parse import quote

import msgspec
import numpy as np
import polars as pl

from arbkit.arbitrage.lifecycle import OpportunityEvent
from arbkit.errors import ArbkitError
from arbkit.research.frames import RECORDED_BOOK_SCHEMA
from arbkit.structs import BookHealth, BookUpdate, Level, OrderBook

__all__ = [
    "BOOK_SCHEMA",
    "DATASETS",
    "HEALTH_SCHEMA",
    "META_FILE",
    "OPPORTUNITY_SCHEMA",
    "Recorder",
    "RecordingMeta",
    "dataset_glob",
    "read_meta",
]

log = logging.getLogger(__name__)

DATASETS = ("books", "health", "opportunities")
META_FILE = "recording.json"
_PARTITIONS = {"books": "exchange", "health": "exchange", "opportunities": "buy_exchange"}
_HEALTH_EVERY_MS = 1000.0


class RecordingMeta(msgspec.Struct, kw_only=True):
    """``recording.json``: what replay needs besides the rows (depth recorded, the scanner's arbitrage config)."""

    version: int = 1
    depth: int = 20
    started_ms: int = 0
    stopped_ms: int | None = None
    exchanges: list[str] = msgspec.field(default_factory=list)
    symbols: list[str] = msgspec.field(default_factory=list)
    book_depth: dict[str, int] = msgspec.field(default_factory=dict)  # the live composites' depth per exchange
    arbitrage: dict[str, Any] | None = None  # msgspec.to_builtins(ArbitrageConfig) of the attached scanner
    rows: dict[str, int] = msgspec.field(default_factory=dict)


def dataset_glob(out_dir: str | os.PathLike[str], dataset: str = "books") -> str:
    """The glob of one dataset's part files, for ``pl.scan_parquet(..., hive_partitioning=True)``."""
    return str(Path(out_dir) / dataset / "**" / "*.parquet")


def read_meta(out_dir: str | os.PathLike[str]) -> RecordingMeta:
    path = Path(out_dir) / META_FILE
    try:
        return msgspec.json.decode(path.read_bytes(), type=RecordingMeta)
    except FileNotFoundError:
        raise ArbkitError(f"recording {out_dir}: no {META_FILE} (not a recording directory)") from None
    except msgspec.DecodeError as exc:
        raise ArbkitError(f"recording {path}: unreadable ({exc})") from None


class Recorder:
    """``rec = Recorder("recordings/run1"); rec.attach(session); ...; await rec.close()``."""

    def __init__(
        self,
        out_dir: str | os.PathLike[str],
        depth: int = 20,
        batch_rows: int = 200_000,
        flush_interval: float = 1.0,
        compression: str = "lz4",
    ) -> None:
        if depth < 1 or batch_rows < 1 or flush_interval <= 0:
            raise ValueError("Recorder: depth and batch_rows must be >= 1 and flush_interval > 0")
        self.out_dir = Path(out_dir)
        self.depth = depth
        self.batch_rows = batch_rows
        self.flush_interval = flush_interval
        self.compression = compression
        self.meta = RecordingMeta(depth=depth, started_ms=int(time.time() * 1000))
        self._run = f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{uuid.uuid4().hex[:6]}"
        self._books = _BookBuffer(depth)
        self._health = _RowBuffer("health")
        self._opps = _RowBuffer("opportunities")
        self._next_id = _last_update_id(self.out_dir) + 1
        self._health_seen: dict[tuple[str, str], tuple[str, float]] = {}
        self._sources: list[Any] = []
        self._detach: list[Callable[[], None]] = []
        self._queue: asyncio.Queue[tuple[str, Any] | None] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._batches = 0
        self._events = 0
        self.rows_written: dict[str, int] = dict.fromkeys(DATASETS, 0)
        self.errors: list[str] = []
        self._closed = False

    # ------------------------------------------------------------------ attaching
    def attach(self, session: Any) -> Recorder:
        """Record every exchange of a running Session and its scanner's opportunity events."""
        for composite in session.exchanges.values():
            self.attach_exchange(composite)
        self.attach_scanner(session.scanner)
        return self

    def attach_exchange(self, composite: Any) -> None:
        """Record a live composite's books (starting with the books it holds now) and their health."""
        self._start()
        name = composite.name
        book_depth = int(composite.config.websocket_config.book_depth)
        if self.depth < book_depth:
            log.warning(
                "recorder: depth %d < %s book_depth %d: replay will not see every level the scanner saw",
                self.depth,
                name,
                book_depth,
            )
        for symbol in composite.active_symbols:
            book = composite.book(symbol)
            if book is not None:
                self._add_book(book)
        self._detach.append(composite.add_listener(self._on_update))
        self._sources.append(composite)
        meta = self.meta
        meta.book_depth[name] = book_depth
        meta.exchanges = sorted({*meta.exchanges, name})
        meta.symbols = sorted({*meta.symbols, *map(str, composite.active_symbols)})
        self._write_meta()

    def attach_scanner(self, scanner: Any) -> None:
        """Record every OpportunityEvent (opened, updated, closed) with its lifecycle fields."""
        self._start()
        self._detach.append(scanner.add_listener(self._on_event))
        self.meta.arbitrage = msgspec.to_builtins(scanner.config)
        self._write_meta()

    # ------------------------------------------------------------------ hot path (event loop, no I/O)
    def _on_update(self, update: BookUpdate) -> None:
        self._add_book(update.book)
        self._maybe_health(update.health, update.book.received_ms or time.time() * 1000.0)

    def _add_book(self, book: OrderBook) -> None:
        self._books.add(book, self._next_id)
        self._next_id += 1
        if self._books.rows >= self.batch_rows:
            self._swap("books")

    def _maybe_health(self, health: BookHealth, now_ms: float) -> None:
        key = (health.exchange, str(health.symbol))
        seen = self._health_seen.get(key)
        if seen is None or seen[0] != health.state or now_ms - seen[1] >= _HEALTH_EVERY_MS:
            self._health_seen[key] = (health.state, now_ms)
            self._health.add(health_row(health, now_ms))

    def _on_event(self, event: OpportunityEvent) -> None:
        self._opps.add(opportunity_row(event, self._next_id, self._events))
        self._events += 1

    # ------------------------------------------------------------------ flushing
    def _start(self) -> None:
        if self._closed:
            raise ArbkitError(f"recorder {self.out_dir}: closed")
        if self._writer is None:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            self._queue = asyncio.Queue()
            self._writer = asyncio.get_running_loop().create_task(self._write_loop(), name="arbkit-recorder-writer")
            self._ticker = asyncio.get_running_loop().create_task(self._tick(), name="arbkit-recorder-ticker")

    def _swap(self, dataset: str) -> None:
        """Hand the current buffer of ``dataset`` to the writer and start a fresh one (constant time)."""
        if dataset == "books":
            full, self._books = self._books, _BookBuffer(self.depth)
        elif dataset == "health":
            full, self._health = self._health, _RowBuffer("health")
        else:
            full, self._opps = self._opps, _RowBuffer("opportunities")
        if full.rows and self._queue is not None:
            self._queue.put_nowait((dataset, full))

    def flush(self) -> None:
        """Queue every non-empty buffer for writing now (``await drain()`` waits for the files)."""
        for dataset in DATASETS:
            self._swap(dataset)

    async def drain(self) -> None:
        """Wait until every queued buffer is on disk."""
        if self._queue is not None:
            await self._queue.join()

    @property
    def pending_rows(self) -> dict[str, int]:
        """Rows per dataset held in memory, not yet handed to the writer."""
        return {"books": self._books.rows, "health": self._health.rows, "opportunities": self._opps.rows}

    async def _tick(self) -> None:
        poll = min(0.25, self.flush_interval)
        last_flush = time.monotonic()
        while True:
            await asyncio.sleep(poll)
            now_ms = time.time() * 1000.0
            for source in self._sources:
                with contextlib.suppress(Exception):  # a composite closing under us
                    for health in source.health():
                        self._maybe_health(health, now_ms)
            if time.monotonic() - last_flush >= self.flush_interval:
                last_flush = time.monotonic()
                self.flush()

    async def _write_loop(self) -> None:
        assert self._queue is not None
        while True:
            item = await self._queue.get()
            try:
                if item is None:
                    return
                dataset, buffer = item
                self._batches += 1
                try:
                    rows = await asyncio.to_thread(self._write_batch, dataset, buffer, self._batches)
                    self.rows_written[dataset] += rows
                except Exception as exc:
                    self.errors.append(f"{dataset} batch {self._batches}: {exc}")
                    log.error("recorder %s: %s batch %d not written: %s", self.out_dir, dataset, self._batches, exc)
            finally:
                self._queue.task_done()

    def _write_batch(self, dataset: str, buffer: Any, batch: int) -> int:
        """Worker thread: one part file per (date, exchange, symbol) present in the batch, each renamed into place."""
        frame: pl.DataFrame = buffer.frame()
        buffer.release()  # free the Python objects here, in slices, not on the event loop when the buffer dies
        key = _PARTITIONS[dataset]
        parts = frame.with_columns(_date=pl.col("ts").dt.date()).partition_by(
            ["_date", key, "symbol"], maintain_order=True, as_dict=True
        )
        for (day, name, symbol), part in parts.items():
            folder = self.out_dir / dataset / f"date={day}" / f"{key}={quote(str(name), safe='')}"
            folder = folder / f"symbol={quote(str(symbol), safe='')}"
            folder.mkdir(parents=True, exist_ok=True)
            final = folder / f"part-{self._run}-{batch:06d}.parquet"
            tmp = folder / f".{final.name}.tmp"
            part.drop("_date").write_parquet(tmp, compression=self.compression, statistics=True)
            os.replace(tmp, final)
        return frame.height

    def _write_meta(self) -> None:
        self.meta.rows = dict(self.rows_written)
        path = self.out_dir / META_FILE
        tmp = path.with_name(f".{META_FILE}.tmp")
        tmp.write_bytes(msgspec.json.format(msgspec.json.encode(self.meta)))
        os.replace(tmp, path)

    async def close(self) -> None:
        """Stop listening, write everything still buffered and finish ``recording.json``; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        for detach in self._detach:
            detach()
        self._detach.clear()
        if self._ticker is not None:
            self._ticker.cancel()
            await asyncio.gather(self._ticker, return_exceptions=True)
        if self._writer is not None and self._queue is not None:
            self.flush()
            self._queue.put_nowait(None)
            await self._writer
        self.meta.stopped_ms = int(time.time() * 1000)
        if self.out_dir.exists():
            self._write_meta()
        if self.errors:
            raise ArbkitError(f"recorder {self.out_dir}: {len(self.errors)} batch(es) not written: {self.errors[0]}")

    async def __aenter__(self) -> Recorder:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        written = ", ".join(f"{k}={v}" for k, v in self.rows_written.items())
        return f"Recorder({str(self.out_dir)!r}, depth={self.depth}, written: {written}, pending={self.pending_rows})"


# ---------------------------------------------------------------------------------------------- buffers

_TS_MS, _TS_US = pl.Datetime("ms", "UTC"), pl.Datetime("us", "UTC")
_F64, _I64, _STR = pl.Float64(), pl.Int64(), pl.String()
BOOK_SCHEMA: dict[str, pl.DataType] = {**RECORDED_BOOK_SCHEMA, "received": _TS_US, "update_id": _I64}
HEALTH_SCHEMA: dict[str, pl.DataType] = {
    "ts": _TS_MS, "exchange": _STR, "symbol": _STR, "state": _STR, "sequence": _I64, "age_ms": _F64,
    "updates": _I64, "updates_per_second": _F64, "gaps": _I64, "resyncs": _I64, "checksum_failures": _I64,
    "reconnects": _I64, "crossed": pl.Boolean(), "last_error": _STR,
}  # fmt: skip
OPPORTUNITY_SCHEMA: dict[str, pl.DataType] = {
    "ts": _TS_MS, "kind": _STR, "pair_id": _STR, "symbol": _STR, "buy_exchange": _STR, "sell_exchange": _STR,
    "quantity": _F64, "buy_vwap": _F64, "sell_vwap": _F64, "notional": _F64, "profit_quote": _F64,
    "edge_bps": _F64, "top_edge_bps": _F64, "top_raw_edge_bps": _F64, "buy_levels": _I64, "sell_levels": _I64,
    "buy_fee": _F64, "sell_fee": _F64, "limited_by": _STR, "opened": _TS_MS, "last_seen": _TS_MS,
    "closed": _TS_MS, "duration_ms": _I64, "peak_edge_bps": _F64, "peak_profit": _F64, "last_quantity": _F64,
    "updates": _I64, "close_reason": _STR, "books_seen": _I64, "event_id": _I64,
}  # fmt: skip
_ROW_SCHEMAS = {"health": HEALTH_SCHEMA, "opportunities": OPPORTUNITY_SCHEMA}

# msgpack of one ``(float, float)`` level: fixarray(2) marker, float64 marker, price, float64 marker, size
_PACKED_LEVEL = np.dtype([("tag", "u1"), ("m1", "u1"), ("price", ">f8"), ("m2", "u1"), ("size", ">f8")])
_pack = msgspec.msgpack.Encoder().encode
_CHUNK = 1 << 16  # levels converted per C call, so the worker thread releases the GIL often


def _levels_arrays(levels: Sequence[Level]) -> tuple[np.ndarray, np.ndarray]:
    """Prices and sizes of ``(price, size)`` levels: msgspec packs a chunk in C, numpy reads the fixed records."""
    n = len(levels)
    price, size = np.empty(n), np.empty(n)
    for start in range(0, n, _CHUNK):
        chunk = levels[start : start + _CHUNK]
        k = len(chunk)
        buf = _pack(chunk)
        header = 1 if k < 16 else 3 if k < 65536 else 5
        if len(buf) == header + 19 * k:
            rec = np.frombuffer(buf, _PACKED_LEVEL, offset=header)
            if (rec["tag"] == 0x92).all() and (rec["m1"] == 0xCB).all() and (rec["m2"] == 0xCB).all():
                price[start : start + k], size[start : start + k] = rec["price"], rec["size"]
                continue
        flat = np.fromiter(chain.from_iterable(chunk), np.float64, 2 * k)  # ints or odd shapes
        price[start : start + k], size[start : start + k] = flat[0::2], flat[1::2]
    return price, size


class _BookBuffer:
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
            pl.Series("ts", self.ts, _I64).cast(_TS_MS),
            pl.Series("exchange", self.exchange, _STR),
            pl.Series("symbol", self.symbol, _STR),
        ]
        columns = [s.gather(book) for s in per_book] + [
            pl.Series("side", ["bid", "ask"], _STR).gather(pl.Series(segment & 1)),
            pl.Series("level", (np.arange(len(segment)) - starts[segment]).astype(np.uint32)),
            pl.Series("price", price),
            pl.Series("size", size),
            pl.Series("sequence", self.sequence, _I64).gather(book),
            pl.Series("received", received_us).cast(_TS_US).gather(book),
            pl.Series("update_id", self.update_id, _I64).gather(book),
        ]
        return pl.DataFrame(columns)

    def release(self) -> None:
        """Drop the buffered levels a slice at a time, so this thread lets the event loop run in between."""
        while self.levels:
            del self.levels[-_CHUNK:]


class _RowBuffer:
    """Low-volume rows (health, opportunity events) kept as tuples in schema order."""

    __slots__ = ("kind", "rows_", "schema")

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.schema = _ROW_SCHEMAS[kind]
        self.rows_: list[tuple[Any, ...]] = []

    @property
    def rows(self) -> int:
        return len(self.rows_)

    def add(self, row: tuple[Any, ...]) -> None:
        self.rows_.append(row)

    def frame(self) -> pl.DataFrame:
        raw = {name: _I64 if dtype == _TS_MS else dtype for name, dtype in self.schema.items()}
        frame = pl.DataFrame(self.rows_, schema=raw, orient="row")
        return frame.with_columns(pl.col(n).cast(_TS_MS) for n, dtype in self.schema.items() if dtype == _TS_MS)

    def release(self) -> None:
        self.rows_.clear()


def _last_update_id(out_dir: Path) -> int:
    """The highest ``update_id`` already in ``out_dir`` (-1 if none), so a second run keeps the global order."""
    if not any((out_dir / "books").glob("**/*.parquet")):
        return -1
    try:
        value = pl.scan_parquet(dataset_glob(out_dir), hive_partitioning=True).select(pl.col("update_id").max())
        found = value.collect().item()
    except Exception as exc:
        raise ArbkitError(f"recording {out_dir}: existing books unreadable ({exc})") from None
    return -1 if found is None else int(found)


def health_row(health: BookHealth, now_ms: float) -> tuple[Any, ...]:
    return (
        int(now_ms), health.exchange, str(health.symbol), health.state.value, health.sequence, health.age_ms,
        health.updates, health.updates_per_second, health.gaps, health.resyncs, health.checksum_failures,
        health.reconnects, health.crossed, health.last_error,
    )  # fmt: skip


def opportunity_row(event: OpportunityEvent, books_seen: int, event_id: int) -> tuple[Any, ...]:
    """``books_seen``: book updates recorded before this event; ``event_id``: the event's place in the run."""
    o, life = event.opportunity, event.lifecycle
    return (
        o.timestamp_ms, event.kind.value, o.pair_id, str(o.symbol), o.buy_exchange, o.sell_exchange, o.quantity,
        o.buy_vwap, o.sell_vwap, o.notional, o.profit_quote, o.edge_bps, o.top_edge_bps, o.top_raw_edge_bps,
        o.buy_levels, o.sell_levels, o.buy_fee, o.sell_fee, o.limited_by, life.opened_ms, life.last_seen_ms,
        life.closed_ms, life.duration_ms, life.peak_edge_bps, life.peak_profit, life.last_quantity, life.updates,
        life.close_reason, books_seen, event_id,
    )  # fmt: skip
