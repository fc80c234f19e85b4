"""arbkit's own cost per book update at 4 venues x 5 pairs on the local venue, in two parts, each beside the code
before issue 10 (``_baseline.BASELINE``, loaded from git history) measured in the same run:

- feed: ``BookFeed._on_book`` (ccxt book -> OrderBook + health -> emit), live, thread CPU time of each call minus
  the scanner's time inside it; the baseline ``BookFeed._on_book`` is run on the same raw ccxt book right after
  (its emit does nothing, so the composite's listener fan-out, well under a microsecond, counts on the new side
  only). The ``thread_time_ns`` calls are costly on this machine: one call's median cost is taken off the new
  figure (the share of the inner timer that falls outside the span taken off). Owner: the feed side.
- scanner: the updates the session saw are captured and replayed, in order, through a fresh Scanner and through the
  baseline Scanner (scanner, evaluator, gating and lifecycles before issue 10), rounds interleaved, CPU per update
  (median of rounds); the new scanner's evaluations are also timed bare, so the bookkeeping around them shows.

Target: feed + scanner at most 8 us per update. The live update -> evaluated latency is printed too.

    PYTHONPATH=. python benchmarks/opportunity_latency.py [--seconds 10] [--interval 0.01]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable
from typing import Any

from _baseline import BASELINE, baseline, baseline_path
from _venue_process import venue_process

import arbkit.arbitrage.scanner as scanner_module
from arbkit.arbitrage.evaluate import evaluate_levels, make_spec
from arbkit.arbitrage.scanner import Scanner
from arbkit.config import ArbkitConfig, WebsocketConfig
from arbkit.exchanges.book_feed import BookFeed
from arbkit.runtime.session import connect
from arbkit.structs import BookUpdate, Symbol, SymbolInfo
from arbkit.venue.attach import venue_speaks

SYMBOLS = ["BTC/USDT", "ETH/USDT", "SOL/USDT", "XRP/USDT", "DOGE/USDT"]
ROUNDS = 9


class Replay:
    """Stands in for a composite when replaying captured updates: same name and symbols, listeners called directly."""

    def __init__(self, name: str, symbols_info: dict[Symbol, SymbolInfo]) -> None:
        self.name = name
        self.symbols_info = symbols_info
        self.listeners: list[Callable[[BookUpdate], None]] = []

    def add_listener(self, listener: Callable[[BookUpdate], None]) -> Callable[[], None]:
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener)


def _pairs(names: list[str]) -> dict:
    return {
        "enabled_exchanges": names,
        "arbitrage_pairs": [
            {
                "id": s.replace("/", "_").lower(),
                "base_asset": s.split("/")[0],
                "quote_asset": "USDT",
                "min_profit_bps": 0,
            }
            for s in SYMBOLS
        ],
    }


def _floor_us() -> float:
    info = SymbolInfo("a", Symbol.parse("BTC/USDT"), 0.01, 0.0001)
    spec = make_spec("p", info, SymbolInfo("b", info.symbol, 0.01, 0.0001), 0.0)
    asks = [(100.0, 1.0), (100.1, 1.0), (100.2, 1.0)]
    bids = [(100.3, 1.0), (100.25, 1.0), (100.15, 1.0)]
    n = 20000
    t0 = time.process_time()
    for _ in range(n):
        evaluate_levels(spec, asks, bids, 0)
    return (time.process_time() - t0) / n * 1e6


def _one_round(make: Callable[[], Any], sources: list[Replay], updates: list[BookUpdate]) -> float:
    scanner = make()
    replays = {s.name: Replay(s.name, s.symbols_info) for s in sources}
    for replay in replays.values():
        scanner.attach(replay)
    calls = [(replays[u.book.exchange].listeners[0], u) for u in updates]
    start = time.process_time_ns()
    for listener, update in calls:
        listener(update)
    elapsed = (time.process_time_ns() - start) / len(updates) / 1000
    scanner.close()
    return elapsed


def scanner_cost_us(makers: list[Callable[[], Any]], sources: list[Replay], updates: list[BookUpdate]) -> list[float]:
    """CPU us per update of fresh scanners fed ``updates``, rounds interleaved so they share machine conditions."""
    samples: list[list[float]] = [[] for _ in makers]
    for _ in range(ROUNDS):
        for make, out in zip(makers, samples, strict=True):
            out.append(_one_round(make, sources, updates))
    return [statistics.median(out) for out in samples]


def evaluation_cost_us(config: Any, sources: list[Replay], updates: list[BookUpdate]) -> tuple[float, float]:
    """(evaluations per update, CPU us of those bare evaluations per update) of the new scanner on ``updates``."""
    seen: list[tuple[Any, ...]] = []
    real = scanner_module.evaluate_levels

    def capture(*args: Any) -> Any:
        seen.append(args)
        return real(*args)

    scanner_module.evaluate_levels = capture  # type: ignore[attr-defined]
    try:
        _one_round(lambda: Scanner(config), sources, updates)
    finally:
        scanner_module.evaluate_levels = real  # type: ignore[attr-defined]
    rounds = []
    for _ in range(ROUNDS):
        start = time.process_time_ns()
        for args in seen:
            real(*args)
        rounds.append((time.process_time_ns() - start) / len(updates) / 1000)
    return len(seen) / len(updates), statistics.median(rounds)


def _timer_ns() -> int:
    """The cost of one ``time.thread_time_ns()`` call (median), taken off the feed's figure for the inner timer."""
    costs = []
    for _ in range(2001):
        start = time.thread_time_ns()
        time.thread_time_ns()
        costs.append(time.thread_time_ns() - start)
    return int(statistics.median(costs) / 2)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--interval", type=float, default=0.01, help="venue seconds between market steps")
    args = parser.parse_args()
    names = [n for n in ("binance", "gateio", "mexc", "kraken") if venue_speaks(n)]
    feed_new: list[int] = []
    feed_old: list[int] = []
    scan_live: list[int] = []
    inside = [0]  # the scanner's CPU time within the current _on_book call
    on_book = BookFeed._on_book
    old_feed = baseline_path("arbkit/exchanges/book_feed.py").BookFeed
    twins: dict[int, Any] = {}
    timer = _timer_ns()

    def timed_on_book(self: BookFeed, raw: Any) -> None:
        inside[0] = 0
        start = time.thread_time_ns()
        on_book(self, raw)
        feed_new.append(time.thread_time_ns() - start - inside[0] - timer)
        twin = twins.get(id(self))
        if twin is None:
            ws = getattr(self, "_cfg", None) or WebsocketConfig()
            twin = twins[id(self)] = old_feed(None, self.exchange, self.symbol, ws, lambda update: None)
        start = time.thread_time_ns()
        twin._on_book(raw)
        feed_old.append(time.thread_time_ns() - start)

    BookFeed._on_book = timed_on_book  # type: ignore[method-assign]
    captured: list[BookUpdate] = []
    with venue_process(names, args.interval) as configs:
        config = ArbkitConfig(exchanges=configs, sections={"arbitrage": _pairs(names)})
        session = await connect(config, venue=False, symbols=SYMBOLS, name="bench")
        scanner = session.scanner
        arbitrage = scanner.config
        try:
            scanner.measure_latency(1_000_000)
            on_update = scanner._on_update

            def timed_update(update: BookUpdate) -> None:
                start = time.thread_time_ns()
                on_update(update)
                mid = time.thread_time_ns()
                captured.append(update)  # inside the span taken off the feed: the capture is not the feed's cost
                inside[0] += time.thread_time_ns() - start
                scan_live.append(mid - start)

            sources = [Replay(s.name, dict(s.symbols_info)) for s in session.exchanges.values()]
            for source in session.exchanges.values():
                scanner.detach(source.name)
                scanner._on_update = timed_update  # type: ignore[method-assign]
                scanner.attach(source)
            await asyncio.sleep(1.0)  # warm up
            for samples in (feed_new, feed_old, scan_live, captured, scanner.latencies_ms):
                samples.clear()
            await asyncio.sleep(args.seconds)
            latencies = sorted(scanner.latencies_ms)
            pairs = len(scanner.pairs())
        finally:
            BookFeed._on_book = on_book  # type: ignore[method-assign]
            await session.stop()
    updates = list(captured)
    feed_us, feed_old_us = statistics.median(feed_new) / 1000, statistics.median(feed_old) / 1000
    old_scanner = baseline("scanner").Scanner
    scan_us, scan_old_us = scanner_cost_us(
        [lambda: Scanner(arbitrage), lambda: old_scanner(arbitrage)], sources, updates
    )
    per_update, eval_us = evaluation_cost_us(arbitrage, sources, updates)
    own, own_old = feed_us + scan_us, feed_old_us + scan_old_us
    print(
        f"{len(names)} venues x {len(SYMBOLS)} pairs ({pairs} ordered venue pairs), {len(updates) / args.seconds:,.0f} "
        f"book updates/s over {args.seconds:g}s; baseline: {BASELINE} (git history), same updates, same run"
    )
    print(f"{'CPU us per book update':<58} {'new':>7} {'before':>7} {'ratio':>6}")
    rows = [
        ("feed: BookFeed._on_book minus scanner (live, median)", feed_us, feed_old_us),
        (f"scanner: captured updates replayed (median of {ROUNDS} rounds)", scan_us, scan_old_us),
        ("arbkit's own cost: feed + scanner", own, own_old),
    ]
    for label, new, old in rows:
        print(f"{label:<58} {new:>7.2f} {old:>7.2f} {new / old:>6.2f}")
    print(
        f"  scanner detail (new): {per_update:.2f} evaluations per update costing {eval_us:.2f} us bare, "
        f"bookkeeping {scan_us - eval_us:.2f} us; scanner live (median) {statistics.median(scan_live) / 1000:.2f} us"
    )
    verdict = "met" if own <= 8.0 else "NOT met"
    print(f"target: feed + scanner <= 8 us: {verdict}; one 3-level evaluation alone: {_floor_us():.2f} us")
    if latencies:
        p50 = statistics.median(latencies) * 1000
        p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
        print(f"update -> evaluated (live, wall clock, event loop included): p50 {p50:.1f} us, p99 {p99:.1f} us")


if __name__ == "__main__":
    asyncio.run(main())
