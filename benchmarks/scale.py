"""Scale on one machine: a session on the local venue (in a child process) with 4 exchanges x N symbols.

For N = 5, 20, 50 it reports the time until every book is live, arbkit's CPU share (this process's CPU seconds
per wall second, all threads), update-to-evaluated latency p50/p99 (the scanner's own measurement), book
updates per second and resident memory. A fresh venue per N, at the venue's default rate (a step every 50 ms).
Targets at N = 50: all books live within 5 s, p99 under 1 ms, arbkit under half a core.

    python benchmarks/scale.py [--sizes 5,20,50] [--seconds 10] [--interval 0.05]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

from _venue_process import venue_process

from arbkit.config import ArbkitConfig
from arbkit.runtime.session import connect
from arbkit.venue.instruments import instruments

EXCHANGES = ["binance", "gateio", "mexc", "kraken"]
TARGET_LIVE_S, TARGET_P99_US, TARGET_CPU = 5.0, 1000.0, 0.5


def _symbols(n: int) -> list[str]:
    """The first ``n`` USDT pairs every venue lists (the core pairs first)."""
    listed = [set(instruments(e)) for e in EXCHANGES]
    common = [s for s in instruments("binance") if s.endswith("/USDT") and all(s in x for x in listed)]
    if len(common) < n:
        raise SystemExit(f"only {len(common)} USDT pairs are listed by every venue; asked for {n}")
    return common[:n]


def _arbitrage(symbols: list[str]) -> dict:
    pairs = [
        {"id": s.replace("/", "_").lower(), "base_asset": s.split("/")[0], "quote_asset": "USDT", "min_profit_bps": 0}
        for s in symbols
    ]
    return {"enabled_exchanges": EXCHANGES, "arbitrage_pairs": pairs}


def _rss_mb() -> float:
    with open(f"/proc/{os.getpid()}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


async def _measure(n: int, seconds: float, interval: float) -> dict[str, float]:
    symbols = _symbols(n)
    with venue_process(EXCHANGES, interval) as configs:
        config = ArbkitConfig(exchanges=configs, sections={"arbitrage": _arbitrage(symbols)})
        started = time.monotonic()
        session = await connect(config, venue=False, symbols=symbols, name=f"scale-{n}")
        try:
            live_s = time.monotonic() - started
            books = sum(len(ex.health()) for ex in session.exchanges.values())
            session.scanner.measure_latency(1_000_000)
            updates0 = sum(h.updates for ex in session.exchanges.values() for h in ex.health())
            cpu0, wall0 = time.process_time(), time.monotonic()
            await asyncio.sleep(seconds)
            cpu = (time.process_time() - cpu0) / (time.monotonic() - wall0)
            updates = sum(h.updates for ex in session.exchanges.values() for h in ex.health()) - updates0
            samples = sorted(session.scanner.latencies_ms)
            rss = _rss_mb()
        finally:
            await session.stop()
    p50 = statistics.median(samples) * 1000 if samples else float("nan")
    p99 = samples[max(0, int(len(samples) * 0.99) - 1)] * 1000 if samples else float("nan")
    return {"n": n, "books": books, "live_s": live_s, "cpu": cpu, "p50_us": p50, "p99_us": p99,
            "updates_s": updates / seconds, "samples": len(samples), "rss_mb": rss}  # fmt: skip


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5,20,50", help="symbols per exchange, comma-separated (default 5,20,50)")
    parser.add_argument("--seconds", type=float, default=10.0, help="measurement window per size (default 10)")
    parser.add_argument("--interval", type=float, default=0.05, help="venue seconds per market step (default 0.05)")
    args = parser.parse_args()
    rows = [await _measure(int(n), args.seconds, args.interval) for n in args.sizes.split(",")]
    print(f"{len(EXCHANGES)} exchanges, venue in a child process stepping every {args.interval * 1000:.0f} ms")
    print(f"{'N':>4} {'books':>6} {'live s':>7} {'cpu':>6} {'p50 us':>8} {'p99 us':>8} {'upd/s':>8} {'RSS MB':>7}")
    for r in rows:
        print(
            f"{r['n']:>4} {r['books']:>6} {r['live_s']:>7.2f} {r['cpu']:>6.2f} {r['p50_us']:>8.1f} {r['p99_us']:>8.1f}"
            f" {r['updates_s']:>8.0f} {r['rss_mb']:>7.0f}"
        )
    last = rows[-1]
    print(f"targets at N = {last['n']}:")
    print(
        f"  all books live within {TARGET_LIVE_S:g} s: {last['live_s']:.2f} s, {_met(last['live_s'] < TARGET_LIVE_S)}"
    )
    print(
        f"  update -> evaluated p99 < {TARGET_P99_US:g} us: {last['p99_us']:.0f} us,"
        f" {_met(last['p99_us'] < TARGET_P99_US)}"
    )
    print(f"  arbkit under {TARGET_CPU} core: {last['cpu']:.2f} core, {_met(last['cpu'] < TARGET_CPU)}")
    if os.cpu_count() and os.getloadavg()[0] > os.cpu_count():
        print(
            f"  note: load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: other work shares this machine"
        )


if __name__ == "__main__":
    asyncio.run(main())
