"""Paper trading a recording: the scanner, the trader's opportunity handling, the executor and paper back-ends,
driven in-process by recorded time (no venue, no sockets), so a config can be tried on yesterday's market.

API: ``replay_trade(recording, config, *, seed=0, journal=None, zero_latency=False) -> ReplayTradeResult``;
synchronous, it runs its own event loop (a ``SimLoop``) and keeps no global state, so process pools and Ray tasks
can call it. The same recording, config and seed give the same journal rows and the same result. There is no
async twin on purpose: a replay needs its own simulated-time loop; from async code, run it in a process pool
(``loop.run_in_executor``; use the ``spawn`` start method, as forking a process whose polars threads run can hang).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import msgspec
import polars as pl

from arbkit.arbitrage.config import ArbitrageConfig, ArbitragePair
from arbkit.arbitrage.lifecycle import EventKind, OpportunityEvent
from arbkit.arbitrage.scanner import Scanner
from arbkit.clock import use_clock
from arbkit.config import ArbkitConfig, load_config
from arbkit.errors import ArbkitError
from arbkit.execution.config import ExecutionConfig, execution_config
from arbkit.execution.executor import Executor
from arbkit.execution.journal import Journal
from arbkit.execution.reconcile import Reconciler
from arbkit.execution.trader import Trader, trading_arbitrage
from arbkit.paper.backend import PaperBackend
from arbkit.paper.config import LatencySampler, PaperConfig, paper_config
from arbkit.paper.depth import DepthLedger
from arbkit.paper.replay_result import ReplayTradeResult, summarise
from arbkit.paper.sim_clock import SimClock, SimLoop
from arbkit.paper.sim_market import SimMarket
from arbkit.recording.reader import RecordedUpdate, load_updates
from arbkit.recording.schemas import read_meta
from arbkit.structs import Symbol

__all__ = ["ReplayTradeResult", "replay_trade"]

Progress = Callable[[int, int], None]  # (updates done, updates in all)
PROGRESS_EVERY = 2000


@dataclass(frozen=True)
class _Prepared:
    """Everything read and validated before the loop starts."""

    recording: str
    updates: list[RecordedUpdate]
    times: list[int]
    arbitrage: ArbitrageConfig
    execution: ExecutionConfig
    paper: PaperConfig
    config_hash: str
    seed: int
    zero_latency: bool


def replay_trade(
    recording: str | os.PathLike[str],
    config: ArbkitConfig | str | os.PathLike[str],
    *,
    seed: int = 0,
    journal: str | os.PathLike[str] | None = None,
    zero_latency: bool = False,
    progress: Progress | None = None,
) -> ReplayTradeResult:
    """Trade ``recording`` on paper with ``config`` (its ``arbitrage:``, ``execution:`` and ``paper:`` sections).

    ``seed`` is mixed with ``paper.seed`` for the latency draws; ``journal`` keeps the SQLite journal at that path
    (a new file; default: a temporary one, deleted); ``zero_latency`` acts on every order at its send time.
    """
    prepared = _prepare(recording, config, seed, zero_latency)
    path, scratch = _journal_path(journal)
    try:
        with asyncio.Runner(loop_factory=lambda: SimLoop(prepared.times[0])) as runner:
            return runner.run(_drive(prepared, path, None if scratch else path, progress))
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def _prepare(
    recording: str | os.PathLike[str], config: ArbkitConfig | str | os.PathLike[str], seed: int, zero: bool
) -> _Prepared:
    where = os.fspath(recording)
    if not Path(where).is_dir():
        raise ArbkitError(f"replay-trade: recording {where}: no such directory")
    meta = read_meta(where)
    try:
        updates = load_updates(where)
    except (OSError, ValueError, pl.exceptions.PolarsError) as exc:  # unreadable or missing part files
        raise ArbkitError(f"replay-trade: recording {where}: unreadable books ({str(exc).splitlines()[0]})") from None
    if not updates:
        raise ArbkitError(f"replay-trade: recording {where} has no book rows")
    cfg = config if isinstance(config, ArbkitConfig) else load_config(config)
    symbols = sorted({Symbol.parse(u.symbol) for u in updates})
    exchanges = sorted({u.exchange for u in updates})
    # sized within what execution may send (execution.size_to_cap), as a trading session's scanner is
    arbitrage = trading_arbitrage(cfg, _arbitrage(cfg, meta.arbitrage, exchanges, symbols))
    execution = execution_config(cfg)
    paper = paper_config(cfg)
    digest = hashlib.sha256(msgspec.json.encode([arbitrage, execution, paper])).hexdigest()[:16]
    times, last = [], 0
    for u in updates:  # recorded receive times, never running backwards
        last = max(last, round(u.received_ms))
        times.append(last)
    return _Prepared(where, updates, times, arbitrage, execution, paper, digest, seed, zero)


def _arbitrage(
    cfg: ArbkitConfig, recorded: dict[str, object] | None, exchanges: list[str], symbols: list[Symbol]
) -> ArbitrageConfig:
    """The config's ``arbitrage:`` section; else the one the recording was made with; else every recorded symbol
    across every recorded exchange at 0 bps."""
    if cfg.sections.get("arbitrage") is not None:
        from arbkit.arbitrage.config import parse_arbitrage_config

        return parse_arbitrage_config(cfg.sections["arbitrage"], cfg)
    if recorded is not None:
        return msgspec.convert(recorded, ArbitrageConfig)
    pairs = tuple(
        ArbitragePair(
            id=f"{s.base}_{s.quote}".lower(),
            base_asset=str(s.base),
            quote_asset=str(s.quote),
            min_profit_bps=0.0,
            exchanges=tuple(exchanges),
        )
        for s in symbols
    )
    return ArbitrageConfig(enabled_exchanges=tuple(exchanges), arbitrage_pairs=pairs)


def _journal_path(journal: str | os.PathLike[str] | None) -> tuple[str, str | None]:
    """The journal file to write, and the scratch directory to delete afterwards (None: the caller keeps it)."""
    if journal is None:
        scratch = tempfile.mkdtemp(prefix="arbkit-replay-")
        return os.path.join(scratch, "journal.sqlite"), scratch
    path = Path(journal)
    if path.exists() and path.stat().st_size > 0:
        raise ArbkitError(f"replay-trade: journal {path} already exists (a replay writes a new journal)")
    if not path.parent.is_dir():
        raise ArbkitError(f"replay-trade: journal {path}: directory {path.parent} does not exist")
    return os.fspath(path), None


class _SimSession:
    """What the trader reads from a session: the scanner and the exchanges' books, health and terms."""

    def __init__(self, scanner: Scanner, market: SimMarket) -> None:
        self.scanner = scanner
        self.exchanges = market.exchanges


async def _drive(p: _Prepared, path: str, kept: str | None, progress: Progress | None) -> ReplayTradeResult:
    loop = asyncio.get_running_loop()
    assert isinstance(loop, SimLoop)
    clock = SimClock(loop)
    with use_clock(clock.now_ms):
        market = SimMarket(p.updates, clock.now_ms)
        scanner = Scanner(p.arbitrage)
        for exchange in market.exchanges.values():
            scanner.attach(exchange)
        opened = [0]

        def count(event: OpportunityEvent) -> None:
            if event.kind is EventKind.OPENED:
                opened[0] += 1

        scanner.add_listener(count)
        ledger = DepthLedger()
        backends = {
            name: PaperBackend(
                name,
                market.book,
                exchange.symbols_info,
                clock,
                _sampler(p, name),
                p.paper.starting_balances(name),
                ledger,
            )
            for name, exchange in market.exchanges.items()
        }
        journal = Journal(path)
        executor = Executor(backends, journal, p.execution, target=f"replay:{p.recording}", dry_run=True)
        assets = {str(a) for s in market.symbols for a in (s.base, s.quote)}
        trader = Trader(_SimSession(scanner, market), executor, {}, Reconciler(executor, assets))
        total = len(p.updates)
        try:
            trader._start(watchdogs=False)
            for i, (update, at) in enumerate(zip(p.updates, p.times, strict=True)):
                # every timer due before ``at`` fires first, in order, and all that is runnable at ``at`` runs
                await loop.idle_at((at - loop.epoch_ms) / 1000.0)
                market.apply(update)
                if progress is not None and i % PROGRESS_EVERY == 0:
                    progress(i, total)
        finally:
            await trader.stop()  # an execution in flight finishes first (in simulated time); closes the journal
        for backend in backends.values():
            await backend.close()
        scanner.close()
        if trader.errors:  # the trader halted on an exception: the figures would silently stop there
            raise ArbkitError(f"replay-trade: {p.recording}: execution failed: {trader.errors[0]}")
        if progress is not None:
            progress(total, total)
    done = Journal(path)
    try:
        return summarise(
            done, recording=p.recording, config_hash=p.config_hash, updates=total, opportunities=opened[0],
            refusals={str(k): v for k, v in executor.refusals.items()}, journal_path=kept,
        )  # fmt: skip
    finally:
        done.close()


def _sampler(p: _Prepared, venue: str) -> LatencySampler:
    """The venue's latency draws, seeded by ``paper.seed``, the run's seed and the venue (zero: none)."""
    samples = (0.0,) if p.zero_latency else p.paper.latencies(venue)
    return LatencySampler(samples, f"{p.paper.seed}:{p.seed}:{venue}")
