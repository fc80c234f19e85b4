"""Recorder: hive-partitioned Parquet read lazily, batches staged then rolled into few files, close flushes, a
crash loses at most the unflushed batch, and the event loop keeps running while a big batch is written.

Book updates come from a small in-process source with the composite's listener API (no exchange is involved: the
recorder only sees ``BookUpdate`` Structs); the end-to-end recording of a live session is in test_replay.py.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from arbkit.config import ExchangeConfig, WebsocketConfig
from arbkit.errors import ArbkitError
from arbkit.exchanges.listeners import Listeners
from arbkit.recording import BOOK_SCHEMA, Recorder, compact, dataset_glob, read_meta
from arbkit.recording.files import STAGING
from arbkit.research.frames import RECORDED_BOOK_SCHEMA, books_frame
from arbkit.structs import BookHealth, BookState, BookUpdate, OrderBook, Symbol

BTC, ETH = Symbol.parse("BTC/USDT"), Symbol.parse("ETH/USDT")


class _Source:
    """Emits synthetic book updates through the same listener API a CompositePublicSpotExchange has."""

    def __init__(self, name: str, symbols: list[Symbol], levels: int = 5) -> None:
        self.name = name
        ws = WebsocketConfig(book_depth=levels)
        self.config = ExchangeConfig(name=name, base_url="http://127.0.0.1:1", websocket_config=ws)
        self.active_symbols = symbols
        self.levels = levels
        self.seq = 0
        self._listeners: Listeners[BookUpdate] = Listeners(name)

    def add_listener(self, listener: Callable[[BookUpdate], None]) -> Callable[[], None]:
        return self._listeners.add(listener)

    def book(self, symbol: Symbol) -> OrderBook | None:
        return None

    def health(self) -> list[BookHealth]:
        return [_health(self.name, s, self.seq) for s in self.active_symbols]

    def emit(self, symbol: Symbol) -> OrderBook:
        self.seq += 1
        mid = 100.0 + self.seq % 7
        bids = [(mid - 0.5 - k, 1.0 + k) for k in range(self.levels)]
        asks = [(mid + 0.5 + k, 2.0 + k) for k in range(self.levels)]
        now = time.time() * 1000.0
        book = OrderBook(self.name, symbol, bids, asks, int(now), self.seq, now)
        self._listeners.emit(BookUpdate(book, _health(self.name, symbol, self.seq)))
        return book


def _health(name: str, symbol: Symbol, seq: int) -> BookHealth:
    return BookHealth(name, symbol, BookState.LIVE, seq, 1.0, seq, 10.0, 0, 0, 0, 0)


def _books(out: Path) -> pl.LazyFrame:
    return pl.scan_parquet(dataset_glob(out), hive_partitioning=True)


async def test_partitioned_parquet_reads_as_one_lazy_dataset(tmp_path: Path) -> None:
    sources = [_Source("binance", [BTC, ETH]), _Source("gateio", [BTC])]
    recorder = Recorder(tmp_path, depth=3)
    for source in sources:
        recorder.attach_exchange(source)
    for _ in range(20):
        for source in sources:
            for symbol in source.active_symbols:
                source.emit(symbol)
    await recorder.close()

    lf = _books(tmp_path)
    assert isinstance(lf, pl.LazyFrame)
    schema = lf.collect_schema()
    for name, dtype in BOOK_SCHEMA.items():
        assert schema[name] == dtype, name
    rows = lf.collect()
    assert rows.height == 3 * 20 * 2 * 3  # books x updates x sides x levels
    assert sorted(rows["symbol"].unique()) == ["BTC/USDT", "ETH/USDT"]  # hive keys decode back to BASE/QUOTE
    assert rows["update_id"].n_unique() == 60 and rows["update_id"].min() == 0
    first = rows.filter(pl.col("update_id") == 0).sort("side", "level")
    assert first["level"].to_list() == [0, 1, 2, 0, 1, 2] and first["side"].to_list() == ["ask"] * 3 + ["bid"] * 3
    day = rows["ts"][0].date().isoformat()
    assert (tmp_path / "books" / f"date={day}" / "exchange=binance" / "symbol=BTC%2FUSDT").is_dir()
    # the research frames take the lazy recording as it is
    enriched = books_frame(lf.filter(pl.col("exchange") == "gateio").select(*RECORDED_BOOK_SCHEMA)).collect()
    assert enriched.height == 20 * 6 and "cum_notional" in enriched.columns
    health = pl.scan_parquet(dataset_glob(tmp_path, "health"), hive_partitioning=True).collect()
    assert set(zip(health["exchange"], health["symbol"], strict=True)) == {
        ("binance", "BTC/USDT"), ("binance", "ETH/USDT"), ("gateio", "BTC/USDT"),
    }  # fmt: skip
    assert read_meta(tmp_path).rows["books"] == rows.height


async def test_roll_interval_zero_makes_every_batch_a_visible_part_file(tmp_path: Path) -> None:
    source = _Source("binance", [BTC], levels=10)
    recorder = Recorder(tmp_path, depth=10, batch_rows=200, flush_interval=60.0, roll_interval=0)
    recorder.attach_exchange(source)
    for _ in range(50):  # 20 rows each: a batch every 10 updates
        source.emit(BTC)
    await recorder.drain()
    assert recorder.pending_rows["books"] == 0
    files = sorted((tmp_path / "books").glob("**/*.parquet"))
    assert len(files) == 5
    assert [pl.read_parquet(f).height for f in files] == [200] * 5
    await recorder.close()


async def test_batches_are_staged_then_rolled_into_one_file_per_partition(tmp_path: Path) -> None:
    sources = [_Source("binance", [BTC, ETH], levels=10), _Source("gateio", [BTC], levels=10)]
    recorder = Recorder(tmp_path, depth=10, batch_rows=200, flush_interval=60.0)  # default roll: minutes
    for source in sources:
        recorder.attach_exchange(source)
    for _ in range(40):
        for source in sources:
            for symbol in source.active_symbols:
                source.emit(symbol)
    await recorder.drain()
    staged = list((tmp_path / STAGING / "books").glob("**/*.parquet"))
    assert len(staged) >= 3 * 10  # on disk already (safe), one small file per partition per batch
    assert not list((tmp_path / "books").glob("**/*.parquet"))  # but no reader sees them before the roll
    await recorder.close()
    files = sorted((tmp_path / "books").glob("**/*.parquet"))
    assert len(files) == 3  # one per (date, exchange, symbol)
    assert not (tmp_path / STAGING).exists()
    rows = _books(tmp_path).collect()
    assert rows.height == 3 * 40 * 20
    assert rows["update_id"].n_unique() == 120
    for f in files:  # each file keeps the recorded order
        assert pl.read_parquet(f)["update_id"].is_sorted()


async def test_roll_bytes_rolls_a_partition_before_its_interval(tmp_path: Path) -> None:
    source = _Source("binance", [BTC], levels=10)
    recorder = Recorder(tmp_path, depth=10, batch_rows=200, flush_interval=60.0, roll_bytes=1)
    recorder.attach_exchange(source)
    for _ in range(30):
        source.emit(BTC)
    await recorder.drain()
    assert len(list((tmp_path / "books").glob("**/*.parquet"))) == 3
    await recorder.close()


async def test_close_flushes_everything(tmp_path: Path) -> None:
    source = _Source("binance", [BTC])
    recorder = Recorder(tmp_path, depth=5, batch_rows=10_000, flush_interval=60.0)
    recorder.attach_exchange(source)
    for _ in range(30):
        source.emit(BTC)
    await asyncio.sleep(0.05)
    assert not list((tmp_path / "books").glob("**/*.parquet"))  # nothing due yet
    assert not list((tmp_path / STAGING).glob("**/*.parquet"))
    await recorder.close()
    assert _books(tmp_path).select(pl.len()).collect().item() == 30 * 10
    await recorder.close()  # twice is fine


async def test_flush_interval_writes_without_close(tmp_path: Path) -> None:
    source = _Source("binance", [BTC])
    recorder = Recorder(tmp_path, depth=5, flush_interval=0.1, roll_interval=0.2)
    recorder.attach_exchange(source)
    source.emit(BTC)
    deadline = time.monotonic() + 3.0
    while not list((tmp_path / "books").glob("**/*.parquet")):  # staged on a flush, visible after the roll
        assert time.monotonic() < deadline, "the timer never flushed and rolled"
        await asyncio.sleep(0.02)
    await recorder.close()


async def test_one_recorder_per_directory(tmp_path: Path) -> None:
    first = Recorder(tmp_path, depth=5)
    first.attach_exchange(_Source("binance", [BTC]))
    second = Recorder(tmp_path, depth=5)
    with pytest.raises(ArbkitError, match="in use by another recorder"):
        second.attach_exchange(_Source("gateio", [BTC]))
    await first.close()
    await second.close()


_CRASHING_RECORDER = """
import asyncio, os, sys
from tests.recording.test_recorder import BTC, _Source
from arbkit.recording import Recorder

async def main():
    source = _Source("binance", [BTC], levels=10)
    recorder = Recorder(sys.argv[1], depth=10, batch_rows=300, flush_interval=60.0)
    recorder.attach_exchange(source)
    for _ in range(100):  # 2,000 rows: six batches flushed, 200 rows still in memory
        source.emit(BTC)
    await recorder.drain()
    print(recorder.pending_rows["books"], flush=True)
    os._exit(9)  # a crash: no close(), no roll, the lock dropped by the OS

asyncio.run(main())
"""


def test_crash_loses_at_most_the_unflushed_batch(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", _CRASHING_RECORDER, str(tmp_path)], cwd=root, env=env, capture_output=True, text=True
    )
    assert done.returncode == 9, done.stderr
    pending = int(done.stdout.strip())
    assert 0 < pending < 300
    assert not list((tmp_path / "books").glob("**/*.parquet"))  # nothing was rolled before the crash
    assert not list(tmp_path.glob("**/*.tmp"))  # every staged file was renamed into place whole
    report = compact(tmp_path)  # recovers the staged batches (so would the next Recorder on this directory)
    assert report.recovered == 6
    assert _books(tmp_path).select(pl.len()).collect().item() == 2000 - pending


async def test_event_loop_keeps_ticking_during_a_big_flush(tmp_path: Path) -> None:
    source = _Source("binance", [BTC], levels=20)
    recorder = Recorder(tmp_path, depth=20, batch_rows=10_000_000, flush_interval=60.0)
    recorder.attach_exchange(source)
    for _ in range(15_000):  # 600,000 rows in one batch
        source.emit(BTC)
    gaps: list[float] = []

    async def tick() -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0.02)
    started = time.perf_counter()
    recorder.flush()
    await recorder.drain()
    took = time.perf_counter() - started
    ticker.cancel()
    await asyncio.gather(ticker, return_exceptions=True)
    await recorder.close()
    assert recorder.rows_written["books"] == 600_000
    assert took > 0.05 and len(gaps) >= 5
    # a flush on the loop thread would stall the loop for about the whole flush; off it, the loop keeps ticking and
    # its longest gap is a small fraction of the flush however loaded the machine is (a fixed ms bound is not)
    assert max(gaps) < took / 4, f"the loop stalled {max(gaps) * 1000:.0f} ms during a {took * 1000:.0f} ms flush"


def test_arbkit_record_cli_records_a_local_venue_session(tmp_path: Path) -> None:
    from arbkit.cli.main import main

    config = tmp_path / "config.yaml"
    config.write_text(
        "exchanges:\n"
        "  binance: {api_key: '', secret_key: '', base_url: 'https://api.binance.com'}\n"
        "  gateio: {api_key: '', secret_key: '', base_url: 'https://api.gateio.ws'}\n"
    )
    out = tmp_path / "rec"
    args = ["record", "--config", str(config), "--out", str(out), "--duration", "1", "--symbols", "BTC/USDT"]
    assert main([*args, "--depth", "10", "--seed", "3"]) == 0
    (out,) = out.iterdir()  # each run records into its own folder under --out
    books = _books(out).collect()
    assert set(books["exchange"]) == {"binance", "gateio"} and books["level"].max() == 9
    meta = read_meta(out)
    assert meta.depth == 10 and meta.exchanges == ["binance", "gateio"] and meta.arbitrage is not None
