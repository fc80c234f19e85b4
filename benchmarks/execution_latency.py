"""Execution latency on the local venue: arbkit's own time from an opportunity (the book update that opened it
having been evaluated) to both legs handed to the exchange client, p50 / p99 (target p99 < 1 ms); the journal's
cost per transition; and the kill switch's time to zero open orders across 4 venues.

"Own time" covers planning, the risk gate, every journal write before the wire, and reaching each leg's send; the
network round trip after that is the venue's. The same run measures the path with an in-memory journal as the
baseline, so the ratio shows what durability costs.

    python benchmarks/execution_latency.py [--executions 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from arbkit.arbitrage.evaluate import Opportunity
from arbkit.exchanges import factory
from arbkit.execution.backend import PrivateBackend
from arbkit.execution.config import parse_execution_config
from arbkit.execution.executor import Executor, MarketContext
from arbkit.execution.journal import Journal
from arbkit.execution.killswitch import KillSwitch
from arbkit.execution.machine import ExecState
from arbkit.execution.plan import build_plan
from arbkit.structs import BookHealth, BookState, Side, Symbol
from arbkit.venue import LocalVenue

BTC = Symbol.parse("BTC/USDT")
LIMITS = {"price_collar_bps": 1000, "cooldown_ms": 0, "max_notional_per_leg": 1e6, "max_net_exposure": 1e6,
          "max_orders_per_second": 10_000, "leg_timeout_ms": 5000}  # fmt: skip


class Stamped:
    """A real back-end that notes when each leg reaches it (the moment it goes to ccxt and the wire)."""

    def __init__(self, inner: PrivateBackend, stamps: list[float]) -> None:
        self.inner, self.name, self.stamps = inner, inner.name, stamps

    async def place_ioc(self, *args: Any, **kwargs: Any) -> Any:
        self.stamps.append(time.perf_counter())
        return await self.inner.place_ioc(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _quantiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


async def own_time(
    venue: LocalVenue, privates: dict, journal_path: str, n: int, first: list[float] | None = None
) -> list[float]:
    stamps: list[float] = []
    backends = {name: Stamped(PrivateBackend(p), stamps) for name, p in privates.items()}
    executor = Executor(backends, Journal(journal_path), parse_execution_config(LIMITS))  # type: ignore[arg-type]
    infos = {name: p.rest.ccxt.symbol_info(await p.rest.ccxt.market(BTC)) for name, p in privates.items()}
    samples = []
    for i in range(n):
        buy, sell = ("binance", "mexc") if i % 2 == 0 else ("mexc", "binance")
        asks, bids = venue.book(buy, str(BTC)).asks, venue.book(sell, str(BTC)).bids
        opp = Opportunity("btc_usdt", BTC, buy, sell, 0.001, asks[0][0], bids[0][0], asks[0][0] * 0.001, 0.0, 0.0,
                          0.0, 1, 1, 0.001, 0.0005, 0)  # fmt: skip
        health = {v: BookHealth(v, BTC, BookState.LIVE, 1, 5.0, 1, 1.0, 0, 0, 0, 0) for v in (buy, sell)}
        mids = {v: (venue.book(v, str(BTC)).bids[0][0] + venue.book(v, str(BTC)).asks[0][0]) / 2 for v in privates}
        stamps.clear()
        t0 = time.perf_counter()  # the opportunity is in hand: from here on it is arbkit's own time
        plan = build_plan(opp, asks, bids, infos[buy], infos[sell], 5.0, 1e6)
        report = await executor.execute(plan, MarketContext(infos[buy], infos[sell], mids, health))
        assert report.state is ExecState.HEDGED, report.reason
        samples.append((max(stamps[:2]) - t0) * 1000.0)
        if first is not None:
            first.append((min(stamps[:2]) - t0) * 1000.0)
    executor.journal.close()
    return samples


def journal_cost(path: str, n: int, durable: bool) -> float:
    """Microseconds per transition (each its own committed transaction)."""
    journal = Journal(path, durable=durable)
    from tests.execution.helpers import plan

    p = plan()
    started = time.perf_counter()
    for i in range(n):
        eid = f"b{i}"
        journal.open_execution(eid, p, config_hash="x", target="bench", mode="live", at_ms=i)
        journal.transition(eid, ExecState.RESERVED, at_ms=i)
        journal.transition(eid, ExecState.FLAT, at_ms=i)
    elapsed = time.perf_counter() - started
    journal.close()
    return elapsed / (3 * n) * 1e6


async def kill_time(tmp: Path, rounds: int) -> list[float]:
    names = ["binance", "gateio", "mexc", "kraken"]
    out = []
    async with LocalVenue(exchanges=names, seed=3, update_interval=0.05) as venue:
        venue.pause()
        privates = {n: await factory.get_composite_implementation(venue.exchange_config(n), is_private=True).init()
                    for n in names}  # fmt: skip
        try:
            for r in range(rounds):
                executor = Executor({n: PrivateBackend(p) for n, p in privates.items()}, Journal(tmp / f"k{r}.sqlite"),
                                    parse_execution_config(LIMITS))  # fmt: skip
                for name, private in privates.items():
                    bid = venue.book(name, str(BTC)).bids[0][0]
                    for k in (1, 2):
                        await private.place_limit_order(BTC, Side.BUY, 0.001, round(bid * (0.9 - k / 100), 2))
                report = await KillSwitch(executor).trip("benchmark")
                assert report.seconds_to_zero is not None, report.line()
                out.append(report.seconds_to_zero * 1000.0)
                executor.journal.close()
        finally:
            for p in privates.values():
                await p.close()
    return out


async def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        async with LocalVenue(exchanges=["binance", "mexc"], seed=3, update_interval=0.05) as venue:
            venue.pause()
            privates = {name: await factory.get_composite_implementation(venue.exchange_config(name),
                                                                          is_private=True).init()
                        for name in ("binance", "mexc")}  # fmt: skip
            try:
                first_ms: list[float] = []
                file_ms = await own_time(venue, privates, str(tmp_path / "own.sqlite"), n, first_ms)
                memory_ms = await own_time(venue, privates, ":memory:", n)
            finally:
                for p in privates.values():
                    await p.close()
        p50, p99 = _quantiles(file_ms)
        b50, b99 = _quantiles(memory_ms)
        print(f"opportunity -> both legs on the wire (own time, {n} executions, file journal):")
        print(f"  p50 {p50:.3f} ms   p99 {p99:.3f} ms   (target p99 < 1 ms: {'met' if p99 < 1.0 else 'NOT met'})")
        f50, f99 = _quantiles(first_ms)
        print(f"  first leg reaches the client: p50 {f50:.3f} ms  p99 {f99:.3f} ms (the second waits for ccxt to")
        print("  sign and send the first: both legs go out from one thread)")
        print(f"  baseline with an in-memory journal: p50 {b50:.3f} ms  p99 {b99:.3f} ms; ratio p50 {p50 / b50:.2f}x")
        normal = journal_cost(str(tmp_path / "normal.sqlite"), 2000, durable=False)
        full = journal_cost(str(tmp_path / "full.sqlite"), 500, durable=True)
        print(f"journal cost per transition: {normal:.1f} us (WAL, synchronous=NORMAL); {full:.1f} us (FULL)")
        kills = await kill_time(tmp_path, 5)
        print(f"kill switch, 8 open orders on 4 venues -> zero open: median {statistics.median(kills):.1f} ms, "
              f"max {max(kills):.1f} ms over {len(kills)} trips")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=200)
    asyncio.run(main(parser.parse_args().executions))
