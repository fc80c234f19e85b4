"""Recorder: a session's books, book health and opportunity events to hive-partitioned Parquet.

The Recorder attaches to a session's composites and scanner and routes each event into a columnar buffer (no I/O
on the event loop); full buffers, and every buffer each ``flush_interval``, go to a ``PartWriter`` (``writer``),
which stages them on disk at once and rolls them into one visible file per partition every ``roll_interval``
seconds or ``roll_bytes``. The layout on disk is described in ``schemas``; the buffers in ``buffers``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import polars as pl

from arbkit.arbitrage.lifecycle import OpportunityEvent
from arbkit.errors import ArbkitError
from arbkit.recording.buffers import BookBuffer, RowBuffer
from arbkit.recording.files import RecordingLock, recover
from arbkit.recording.schemas import (
    DATASETS,
    RecordingMeta,
    dataset_glob,
    health_row,
    opportunity_row,
    write_meta,
)
from arbkit.recording.writer import PartWriter
from arbkit.structs import BookHealth, BookUpdate, OrderBook

__all__ = ["Recorder"]

log = logging.getLogger(__name__)

_HEALTH_EVERY_MS = 1000.0


class Recorder:
    """``rec = Recorder("recordings/run1"); rec.attach(session); ...; await rec.close()``.

    ``flush_interval``: seconds between writes of the buffers to disk (what a crash can lose at most);
    ``roll_interval`` / ``roll_bytes``: when a partition's staged batches become one file readers see
    (0 makes every flush visible at once). One recorder at a time per directory (a lock file guards it).
    """

    def __init__(
        self,
        out_dir: str | os.PathLike[str],
        depth: int = 20,
        batch_rows: int = 200_000,
        flush_interval: float = 1.0,
        compression: str = "zstd",
        roll_interval: float = 300.0,
        roll_bytes: int = 128 << 20,
    ) -> None:
        if depth < 1 or batch_rows < 1 or flush_interval <= 0 or roll_interval < 0 or roll_bytes < 1:
            raise ValueError(
                "Recorder: depth, batch_rows and roll_bytes must be >= 1, flush_interval > 0, roll_interval >= 0"
            )
        self.out_dir = Path(out_dir)
        self.depth = depth
        self.batch_rows = batch_rows
        self.flush_interval = flush_interval
        self.compression = compression
        self.meta = RecordingMeta(depth=depth, started_ms=int(time.time() * 1000))
        self._parts = PartWriter(self.out_dir, compression, log, roll_interval, roll_bytes)
        self._lock = RecordingLock(self.out_dir, "recorder")
        self._books = BookBuffer(depth)
        self._health = RowBuffer("health")
        self._opps = RowBuffer("opportunities")
        self._next_id = 0
        self._health_seen: dict[tuple[str, str], tuple[str, float]] = {}
        self._sources: list[Any] = []
        self._detach: list[Callable[[], None]] = []
        self._ticker: asyncio.Task[None] | None = None
        self._events = 0
        self.rows_written: dict[str, int] = self._parts.rows_written  # the writer's counts, shared
        self.errors: list[str] = self._parts.errors
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
        if not self._parts.started:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            self._lock.acquire()
            recover(self.out_dir, self.compression)  # a crashed earlier run's staged batches, before counting ids
            self._next_id = _last_update_id(self.out_dir) + 1
            self._parts.start()
            self._ticker = asyncio.get_running_loop().create_task(self._tick(), name="arbkit-recorder-ticker")

    def _swap(self, dataset: str) -> None:
        """Hand the current buffer of ``dataset`` to the writer and start a fresh one (constant time)."""
        full: BookBuffer | RowBuffer
        if dataset == "books":
            full, self._books = self._books, BookBuffer(self.depth)
        elif dataset == "health":
            full, self._health = self._health, RowBuffer("health")
        else:
            full, self._opps = self._opps, RowBuffer("opportunities")
        if full.rows:
            self._parts.put(dataset, full)

    def flush(self) -> None:
        """Queue every non-empty buffer for writing now (``await drain()`` waits for the files)."""
        for dataset in DATASETS:
            self._swap(dataset)

    async def drain(self) -> None:
        """Wait until every queued buffer is on disk."""
        await self._parts.drain()

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
                self._parts.check_rolls()

    def _write_meta(self) -> None:
        self.meta.rows = dict(self.rows_written)
        write_meta(self.out_dir, self.meta)

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
        if self._parts.started:
            self.flush()
            await self._parts.close()
        self.meta.stopped_ms = int(time.time() * 1000)
        if self.out_dir.exists():
            self._write_meta()
        self._lock.release()
        if self.errors:
            raise ArbkitError(f"recorder {self.out_dir}: {len(self.errors)} batch(es) not written: {self.errors[0]}")

    async def __aenter__(self) -> Recorder:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        written = ", ".join(f"{k}={v}" for k, v in self.rows_written.items())
        return f"Recorder({str(self.out_dir)!r}, depth={self.depth}, written: {written}, pending={self.pending_rows})"


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
