"""Book rows per second the Recorder writes to hive-partitioned Parquet, vs a naive dict-per-row recorder.

Both take the same BookUpdates (2 exchanges x 2 symbols, 20 levels a side) from the listener, batch them and
write one Parquet part per (date, exchange, symbol) per batch; timed from the first update to the last file
closed. Median of 5 runs. Run: ``python benchmarks/record_throughput.py [--updates 10000] [--depth 20]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import polars as pl

from arbkit.config import ExchangeConfig, WebsocketConfig
from arbkit.exchanges.listeners import Listeners
from arbkit.recording import Recorder, dataset_glob
from arbkit.structs import BookHealth, BookState, BookUpdate, OrderBook, Symbol

TARGET_ROWS_PER_S = 50_000
SYMBOLS = [Symbol.parse("BTC/USDT"), Symbol.parse("ETH/USDT")]


class _Source:
    """The listener side of a composite exchange, fed from pre-built updates."""

    def __init__(self, name: str, depth: int) -> None:
        self.name = name
        self.config = ExchangeConfig(
            name=name, base_url="http://127.0.0.1:1", websocket_config=WebsocketConfig(book_depth=depth)
        )
        self.active_symbols = SYMBOLS
        self.listeners: Listeners[BookUpdate] = Listeners(name)

    def add_listener(self, listener: Callable[[BookUpdate], None]) -> Callable[[], None]:
        return self.listeners.add(listener)

    def book(self, symbol: Symbol) -> OrderBook | None:
        return None

    def health(self) -> list[BookHealth]:
        return []


def make_updates(count: int, depth: int) -> list[BookUpdate]:
    out = []
    now = time.time() * 1000.0
    for i in range(count):
        exchange = ("binance", "gateio")[i % 2]
        symbol = SYMBOLS[(i // 2) % 2]
        mid = 65_000.0 + (i % 50) * 0.5
        bids = [(mid - 0.5 - 0.5 * k, 0.001 * (1 + (i + k) % 7)) for k in range(depth)]
        asks = [(mid + 0.5 + 0.5 * k, 0.002 * (1 + (i + k) % 5)) for k in range(depth)]
        book = OrderBook(exchange, symbol, bids, asks, int(now) + i, i, now + i)
        health = BookHealth(exchange, symbol, BookState.LIVE, i, 1.0, i, 20.0, 0, 0, 0, 0)
        out.append(BookUpdate(book, health))
    return out


async def run_recorder(out: Path, updates: list[BookUpdate], depth: int, batch_rows: int) -> int:
    sources = {name: _Source(name, depth) for name in ("binance", "gateio")}
    recorder = Recorder(out, depth=depth, batch_rows=batch_rows, flush_interval=60.0)
    for source in sources.values():
        recorder.attach_exchange(source)
    for update in updates:
        sources[update.book.exchange].listeners.emit(update)
        if recorder.pending_rows["books"] == 0:
            await asyncio.sleep(0)  # let the writer pick up the batch, as a live loop would
    await recorder.close()
    return recorder.rows_written["books"]


class NaiveRecorder:
    """The obvious way: one dict per level row, a DataFrame from the dicts per batch, one part per partition."""

    def __init__(self, out: Path, depth: int, batch_rows: int) -> None:
        self.out, self.depth, self.batch_rows = out, depth, batch_rows
        self.rows: list[dict[str, object]] = []
        self.batches = 0
        self.written = 0
        self.tasks: list[asyncio.Future[None]] = []

    def on_update(self, update: BookUpdate) -> None:
        book = update.book
        for side, levels in (("bid", book.bids[: self.depth]), ("ask", book.asks[: self.depth])):
            for level, (price, size) in enumerate(levels):
                self.rows.append({
                    "ts": book.timestamp, "exchange": book.exchange, "symbol": str(book.symbol), "side": side,
                    "level": level, "price": price, "size": size, "sequence": book.sequence,
                })  # fmt: skip
        if len(self.rows) >= self.batch_rows:
            self.flush()

    def flush(self) -> None:
        rows, self.rows = self.rows, []
        if rows:
            self.batches += 1
            self.tasks.append(asyncio.ensure_future(asyncio.to_thread(self._write, rows, self.batches)))

    def _write(self, rows: list[dict[str, object]], batch: int) -> None:
        frame = pl.DataFrame(rows).with_columns(pl.col("ts").cast(pl.Datetime("ms", "UTC")))
        frame = frame.with_columns(_date=pl.col("ts").dt.date())
        for (day, exchange, symbol), part in frame.partition_by(["_date", "exchange", "symbol"], as_dict=True).items():
            folder = (
                self.out / "books" / f"date={day}" / f"exchange={exchange}" / f"symbol={quote(str(symbol), safe='')}"
            )
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / f".part-{batch:06d}.parquet.tmp"
            part.drop("_date").write_parquet(tmp, compression="lz4")
            os.replace(tmp, folder / f"part-{batch:06d}.parquet")
        self.written += frame.height

    async def close(self) -> None:
        self.flush()
        await asyncio.gather(*self.tasks)


async def run_naive(out: Path, updates: list[BookUpdate], depth: int, batch_rows: int) -> int:
    naive = NaiveRecorder(out, depth, batch_rows)
    for update in updates:
        naive.on_update(update)
        if not naive.rows:
            await asyncio.sleep(0)
    await naive.close()
    return naive.written


def rows_per_second(kind: str, updates: list[BookUpdate], depth: int, batch_rows: int, runs: int) -> float:
    rates = []
    for _ in range(runs):
        out = Path(tempfile.mkdtemp(prefix=f"arbkit-bench-{kind}-"))
        try:
            runner = run_recorder if kind == "recorder" else run_naive
            started = time.perf_counter()
            rows = asyncio.run(runner(out, updates, depth, batch_rows))
            took = time.perf_counter() - started
            on_disk = pl.scan_parquet(dataset_glob(out), hive_partitioning=True).select(pl.len()).collect().item()
            assert on_disk == rows, f"{kind}: {on_disk} rows on disk, {rows} written"
            rates.append(rows / took)
        finally:
            shutil.rmtree(out, ignore_errors=True)
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=10_000, help="book updates per run (default 10,000)")
    parser.add_argument("--depth", type=int, default=20, help="levels per side (default 20)")
    parser.add_argument("--batch-rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    updates = make_updates(args.updates, args.depth)
    total = args.updates * args.depth * 2
    print(f"{args.updates:,} updates x {2 * args.depth} levels = {total:,} rows per run, median of {args.runs}")
    fast = rows_per_second("recorder", updates, args.depth, args.batch_rows, args.runs)
    naive = rows_per_second("naive", updates, args.depth, args.batch_rows, args.runs)
    verdict = "ok" if fast >= TARGET_ROWS_PER_S else "BELOW TARGET"
    print(f"Recorder       {fast:>12,.0f} rows/s  (target >= {TARGET_ROWS_PER_S:,}: {verdict})")
    print(f"naive (dicts)  {naive:>12,.0f} rows/s")
    print(f"ratio          {fast / naive:>12.1f}x")


if __name__ == "__main__":
    main()
