"""Execution latency on the local venue, against the execution code of an older git revision in the same run.

Measured per execution, from the opportunity in hand (the book update that opened it having been evaluated):
- the executor's own time: planning, the risk gate, the one journal commit before the wire, both legs' tasks
  started, until the first leg reaches the order back-end (target p99 < 1 ms), in wall time and in the thread's
  CPU time (on a loaded machine the wall-time tail is the scheduler's: a process waiting for a core);
- to the wire (the executor's path plus the exchange client's: arbkit's exchange layer and ccxt building and
  signing each request): until both legs' signed requests are handed to the HTTP layer (ccxt's ``fetch``; aiohttp
  writes them on a pooled connection without yielding), and the gap between the two legs there. The network
  round trip after that is the venue's and is not counted.
The venue runs in its own process (``arbkit venue``, books moving once a second), so its matching and pushes are not
on the measured event loop. Then the journal's cost per transition (WAL, synchronous NORMAL and FULL) and the kill
switch's time to zero open orders across 4 venues. Rounds of current and baseline code alternate, so machine load
hits both alike.

    python benchmarks/execution_latency.py [--executions 200] [--baseline REV]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from arbkit.arbitrage.evaluate import Opportunity
from arbkit.cli.run import RemoteVenue
from arbkit.exchanges import factory
from arbkit.execution.backend import PrivateBackend
from arbkit.execution.config import parse_execution_config
from arbkit.execution.executor import Executor, MarketContext
from arbkit.execution.journal import Journal
from arbkit.execution.killswitch import KillSwitch
from arbkit.execution.machine import ExecState
from arbkit.execution.plan import ExecutionPlan, build_plan
from arbkit.structs import BookHealth, BookState, Side, Symbol
from arbkit.venue import LocalVenue

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _venue_process import venue_process

BTC = Symbol.parse("BTC/USDT")
BASELINE = "8e60b6f"  # before issue 11's follow-up: legs started through gather + wait_for tasks, no wire barrier
LIMITS = {"price_collar_bps": 1000, "cooldown_ms": 0, "max_notional_per_leg": 1e6, "max_net_exposure": 1e6,
          "max_orders_per_second": 10_000, "leg_timeout_ms": 5000}  # fmt: skip
_CHAIN = ("plan", "journal", "legs", "executor")  # each imports the ones before it


def baseline_modules(rev: str) -> dict[str, types.ModuleType]:
    """``arbkit/execution/{plan,journal,legs,executor}.py`` at ``rev``, importing each other's old copies."""
    root = Path(__file__).resolve().parents[1]
    out: dict[str, types.ModuleType] = {}
    for name in _CHAIN:
        path = f"arbkit/execution/{name}.py"
        source = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=root, capture_output=True, text=True,
                                check=True).stdout  # fmt: skip
        for other in out:
            source = source.replace(f"from arbkit.execution.{other} import", f"from baseline_exec_{other} import")
        module = types.ModuleType(f"baseline_exec_{name}")
        sys.modules[module.__name__] = module
        exec(compile(source, f"{rev}:{path}", "exec"), module.__dict__)
        out[name] = module
    return out


class Stamped:
    """A real back-end that notes when each leg reaches it."""

    def __init__(self, inner: PrivateBackend, stamps: list[float], cpu: list[float]) -> None:
        self.inner, self.name, self.stamps, self.cpu = inner, inner.name, stamps, cpu

    async def place_ioc(self, *args: Any, **kwargs: Any) -> Any:
        self.stamps.append(time.perf_counter())
        self.cpu.append(time.thread_time())
        return await self.inner.place_ioc(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def stamp_wire(client: Any, stamps: list[float]) -> None:
    """Note when ccxt hands each signed request to the HTTP layer (instrumentation of this benchmark only)."""
    fetch = client.fetch

    async def stamped(url: str, method: str = "GET", headers: Any = None, body: Any = None) -> Any:
        stamps.append(time.perf_counter())
        return await fetch(url, method, headers, body)

    client.fetch = stamped


def _quantiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


class Runner:
    """One executor (current or baseline code) on the shared venue and private composites."""

    def __init__(self, privates: dict, infos: dict, path: str, mods: dict | None) -> None:
        self.privates, self.infos, self.mods = privates, infos, mods
        self.reached: list[float] = []
        self.reached_cpu: list[float] = []
        backends = {name: Stamped(PrivateBackend(p), self.reached, self.reached_cpu) for name, p in privates.items()}
        executor_cls = Executor if mods is None else mods["executor"].Executor
        journal_cls = Journal if mods is None else mods["journal"].Journal
        self.executor = executor_cls(backends, journal_cls(path), parse_execution_config(LIMITS))
        self.own: list[float] = []
        self.own_cpu: list[float] = []
        self.wire: list[float] = []
        self.gap: list[float] = []
        self.i = 0

    async def one(self, wired: list[float]) -> None:
        infos = self.infos
        buy, sell = ("binance", "mexc") if self.i % 2 == 0 else ("mexc", "binance")
        self.i += 1
        books = {v: await p.rest.ccxt.client.fetch_order_book(str(BTC), 20) for v, p in self.privates.items()}
        asks, bids = books[buy]["asks"], books[sell]["bids"]
        opp = Opportunity("btc_usdt", BTC, buy, sell, 0.001, asks[0][0], bids[0][0], asks[0][0] * 0.001, 0.0, 0.0,
                          0.0, 1, 1, 0.001, 0.0005, 0, buy_worst_price=asks[0][0],
                          sell_worst_price=bids[0][0])  # fmt: skip
        health = {v: BookHealth(v, BTC, BookState.LIVE, 1, 5.0, 1, 1.0, 0, 0, 0, 0) for v in (buy, sell)}
        mids = {v: (b["bids"][0][0] + b["asks"][0][0]) / 2 for v, b in books.items()}
        self.reached.clear()
        self.reached_cpu.clear()
        wired.clear()
        c0 = time.thread_time()
        t0 = time.perf_counter()  # the opportunity is in hand: from here on it is arbkit's own time
        if self.mods is None:
            plan = build_plan(opp, asks, bids, infos[buy], infos[sell], 5.0)
        else:
            plan = self.mods["plan"].build_plan(opp, asks, bids, infos[buy], infos[sell], 5.0, 1e6)
        report = await self.executor.execute(plan, MarketContext(infos[buy], infos[sell], mids, health))
        assert report.state in (ExecState.HEDGED, ExecState.FLAT), report.reason  # the venue moves meanwhile
        # the first leg reaching the back-end ends the executor's own path: both legs' tasks exist by then, and the
        # second waits only for the first leg's client work (the exchange layer and ccxt) to reach the barrier
        self.own.append((min(self.reached[:2]) - t0) * 1000.0)
        self.own_cpu.append((min(self.reached_cpu[:2]) - c0) * 1000.0)
        self.wire.append((max(wired[:2]) - t0) * 1000.0)
        self.gap.append((max(wired[:2]) - min(wired[:2])) * 1000.0)


def journal_cost(path: str, n: int, sync: str) -> float:
    """Microseconds per transition (each its own committed transaction)."""
    journal = Journal(path, sync=sync)
    p = ExecutionPlan(
        pair_id="btc_usdt", symbol=Symbol.parse("BTC/USDT"), buy_exchange="binance", sell_exchange="kraken",
        quantity=0.01, buy_price=100.0, sell_price=101.0, buy_vwap=100.0, sell_vwap=101.0, buy_worst=100.0,
        sell_worst=101.0, buy_fee=0.001, sell_fee=0.001, expected_profit=0.008, opportunity_ms=1_000,
    )  # fmt: skip
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


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _line(label: str, samples: list[float], base: list[float] | None = None) -> str:
    p50, p99 = _quantiles(samples)
    text = f"  {label:<34} p50 {p50:7.3f} ms  p99 {p99:7.3f} ms"
    if base:
        b50, b99 = _quantiles(base)
        text += f"   baseline p50 {b50:7.3f}  p99 {b99:7.3f}   ratio p50 {p50 / b50:.2f}x  p99 {p99 / b99:.2f}x"
    return text


async def main(n: int, rev: str) -> None:
    mods = baseline_modules(rev)
    with tempfile.TemporaryDirectory() as tmp, venue_process(["binance", "mexc"], 1.0, seed=3) as configs:
        tmp_path = Path(tmp)
        remote = RemoteVenue(_origin(configs["binance"].base_url), ["binance", "mexc"])
        privates = {name: await factory.get_composite_implementation(remote.exchange_config(name),
                                                                      is_private=True).init()
                    for name in ("binance", "mexc")}  # fmt: skip
        try:
            infos = {name: p.rest.ccxt.symbol_info(await p.rest.ccxt.market(BTC)) for name, p in privates.items()}
            wired: list[float] = []  # ccxt's stamps, cleared before each execution
            for p in privates.values():
                stamp_wire(p.rest.ccxt.client, wired)
            now = Runner(privates, infos, str(tmp_path / "now.sqlite"), None)
            old = Runner(privates, infos, str(tmp_path / "old.sqlite"), mods)
            for _ in range(5):  # warm both paths up (imports, connections, statement caches)
                await now.one(wired)
                await old.one(wired)
            for r in (now, old):
                for samples in (r.own, r.own_cpu, r.wire, r.gap):
                    samples.clear()
            for block in range(0, n, 20):  # alternate blocks so load hits both alike
                for runner in (now, old):
                    for _ in range(min(20, n - block)):
                        await runner.one(wired)
            now.executor.journal.close()
            old.executor.journal.close()
        finally:
            for p in privates.values():
                await p.close()
        print(f"opportunity -> both legs, {n} executions each, file journal (WAL, synchronous=NORMAL), baseline {rev}:")
        print(_line("executor own time (to the back-end)", now.own, old.own))
        print(_line("  the same in CPU time of the thread", now.own_cpu, old.own_cpu))
        print(_line("to the wire (both signed requests)", now.wire, old.wire))
        print(_line("gap between the legs at the wire", now.gap, old.gap))
        p99 = _quantiles(now.own)[1]
        print(f"  target own-time p99 < 1 ms: {'met' if p99 < 1.0 else 'NOT met'}")
        normal = journal_cost(str(tmp_path / "normal.sqlite"), 2000, "normal")
        full = journal_cost(str(tmp_path / "full.sqlite"), 500, "full")
        print(f"journal cost per transition: {normal:.1f} us (synchronous=NORMAL); {full:.1f} us (FULL)")
        kills = await kill_time(tmp_path, 5)
        print(f"kill switch, 8 open orders on 4 venues -> zero open: median {statistics.median(kills):.1f} ms, "
              f"max {max(kills):.1f} ms over {len(kills)} trips")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=200)
    parser.add_argument("--baseline", default=BASELINE, help=f"git revision of the baseline (default {BASELINE})")
    args = parser.parse_args()
    asyncio.run(main(args.executions, args.baseline))
