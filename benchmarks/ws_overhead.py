"""Websocket book throughput: bare ccxt.pro ``watch_order_book`` loop vs arbkit's composite, same venue stream.

The venue runs in a child process. Each side consumes the stream for a fixed window, alternating, several rounds;
throughput is measured as the client's CPU cost per applied venue message (messages/s = 1 / cost), which is robust
on a shared, noisy machine. Target: arbkit keeps at least 90% of bare ccxt.pro's throughput.

    python benchmarks/ws_overhead.py [--exchanges binance,gateio] [--rounds 5] [--window 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from _venue_process import venue_process

from arbkit.config import ExchangeConfig
from arbkit.exchanges.ccxt_client import build_client
from arbkit.exchanges.factory import EXCHANGE_REST_MAP, get_composite_implementation
from arbkit.structs import ExchangeEnum, Symbol
from arbkit.venue.attach import venue_speaks

SYMBOL = Symbol.parse("BTC/USDT")


async def bare(cfg: ExchangeConfig, window: float) -> tuple[int, float]:
    """Bare ccxt.pro: (messages applied, CPU seconds) over the window."""
    spec = EXCHANGE_REST_MAP[(ExchangeEnum(cfg.name), False)].spec
    client = build_client(spec, cfg)
    try:
        limit = spec.ws_book_limit  # the same subscription arbkit makes, so both sides do the same ccxt work
        book = await client.watch_order_book(str(SYMBOL), limit)
        first = book["nonce"]
        cpu0, end = time.process_time(), time.monotonic() + window
        while time.monotonic() < end:
            book = await client.watch_order_book(str(SYMBOL), limit)
        return book["nonce"] - first, time.process_time() - cpu0
    finally:
        await client.close()


async def arbkit_side(cfg: ExchangeConfig, window: float) -> tuple[int, float]:
    """arbkit's composite with a consumer of every update: (messages applied, CPU seconds) over the window."""
    composite = await get_composite_implementation(cfg).init([SYMBOL])
    seen = []
    composite.add_listener(lambda update: seen.append(update.book.sequence))
    try:
        first = (await composite.get_orderbook(SYMBOL)).sequence
        cpu0 = time.process_time()
        await asyncio.sleep(window)
        last = (await composite.get_orderbook(SYMBOL)).sequence
        return last - first, time.process_time() - cpu0
    finally:
        await composite.close()


async def measure(cfg: ExchangeConfig, rounds: int, window: float) -> None:
    name = cfg.name
    costs: dict[str, list[float]] = {"ccxt.pro": [], "arbkit": []}
    for _ in range(rounds):
        for label, run in (("ccxt.pro", bare), ("arbkit", arbkit_side)):
            messages, cpu = await run(cfg, window)
            costs[label].append(cpu / max(messages, 1))
    bare_rate = 1 / statistics.median(costs["ccxt.pro"])
    ours = 1 / statistics.median(costs["arbkit"])
    print(
        f"{name:8} ccxt.pro {bare_rate:10,.0f} msg/s   arbkit {ours:10,.0f} msg/s   "
        f"ratio {ours / bare_rate:5.2f}  (target >= 0.90; median of {rounds} rounds, CPU-normalised)"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--exchanges", default=",".join(n for n in ("binance", "gateio", "mexc", "kraken") if venue_speaks(n))
    )
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--window", type=float, default=3.0)
    parser.add_argument("--interval", type=float, default=0.001, help="venue seconds between market steps")
    args = parser.parse_args()
    names = [n.strip() for n in args.exchanges.split(",")]
    with venue_process(names, args.interval) as configs:
        for name in names:
            await measure(configs[name], args.rounds, args.window)


if __name__ == "__main__":
    asyncio.run(main())
