"""arbkit's own cost per book update (feed conversion + scanner) beside the bare evaluations, at 4 venues x 5 pairs on
the local venue, with the ratio to the scanner before issue 10 on the same updates in the same run.

The venue runs in a child process. Live, each update's ``BookFeed._on_book`` thread CPU time minus the scanner's
gives the feed's conversion (median). The updates the session saw are captured and replayed, in order, through a fresh
Scanner and through the baseline Scanner (``_baseline.BASELINE``: scanner, evaluator, gating and lifecycles before
issue 10, loaded from git history), timing CPU per update (median of rounds), and the new scanner's evaluations
are timed bare. Target: feed + scanner at most 8 us per update. The live update -> evaluated latency is printed too.

    PYTHONPATH=. python benchmarks/opportunity_latency.py [--seconds 10] [--interval 0.01]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable
from typing import Any

from _baseline import BASELINE, baseline
from _venue_process import venue_process

import arbkit.arbitrage.scanner as scanner_module
from arbkit.arbitrage.evaluate import evaluate_levels, make_spec
from arbkit.arbitrage.scanner import Scanner
from arbkit.config import ArbkitConfig
from arbkit.exchanges.book_feed import BookFeed
from arbkit.runtime.session import connect
from arbkit.structs import BookUpdate, Symbol, SymbolInfo
from arbkit.venue.attach import venue_speaks

SYMBOLS = ["BTC/USDT", "ETH/USDT", "SOL/USDT", "XRP/USDT", "DOGE/USDT"]
ROUNDS = 7


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


def scanner_cost_us(make: Callable[[], Any], sources: list[Replay], updates: list[BookUpdate]) -> float:
    """CPU us per update of a fresh scanner fed ``updates`` (median of rounds)."""
    rounds = []
    for _ in range(ROUNDS):
        scanner = make()
        replays = {s.name: Replay(s.name, s.symbols_info) for s in sources}
        for replay in replays.values():
            scanner.attach(replay)
        calls = [(replays[u.book.exchange].listeners[0], u) for u in updates]
        start = time.process_time_ns()
        for listener, update in calls:
            listener(update)
        rounds.append((time.process_time_ns() - start) / len(updates) / 1000)
        scanner.close()
    return statistics.median(rounds)


def evaluation_cost_us(config: Any, sources: list[Replay], updates: list[BookUpdate]) -> tuple[float, float]:
    """(evaluations per update, CPU us of those bare evaluations per update) of the new scanner on ``updates``."""
    seen: list[tuple[Any, ...]] = []
    real = scanner_module.evaluate_read

    def capture(*args: Any) -> Any:
        seen.append(args)
        return real(*args)

    scanner_module.evaluate_read = capture  # type: ignore[attr-defined]
    try:
        scanner_cost_us(lambda: Scanner(config), sources, updates)
    finally:
        scanner_module.evaluate_read = real  # type: ignore[attr-defined]
    seen = seen[: len(seen) // ROUNDS]
    rounds = []
    for _ in range(ROUNDS):
        start = time.process_time_ns()
        for args in seen:
            real(*args)
        rounds.append((time.process_time_ns() - start) / len(updates) / 1000)
    return len(seen) / len(updates), statistics.median(rounds)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--interval", type=float, default=0.01, help="venue seconds between market steps")
    args = parser.parse_args()
    names = [n for n in ("binance", "gateio", "mexc", "kraken") if venue_speaks(n)]
    feed_ns: list[int] = []
    scan_ns: list[int] = []
    on_book = BookFeed._on_book

    def timed_on_book(self: BookFeed, raw: Any) -> None:
        start = time.thread_time_ns()
        on_book(self, raw)
        feed_ns.append(time.thread_time_ns() - start)

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
                scan_ns.append(time.thread_time_ns() - start)

            sources = [Replay(s.name, dict(s.symbols_info)) for s in session.exchanges.values()]
            for source in session.exchanges.values():
                scanner.detach(source.name)
                scanner._on_update = timed_update  # type: ignore[method-assign]
                scanner.attach(source)
                source.add_listener(captured.append)
            await asyncio.sleep(1.0)  # warm up
            feed_ns.clear()
            scan_ns.clear()
            captured.clear()
            scanner.latencies_ms.clear()
            await asyncio.sleep(args.seconds)
            samples = sorted(scanner.latencies_ms)
            pairs = len(scanner.pairs())
        finally:
            BookFeed._on_book = on_book  # type: ignore[method-assign]
            await session.stop()
    updates = list(captured)
    n = min(len(feed_ns), len(scan_ns))
    conversion = statistics.median(f - s for f, s in zip(feed_ns[:n], scan_ns[:n], strict=True)) / 1000
    old_scanner = baseline("scanner").Scanner
    new_us = scanner_cost_us(lambda: Scanner(arbitrage), sources, updates)
    old_us = scanner_cost_us(lambda: old_scanner(arbitrage), sources, updates)
    per_update, eval_us = evaluation_cost_us(arbitrage, sources, updates)
    print(
        f"{len(names)} venues x {len(SYMBOLS)} pairs ({pairs} ordered venue pairs), {len(updates) / args.seconds:,.0f} "
        f"book updates/s over {args.seconds:g}s; baseline: {BASELINE} (git history), same updates, same run"
    )
    print(f"feed conversion (BookFeed._on_book minus scanner, live, CPU):   {conversion:6.2f} us per update")
    print(f"scanner, new (captured updates replayed, CPU, median of {ROUNDS}):  {new_us:6.2f} us per update")
    print(f"scanner, before issue 10 (same updates):                 {old_us:6.2f} us per update")
    print(f"  of which bare evaluations (new): {per_update:.2f} per update, {eval_us:.2f} us per update")
    own_new, own_old = conversion + new_us, conversion + old_us
    verdict = "met" if own_new <= 8.0 else "NOT met"
    print(
        f"arbkit's own cost per update (feed + scanner): new {own_new:.2f} us, before {own_old:.2f} us, "
        f"ratio {own_new / own_old:.2f} (target <= 8 us: {verdict}); one 3-level evaluation alone: {_floor_us():.2f} us"
    )
    if samples:
        p50 = statistics.median(samples) * 1000
        p99 = samples[int(len(samples) * 0.99) - 1] * 1000
        print(f"update -> evaluated (live, wall clock, event loop included): p50 {p50:.1f} us, p99 {p99:.1f} us")


if __name__ == "__main__":
    asyncio.run(main())
