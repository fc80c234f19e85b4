"""``import_tardis``: Tardis-format CSV files of one instrument into an arbkit recording that replays and charts.

Each distinct top-N book state becomes one recorded update: ``ts`` the exchange time, ``received`` the vendor's
local arrival time, ``sequence`` 1, 2, ... per book. ``update_id`` is derived from the arrival time
(``local_us * 1024 + import slot * 16 + k``), so books imported one instrument at a time into the same recording
interleave across venues by arrival time, as the scanner would have seen them. The import is built in a scratch
folder beside ``out`` and published with one rename (a new recording) or one atomic swap of ``books/`` (adding to
an existing one): a failure leaves nothing behind.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

import msgspec
import polars as pl

from arbkit.errors import ArbkitError
from arbkit.recording.buffers import BookBuffer
from arbkit.recording.compact import compact
from arbkit.recording.files import RecordingLock, exchange_dirs, write_frame
from arbkit.recording.schemas import META_FILE, RecordingMeta, read_meta, write_meta
from arbkit.recording.tardis import read_tardis, tardis_instrument
from arbkit.structs import OrderBook, Symbol
from arbkit.venue.instruments import instruments, known_exchanges

__all__ = ["ImportReport", "import_tardis"]

log = logging.getLogger(__name__)

_CHUNK_ROWS = 500_000
_SLOTS, _PER_US = 64, 16


class ImportReport(msgspec.Struct, kw_only=True):
    """What an import wrote: the instrument, book updates and level rows, the time range, prices off the tick."""

    out: str
    exchange: str
    symbol: str
    source: str  # the vendor's exchange/symbol
    files: int
    updates: int
    rows: int
    first_ms: int
    last_ms: int
    off_tick: int

    def summary(self) -> str:
        span = (self.last_ms - self.first_ms) / 1000.0
        warn = f"; {self.off_tick} price(s) off the venue's tick (replay rounds them)" if self.off_tick else ""
        return (
            f"imported {self.updates} book updates ({self.rows} rows, {span:.1f}s) of {self.source} as "
            f"{self.exchange} {self.symbol} into {self.out}{warn}"
        )


def _check_target(exchange: str, symbol: str) -> tuple[str, Symbol]:
    name = exchange.strip().lower()
    if name not in known_exchanges():
        raise ArbkitError(f"tardis import: exchange {exchange!r} unknown (known: {', '.join(known_exchanges())})")
    try:
        parsed = Symbol.parse(symbol)
    except ValueError as exc:
        raise ArbkitError(f"tardis import: --symbol {symbol!r}: {exc}") from None
    if str(parsed) not in instruments(name):
        raise ArbkitError(f"tardis import: the local venue does not list {parsed} on {name}, so it could not replay it")
    return name, parsed


class _Writer:
    """Books into day-partitioned part files of a scratch recording, a chunk at a time."""

    def __init__(self, root: Path, exchange: str, symbol: str, depth: int) -> None:
        self.root, self.exchange, self.symbol, self.depth = root, exchange, symbol, depth
        self.buffer = BookBuffer(depth)
        self.chunks = self.rows = 0

    def add(self, book: OrderBook, update_id: int) -> None:
        self.buffer.add(book, update_id)
        if self.buffer.rows >= _CHUNK_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.buffer.rows:
            return
        frame = self.buffer.frame()
        self.buffer = BookBuffer(self.depth)
        self.chunks += 1
        for (day,), part in frame.with_columns(_d=pl.col("ts").dt.date()).partition_by("_d", as_dict=True).items():
            folder = self.root / "books" / f"date={day}" / f"exchange={quote(self.exchange, safe='')}"
            folder = folder / f"symbol={quote(self.symbol, safe='')}"
            folder.mkdir(parents=True, exist_ok=True)
            write_frame(part.drop("_d"), folder / f"part-import-{self.chunks:06d}.parquet", "zstd")
        self.rows += frame.height


def import_tardis(
    files: Sequence[str | os.PathLike[str]],
    exchange: str,
    symbol: str,
    out: str | os.PathLike[str],
    *,
    depth: int | None = None,
) -> ImportReport:
    """Convert Tardis CSV files (one instrument, in time order) into recording ``out`` as ``exchange`` ``symbol``.

    ``out`` is created, or an existing recording gains this instrument (its depth is kept). ``depth`` defaults to
    20 levels per side. Bad input raises ArbkitError naming the file and line.
    """
    name, parsed = _check_target(exchange, symbol)
    paths = [Path(f) for f in files]
    if not paths:
        raise ArbkitError("tardis import: no input files")
    for path in paths:
        if not path.is_file():
            raise ArbkitError(f"tardis import: {path}: no such file")
    target = Path(out)
    if target.exists() and not target.is_dir():
        raise ArbkitError(f"tardis import: --out {target} is a file, not a recording directory")
    existing = target.is_dir() and any(target.iterdir())
    if existing and not (target / META_FILE).is_file():
        raise ArbkitError(f"tardis import: {target} exists and is not a recording (no {META_FILE})")
    lock = RecordingLock(target, "tardis import").acquire() if existing else None
    scratch = target.parent / f".{target.name}.importing-{uuid.uuid4().hex[:8]}"
    try:
        meta = read_meta(target) if existing else RecordingMeta(depth=depth or 20, started_ms=0)
        if existing and depth is not None and depth != meta.depth:
            raise ArbkitError(f"tardis import: {target} records {meta.depth} levels; pass --depth {meta.depth}")
        if _has_book(target, name, str(parsed)):
            raise ArbkitError(f"tardis import: {target} already holds {name} {parsed} (import every file at once)")
        if len(meta.imports) >= _SLOTS:
            raise ArbkitError(f"tardis import: {target} already holds {_SLOTS} imports")
        scratch.mkdir(parents=True)
        report = _convert(paths, name, str(parsed), scratch, meta, len(meta.imports))
        report.out = str(target)
        _publish(scratch, target, meta, existing, report)
        return report
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if lock is not None:
            lock.release()


def _has_book(target: Path, exchange: str, symbol: str) -> bool:
    pattern = f"date=*/exchange={quote(exchange, safe='')}/symbol={quote(symbol, safe='')}"
    return any((target / "books").glob(pattern))


def _convert(
    paths: list[Path], exchange: str, symbol: str, scratch: Path, meta: RecordingMeta, slot: int
) -> ImportReport:
    inst = instruments(exchange)[symbol]
    source = tardis_instrument(paths[0])
    writer = _Writer(scratch, exchange, symbol, meta.depth)
    sym = Symbol.parse(symbol)
    updates = off_tick = 0
    first_ms = last_ms = 0
    previous_us, k = -1, 0
    for path in paths:
        for book in read_tardis(path, meta.depth, source):
            if book.local_us < previous_us:
                raise ArbkitError(
                    f"tardis import: {path} line {book.line}: local_timestamp goes back in time across files"
                )
            k = k + 1 if book.local_us == previous_us else 0
            if k >= _PER_US:
                raise ArbkitError(f"tardis import: {path} line {book.line}: over {_PER_US} books in one microsecond")
            previous_us = book.local_us
            updates += 1
            ts = book.timestamp_us // 1000
            first_ms = first_ms or ts
            last_ms = ts
            off_tick += sum(not inst.on_tick(p) for p, _ in book.bids) + sum(not inst.on_tick(p) for p, _ in book.asks)
            ob = OrderBook(exchange, sym, book.bids, book.asks, ts, updates, book.local_us / 1000.0)
            writer.add(ob, book.local_us * (_SLOTS * _PER_US) + slot * _PER_US + k)
    writer.flush()
    if not updates:
        raise ArbkitError(f"tardis import: {', '.join(map(str, paths))}: no book rows (after the first snapshot)")
    return ImportReport(
        out="", exchange=exchange, symbol=symbol, source="/".join(source or ("?", "?")), files=len(paths),
        updates=updates, rows=writer.rows, first_ms=first_ms, last_ms=last_ms, off_tick=off_tick,
    )  # fmt: skip


def _publish(scratch: Path, target: Path, meta: RecordingMeta, existing: bool, report: ImportReport) -> None:
    """Merge the chunks, then make the import visible in one step."""
    meta.exchanges = sorted({*meta.exchanges, report.exchange})
    meta.symbols = sorted({*meta.symbols, report.symbol})
    meta.book_depth[report.exchange] = meta.depth
    meta.imports.append(f"tardis {report.source} -> {report.exchange} {report.symbol}")
    meta.started_ms = min(meta.started_ms or report.first_ms, report.first_ms)
    meta.stopped_ms = max(meta.stopped_ms or 0, report.last_ms)
    write_meta(scratch, meta)
    compact(scratch)  # one file per day partition; also fills in the row counts
    meta = read_meta(scratch)
    if not existing:
        if target.is_dir():
            target.rmdir()  # an empty folder: the rename takes its place
        os.replace(scratch, target)
        return
    books = scratch / "books-merged"
    if (target / "books").is_dir():
        shutil.copytree(target / "books", books, copy_function=os.link)  # hard links: no data copied
    else:
        books.mkdir()
    shutil.copytree(scratch / "books", books, copy_function=os.link, dirs_exist_ok=True)
    (target / "books").mkdir(exist_ok=True)
    if not exchange_dirs(books, target / "books"):
        shutil.copytree(scratch / "books", target / "books", copy_function=os.link, dirs_exist_ok=True)
    rows = read_meta(target).rows
    meta.rows = {**rows, "books": rows.get("books", 0) + report.rows}
    write_meta(target, meta)
