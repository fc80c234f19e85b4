"""Fault campaign: the local venue serving 4 exchanges x 5 symbols, a session watching every book, and seeded
random faults of every kind injected through the venue's own fault API. Every book update the client emits
is compared with the venue's book at the same sequence id.

The venue runs on its own event loop and the comparison runs there too (``_fault_checker.py``), in a spawned child
process by default (``--venue process``, ``_venue_child.py``): a remote exchange holds no GIL and no heap in the
session's process, so neither may the venue measured against. ``--venue thread`` keeps it on a ``VenueThread`` in this
process (the default for ``--quick``, which starts faster). The session's loop only hands each update's summary over
(batched over a pipe every 10 ms by a sender thread in process mode), so the longest event-loop block is the
session's own. Each slow block is named by where its time went: the loop thread's work, other threads holding the GIL
(in thread mode the venue's; ``--switch-interval`` bounds each of their turns, 1 ms by default), or the process not
running at all (a loaded machine: run the timing targets on a quiet one).

    python benchmarks/fault_campaign.py --seed 11            # >= 1,000 faults in at most 8 minutes
    python benchmarks/fault_campaign.py --seed 11 --short    # >= 150 faults in under a minute
    python benchmarks/fault_campaign.py --seed 11 --short --venue thread   # the venue in this process instead

Prints faults by kind and exchange, divergent live books (target 0), books stuck after the faults stop (target 0),
fault-to-live time per kind (p50/p95/max; targets p95 < 2 s, max < 5 s), the longest event-loop block (target
< 100 ms), the worst frame-to-evaluation delay, asyncio tasks and venue connections before/during/after; exits 1 when
a target is missed. ``tests/runtime/test_fault_campaign.py`` runs the quick variant (``--quick``: every kind, 4 x 2
books, about 10 s) with the same code.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from arbkit.config import ArbkitConfig, WebsocketConfig
from arbkit.runtime.loop_watchdog import LoopBlock
from arbkit.runtime.session import Session, connect
from arbkit.structs import BookState, BookUpdate

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script or imported by the test alike
from _fault_checker import Emitted
from _venue_child import VenueInThread, VenueProcess

EXCHANGES = ("binance", "gateio", "mexc", "kraken")
SYMBOLS = ("BTC/USDT", "ETH/USDT", "SOL/USDT", "XRP/USDT", "DOGE/USDT")
KINDS = ("gap", "drop", "graceful_drop", "stall", "burst", "close_on_connect", "close_on_subscribe", "checksum")
DEPTH = 20
_SYMBOL_KINDS = ("gap", "burst", "checksum")
RECOVERY_LIMIT_S = 10.0
Venue = VenueInThread | VenueProcess
#: where the venue ran, as the printout says it
WHERE = {
    "process": "a child process (the default: a remote exchange holds no GIL and no heap in the session's process)",
    "thread": "a thread of the session's process (--venue thread: it shares the session's GIL and heap)",
}


@dataclass(frozen=True)
class CampaignPlan:
    """How hard to push: fault count, time budget, stall lengths, symbols per exchange, the feeds' stall timeout."""

    faults: int = 1060  # a little over the minimum: a loaded machine can fall behind the pace near the end
    minimum: int = 1000
    budget_s: float = 480.0
    stall_s: tuple[float, float] = (2.0, 4.0)
    settle_s: float = 20.0
    symbols: int = len(SYMBOLS)
    stall_timeout: float = 1.5
    comparisons: int = 1000  # book comparisons below this prove too little
    lead_s: float = 5.0  # of the budget, for connecting and warming up before the faults
    every_fault: bool = False  # inject all ``faults`` however slow the machine (the window only paces them)


SHORT = CampaignPlan(faults=165, minimum=150, budget_s=55.0, stall_s=(1.2, 2.0), settle_s=8.0)
#: the test suite's variant: every kind on 4 exchanges x 2 symbols in about 10 s, faults still overlapping
QUICK = CampaignPlan(
    faults=48,
    minimum=48,
    budget_s=11.0,
    stall_s=(0.7, 1.0),
    settle_s=3.0,
    symbols=2,
    stall_timeout=0.6,
    comparisons=300,
    lead_s=2.5,
    every_fault=True,
)


@dataclass
class Report:
    """Everything the campaign measured; ``misses()`` lists the targets it missed."""

    seed: int
    faults: Counter[tuple[str, str]] = field(default_factory=Counter)
    recovery: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    comparisons: int = 0
    divergent: list[str] = field(default_factory=list)
    stuck: list[str] = field(default_factory=list)
    longest_block: LoopBlock = field(default_factory=LoopBlock)  # the session loop's, whatever its cause
    longest_busy: LoopBlock = field(default_factory=LoopBlock)  # the longest the loop thread spent working
    slow_blocks: list[LoopBlock] = field(default_factory=list)  # the session loop's blocks of 40 ms or more
    started: float = 0.0  # time.monotonic() when the session began connecting
    gc_pauses: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))  # generation -> ms each
    delays_ms: list[float] = field(default_factory=list)
    tasks: dict[str, int] = field(default_factory=dict)
    connections: dict[str, int] = field(default_factory=dict)
    elapsed_s: float = 0.0
    leftover: list[str] = field(default_factory=list)
    venue: str = "thread"  # where the venue and the checker ran: "process" or "thread"

    def misses(self, plan: CampaignPlan, timing: bool = True) -> list[str]:
        out = []
        total = sum(self.faults.values())
        if total < plan.minimum:
            out.append(f"only {total} faults (target {plan.minimum})")
        if self.comparisons < plan.comparisons:
            out.append(f"only {self.comparisons} book comparisons (target {plan.comparisons})")
        kinds = {k for k, _ in self.faults}
        if kinds != set(KINDS):
            out.append(f"kinds missing: {sorted(set(KINDS) - kinds)}")
        if self.divergent:
            out.append(f"{len(self.divergent)} divergent live books")
        if self.stuck:
            out.append(f"{len(self.stuck)} books stuck after the faults stopped")
        if self.tasks.get("after", 0) > self.tasks.get("before", 0):
            out.append(f"asyncio tasks left after stop: {self.tasks} {self.leftover}")
        if self.connections.get("after", 0):
            out.append(f"venue connections still open 5 s after stop: {self.connections['after']}")
        if timing:
            for kind, times in self.recovery.items():
                if times and (_pct(times, 95) >= 2.0 or max(times) >= 5.0):
                    out.append(f"{kind}: fault-to-live p95 {_pct(times, 95):.2f}s max {max(times):.2f}s")
            if self.longest_block.ms >= 100.0:
                out.append(f"event loop blocked {self.longest_block.ms:.0f} ms")
        return out

    def print(self) -> None:
        total = sum(self.faults.values())
        print(f"seed {self.seed}: {total} faults in {self.elapsed_s:.0f}s, {self.comparisons} book comparisons")
        by_kind = Counter(k for (k, _), n in self.faults.items() for _ in range(n))
        for kind in KINDS:
            per = ", ".join(f"{e} {self.faults[(kind, e)]}" for e in EXCHANGES if self.faults[(kind, e)])
            print(f"  {kind:<19} {by_kind[kind]:>4}  ({per})")
        print(f"divergent live books: {len(self.divergent)} (target 0) {self.divergent[:3]}")
        print(f"books stuck after the faults stop: {len(self.stuck)} (target 0) {self.stuck[:5]}")
        print("fault -> live again (s)      p50    p95    max   (targets p95 < 2, max < 5)")
        for kind in KINDS:
            times = self.recovery.get(kind) or []
            if times:
                print(f"  {kind:<24} {_pct(times, 50):6.2f} {_pct(times, 95):6.2f} {max(times):6.2f}  n={len(times)}")
        block, busy = self.longest_block, self.longest_busy
        print(f"longest event-loop block: {block.ms:.1f} ms (target < 100); {self._block(block)}")
        working = sorted((b for b in self.slow_blocks if b.busy), key=lambda b: -b.ms)
        causes = Counter(b.cause for b in self.slow_blocks)
        print(f"  blocks of 40+ ms: {len(self.slow_blocks)} ({', '.join(f'{c} {n}' for c, n in causes.most_common())})")
        print(f"  the longest the loop thread worked through ({len(working)} of 40+ ms):")
        for b in working[:3] or [busy]:
            print(f"    {b.ms:.1f} ms; {self._block(b)}")
        for generation, pauses in sorted(self.gc_pauses.items()):
            print(
                f"  garbage collections, generation {generation}: {len(pauses)}, p50 {_pct(pauses, 50):.1f} ms,"
                f" longest {max(pauses):.1f} ms (wall, the loop stopped)"
            )
        if self.delays_ms:
            print(
                f"frame -> evaluation delay: p50 {_pct(self.delays_ms, 50):.1f} ms, p99 {_pct(self.delays_ms, 99):.1f}"
                f" ms, worst {max(self.delays_ms):.1f} ms over {len(self.delays_ms)} frames"
            )
        print(f"asyncio tasks: {self.tasks} {self.leftover}; venue connections: {self.connections}")
        print(f"venue and checker ran in {WHERE[self.venue]}")

    def _block(self, block: LoopBlock) -> str:
        """When a block was and where its time went: the loop thread's own CPU (work), the process's (another thread
        holding the GIL), neither (the OS did not run the process), and the sampled stacks."""
        return (
            f"{block.at - self.started:.1f} s after connect; CPU in it: loop thread {block.loop_cpu_ms:.1f} ms, whole"
            f" process {block.cpu_ms:.1f} ms (mostly {block.cause}); sampled: {block.running or '-'}"
        )


def _pct(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


class Observer:
    """The session's half of the checking: notes each book's last state (for recovery times) and hands a summary of
    every emitted update to the venue-side ``Checker``; nothing heavier runs on the session's loop."""

    def __init__(self, hand_over: Callable[[Emitted], None], session: Session) -> None:
        self.session = session
        self.last: dict[tuple[str, str], tuple[float, BookState, int]] = {}  # time, state, failure count
        self._hand_over = hand_over

    def attach(self) -> None:
        for composite in self.session.exchanges.values():
            composite.add_listener(self.on_update)  # after the scanner's: runs once it has evaluated the book

    @staticmethod
    def failures(update_health: Any) -> int:
        h = update_health
        return h.gaps + h.checksum_failures + h.resyncs + h.reconnects

    def on_update(self, update: BookUpdate) -> None:
        book, health = update.book, update.health
        symbol = str(book.symbol)
        now = time.monotonic()
        count = self.failures(health)
        self.last[(book.exchange, symbol)] = (now, health.state, count)
        live = health.state is BookState.LIVE
        self._hand_over(Emitted(book.exchange, symbol, book.sequence, book.bids, book.asks, live, count, now))


class Injector:
    """Seeded random faults, at most one in flight per exchange, each timed until its books are live again."""

    def __init__(
        self, venue: Venue, observer: Observer, report: Report, plan: CampaignPlan, rng: random.Random
    ) -> None:
        self.venue, self.observer, self.report, self.plan, self.rng = venue, observer, report, plan, rng
        self.busy: set[str] = set()
        self.symbols = SYMBOLS[: plan.symbols]
        self.symbols_busy: dict[str, list[str]] = {e: [] for e in EXCHANGES}
        self.tasks: set[asyncio.Task[None]] = set()

    def free(self) -> list[str]:
        """Exchanges that can take a fault now: no exchange-wide fault in flight and a symbol left to hit."""
        return [e for e in EXCHANGES if e not in self.busy and len(set(self.symbols_busy[e])) < len(self.symbols)]

    def inject(self, exchange: str, overlap: bool = False) -> None:
        """One seeded fault: a symbol-level one on a free symbol, or (if the exchange is idle) any kind; ``overlap``
        (behind schedule, nothing free) hits any symbol with a symbol-level fault on top of what is in flight."""
        idle = not self.symbols_busy[exchange] and exchange not in self.busy
        kinds = [k for k in KINDS if (k != "checksum" or exchange == "kraken") and (idle or k in _SYMBOL_KINDS)]
        unused = [k for k in kinds if not any(done == k for done, _ in self.report.faults)]
        kind = self.rng.choice(unused or kinds)  # every kind early on, then at random
        free_symbols = [s for s in self.symbols if s not in self.symbols_busy[exchange]]
        symbol = self.rng.choice(free_symbols if free_symbols and not overlap else list(self.symbols))
        affected = [symbol] if kind in _SYMBOL_KINDS else list(self.symbols)
        if kind in _SYMBOL_KINDS:
            self.symbols_busy[exchange].append(symbol)
        else:
            self.busy.add(exchange)
        self.report.faults[(kind, exchange)] += 1
        task = asyncio.get_running_loop().create_task(self._run(kind, exchange, symbol, affected))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _run(self, kind: str, exchange: str, symbol: str, affected: list[str]) -> None:
        run = self.venue.run  # every fault is a named operation run on the venue's own loop
        before = {s: self.observer.last.get((exchange, s), (0.0, BookState.LIVE, 0))[2] for s in affected}
        start = time.monotonic()
        try:
            if kind == "gap":
                await run("skip_sequence", exchange, symbol)
            elif kind == "checksum":
                await run("corrupt_checksum", symbol)
            elif kind == "burst":
                await run("burst", exchange, symbol, 0.3, (2, 4))
            elif kind == "stall":
                seconds = self.rng.uniform(*self.plan.stall_s)
                await run("stall", exchange, seconds)
                start += seconds  # a stall recovers from its end
            elif kind in ("drop", "graceful_drop"):
                await run("drop_connections", exchange, kind == "graceful_drop")
            else:
                await run(kind, exchange)  # close_on_connect / close_on_subscribe
                await run("drop_connections", exchange)
            await self._recovered(kind, exchange, affected, before, start)
        finally:
            await run("disarm", exchange)
            if kind in _SYMBOL_KINDS:
                self.symbols_busy[exchange].remove(symbol)
            else:
                self.busy.discard(exchange)

    async def _recovered(self, kind: str, exchange: str, symbols: list[str], before: dict[str, int], t0: float) -> None:
        """Wait until every affected book emitted a live update after ``t0`` (and after a failure if it had one)."""
        deadline = t0 + RECOVERY_LIMIT_S
        while time.monotonic() < deadline:
            await asyncio.sleep(0.01)
            done = True
            for s in symbols:
                at, state, count = self.observer.last.get((exchange, s), (0.0, BookState.CONNECTING, 0))
                if state is not BookState.LIVE or at <= t0:
                    done = False
                    break
                if count == before[s] and time.monotonic() - t0 < 1.0:  # give a failure time to show first
                    done = False
                    break
            if done:
                self.report.recovery[kind].append(max(0.0, time.monotonic() - t0))
                return
        self.report.recovery[kind].append(RECOVERY_LIMIT_S)


async def _settle(session: Session, seconds: float) -> None:
    """Give the books up to ``seconds`` after the last fault to be live again (a stuck one stays out)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if all(h.state is BookState.LIVE for h in session.health().books):
            return
        await asyncio.sleep(0.1)


class GcTimer:
    """Times every garbage collection while the session is live (a full one stops the loop without a Python frame
    the watchdog could sample)."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.active = False
        self._start = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if not self.active:
            return
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.report.gc_pauses[info["generation"]].append((time.perf_counter() - self._start) * 1000.0)


async def run_campaign(seed: int, plan: CampaignPlan, venue: str = "thread") -> Report:
    """Run one campaign with the venue in a ``venue`` ("process" or "thread") and return its report (the caller
    prints it and judges the targets)."""
    report = Report(seed, venue=venue)
    timer = GcTimer(report)
    gc.callbacks.append(timer)
    try:
        return await _campaign(report, seed, plan, timer)
    finally:
        gc.callbacks.remove(timer)


async def _campaign(report: Report, seed: int, plan: CampaignPlan, timer: GcTimer) -> Report:
    rng = random.Random(seed)
    report.tasks["before"] = len(asyncio.all_tasks())
    symbols = list(SYMBOLS[: plan.symbols])
    ws = WebsocketConfig(
        book_depth=DEPTH, stall_timeout=plan.stall_timeout, reconnect_backoff_initial=0.05, reconnect_backoff_max=1.0
    )
    # the venue (and the checker) run on their own loop, in a child process or a thread: not the session loop's blocks
    host = VenueProcess if report.venue == "process" else VenueInThread
    async with host(list(EXCHANGES), DEPTH, seed=seed, update_interval=0.05) as venue:
        exchanges = {e: msgspec.structs.replace(venue.exchange_config(e), websocket_config=ws) for e in EXCHANGES}
        started = report.started = time.monotonic()
        session = await connect(ArbkitConfig(exchanges=exchanges), venue=venue, symbols=symbols, name=f"c{seed}")
        observer = Observer(venue.hand_over, session)
        injector: Injector | None = None
        timer.active = True
        try:
            await venue.run("checker_start")
            observer.attach()
            await asyncio.sleep(1.0)
            injector = Injector(venue, observer, report, plan, rng)
            window = plan.budget_s - plan.settle_s - plan.lead_s  # from the first fault, however long startup took
            interval = window / plan.faults
            next_at = first = time.monotonic()
            injected = 0
            while injected < plan.faults and (plan.every_fault or time.monotonic() - first < window):
                free = injector.free()
                now = time.monotonic()
                behind = now >= next_at + interval and not free  # recoveries run slow: keep the fault rate anyway
                if (free and now >= next_at) or behind:
                    injector.inject(rng.choice(free or list(EXCHANGES)), overlap=behind)
                    injected += 1
                    next_at += interval * rng.uniform(0.5, 1.5)
                    if injected == plan.faults // 2:
                        report.tasks["during"] = len(asyncio.all_tasks())
                        report.connections["during"] = await venue.run("connections")
                await asyncio.sleep(0.005)
            await asyncio.gather(*injector.tasks, return_exceptions=True)
            await _settle(session, plan.settle_s)
            books = session.health().books
            report.stuck = [f"{h.exchange} {h.symbol} {h.state} ({h.last_error})" for h in books if not h.is_healthy]
            missing = len(EXCHANGES) * len(symbols) - len(session.health().books)
            report.stuck += [f"{missing} books not subscribed"] if missing else []
            report.longest_block, report.longest_busy = session.watchdog.longest, session.watchdog.longest_busy
            report.slow_blocks = list(session.watchdog.slow)
        finally:
            timer.active = False
            for task in injector.tasks if injector is not None else ():  # interrupted: no fault outlives the venue
                task.cancel()
            await asyncio.gather(*(injector.tasks if injector is not None else ()), return_exceptions=True)
            await session.stop()
            # checks what the session handed over last
            report.comparisons, report.divergent, report.delays_ms = await venue.run("checker_finish")
        deadline = time.monotonic() + 5.0  # the venue sees the closes land (slow on a loaded machine)
        while (still_open := await venue.run("connections")) and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        report.connections["after"] = still_open
        report.elapsed_s = time.monotonic() - started
    deadline = time.monotonic() + 5.0  # closes finishing in the background (slow on a loaded machine)
    while len(asyncio.all_tasks()) > report.tasks["before"] and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.1)
    report.tasks["after"] = len(asyncio.all_tasks())
    report.leftover = sorted(_task_name(t) for t in asyncio.all_tasks() if t is not asyncio.current_task())
    report.leftover += [f"venue {report.venue} still running"] if venue.alive else []
    return report


def _task_name(task: asyncio.Task[Any]) -> str:
    """A task's name, the coroutine it runs and where it waits, innermost (asyncio's default names say nothing)."""
    coro = inner = task.get_coro()
    while getattr(getattr(inner, "cr_await", None), "cr_frame", None) is not None:
        inner = inner.cr_await  # type: ignore[union-attr]
    frame = getattr(inner, "cr_frame", None)
    where = f" waiting in {frame.f_code.co_qualname} ({frame.f_code.co_filename.rsplit('/', 1)[-1]}:{frame.f_lineno})"
    return f"{task.get_name()} {getattr(coro, '__qualname__', coro)!s}{where if frame is not None else ''}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--short", action="store_true", help=">= 150 faults in under a minute")
    parser.add_argument("--quick", action="store_true", help="the test suite's variant: 4 x 2 books, about 10 s")
    parser.add_argument(
        "--switch-interval",
        type=float,
        default=1.0,
        metavar="MS",
        help="the GIL switch interval in ms (default 1; Python's is 5): how long the venue's thread may keep running"
        " once the session's thread waits for the interpreter",
    )
    parser.add_argument(
        "--venue",
        choices=("process", "thread"),
        default=None,
        help="where the venue and the checker run: a child process (default; as a remote exchange, no GIL or heap"
        " shared with the session) or a thread of this process (the default for --quick)",
    )
    args = parser.parse_args(argv)
    sys.setswitchinterval(args.switch_interval / 1000.0)
    plan = QUICK if args.quick else SHORT if args.short else CampaignPlan()
    where = args.venue or ("thread" if args.quick else "process")
    try:
        report = asyncio.run(run_campaign(args.seed, plan, where))
    except KeyboardInterrupt:  # the session and the venue (thread or process) were stopped on the way out
        print("fault campaign interrupted: session and venue stopped", file=sys.stderr)
        return 130
    plan_name = "quick" if args.quick else "short" if args.short else "full"
    print(f"plan {plan_name}, seed {args.seed}, GIL switch interval {sys.getswitchinterval() * 1000:.1f} ms")
    report.print()
    misses = report.misses(plan)
    print("TARGETS MISSED: " + "; ".join(misses) if misses else "all targets met")
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
