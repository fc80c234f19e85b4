"""How long public composite ``init`` takes against the local venue: N exchanges x M symbols, median of rounds.

Real-world targets: init under 10 s, symbol info under 100 ms, an order book under 500 ms.

    python benchmarks/init_time.py [--exchanges binance,gateio] [--symbols BTC/USDT,ETH/USDT] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from arbkit.exchanges.factory import EXCHANGE_REST_MAP, get_composite_implementation
from arbkit.structs import ExchangeEnum, Symbol
from arbkit.venue import LocalVenue


async def one_round(venue: LocalVenue, names: list[str], symbols: list[Symbol]) -> dict[str, float]:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    composites = await asyncio.gather(
        *(get_composite_implementation(venue.exchange_config(n)).init(symbols) for n in names)
    )
    timings["init (all exchanges, concurrent)"] = time.perf_counter() - t0
    for composite in composites:
        await composite.close()
    for name in names:
        rest = EXCHANGE_REST_MAP[(ExchangeEnum(name), False)](venue.exchange_config(name))
        t0 = time.perf_counter()
        await rest.get_symbols_info(symbols)
        timings[f"{name} symbol info (cold, incl. markets)"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        await rest.get_orderbook(symbols[0], 100)
        timings[f"{name} REST order book"] = time.perf_counter() - t0
        await rest.close()
    return timings


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--exchanges", default="binance,gateio")
    parser.add_argument("--symbols", default="BTC/USDT,ETH/USDT")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    names = [n.strip() for n in args.exchanges.split(",")]
    symbols = [Symbol.parse(s) for s in args.symbols.split(",")]
    async with LocalVenue(exchanges=names, seed=7) as venue:
        rounds = [await one_round(venue, names, symbols) for _ in range(args.rounds)]
    print(f"{len(names)} exchanges x {len(symbols)} symbols against the local venue, median of {args.rounds}:")
    for key in rounds[0]:
        print(f"  {key:42} {statistics.median(r[key] for r in rounds) * 1000:8.1f} ms")


if __name__ == "__main__":
    asyncio.run(main())
