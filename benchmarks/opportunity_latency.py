"""Latency from a book update arriving (ccxt.pro resolved it) to the scanner having evaluated it and emitted any
opportunity event: p50 / p99 of arbkit's own time, with N venues x 5 pairs at about 2,000 updates/s in total.

The venue runs in a child process. For scale, the same run also times the bare evaluation of one 3-level walk
(the pure-Python floor) so the ratio shows how much of the per-update time is orchestration.
Target: p99 under 1 ms.

    python benchmarks/opportunity_latency.py [--seconds 10] [--interval 0.01]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from _venue_process import venue_process

from arbkit.arbitrage.evaluate import evaluate_levels, make_spec
from arbkit.config import ArbkitConfig
from arbkit.runtime.session import connect
from arbkit.structs import Symbol, SymbolInfo
from arbkit.venue.attach import venue_speaks

SYMBOLS = ["BTC/USDT", "ETH/USDT", "SOL/USDT", "XRP/USDT", "DOGE/USDT"]


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
    t0 = time.perf_counter()
    for _ in range(n):
        evaluate_levels(spec, asks, bids, 0)
    return (time.perf_counter() - t0) / n * 1e6


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--interval", type=float, default=0.01, help="venue seconds between market steps")
    args = parser.parse_args()
    names = [n for n in ("binance", "gateio", "mexc", "kraken") if venue_speaks(n)]
    with venue_process(names, args.interval) as configs:
        config = ArbkitConfig(exchanges=configs, sections={"arbitrage": _pairs(names)})
        session = await connect(config, venue=False, symbols=SYMBOLS, name="bench")
        try:
            session.scanner.measure_latency(1_000_000)
            updates0 = sum(h.updates for ex in session.exchanges.values() for h in ex.health())
            await asyncio.sleep(args.seconds)
            updates = sum(h.updates for ex in session.exchanges.values() for h in ex.health()) - updates0
            samples = sorted(session.scanner.latencies_ms)
        finally:
            await session.stop()
    p50 = statistics.median(samples) * 1000
    p99 = samples[int(len(samples) * 0.99) - 1] * 1000
    pairs = len(session.scanner.pairs()) if session.scanner else 0
    print(
        f"{len(names)} venues x {len(SYMBOLS)} pairs ({pairs} ordered venue pairs), "
        f"{updates / args.seconds:,.0f} book updates/s, {len(samples):,} samples"
    )
    print(
        f"update -> evaluated/emitted (arbkit's own time): p50 {p50:7.1f} us   p99 {p99:7.1f} us"
        "   (target p99 < 1000 us)"
    )
    floor = _floor_us()
    print(f"bare 3-level evaluation, same run: {floor:5.2f} us; p50 / floor = {p50 / floor:5.1f}")


if __name__ == "__main__":
    asyncio.run(main())
