"""The trader: the executor wired to a running session. Opportunities from the session's Scanner become plans,
the risk gate sees the session's live books and health, orders go to each exchange's private composite.

API: ``await start_trader(session, journal=..., dry_run=False, config=None)`` -> ``Trader`` (resumes what the
journal left open, reconciles, then trades); ``trader.halt(reason)``, ``trader.state``, ``trader.frames()``,
``trader.summary()``, ``await trader.stop()``. A reconciliation mismatch at start raises ``ReconciliationError``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from typing import Any

import msgspec
import polars as pl

from arbkit.arbitrage.config import ArbitrageConfig
from arbkit.arbitrage.evaluate import Opportunity
from arbkit.arbitrage.lifecycle import EventKind, OpportunityEvent
from arbkit.errors import ArbkitError, BaseExchangeError
from arbkit.execution.backend import PrivateBackend
from arbkit.execution.config import ExecutionConfig, execution_config
from arbkit.execution.executor import ExecutionReport, Executor, MarketContext
from arbkit.execution.frames import journal_frames
from arbkit.execution.journal import Journal, now_ms
from arbkit.execution.killswitch import KillReport, KillSwitch
from arbkit.execution.plan import build_plan, sized_for_execution
from arbkit.execution.reconcile import Reconciler
from arbkit.execution.risk import TradingState
from arbkit.promotion.attestation import Attestation, AttestationStore, attest
from arbkit.promotion.config import PromotionConfig, promotion_config
from arbkit.promotion.guard import PromotionRefused, check_promotion
from arbkit.promotion.identity import LOCAL_VENUE, TradingIdentity, trading_identity
from arbkit.promotion.preflight import check_clocks, credentials_failed, run_preflight

__all__ = ["ReconciliationError", "Trader", "TradingSummary", "start_trader", "trading_arbitrage"]

log = logging.getLogger(__name__)
DEFAULT_JOURNAL = "arbkit-journal.sqlite"


class ReconciliationError(ArbkitError):
    """The journal and a venue disagree; the message is the first difference on one line."""


class TradingSummary(msgspec.Struct, frozen=True):
    """What a trading run did."""

    state: str
    executions: int
    outcomes: dict[str, int]
    refusals: dict[str, int]
    pnl_quote: float
    halt_reason: str


class Trader:
    """Executor + kill switch + reconciler on a session; trades the scanner's opportunities."""

    def __init__(self, session: Any, executor: Executor, privates: dict[str, Any], reconciler: Reconciler) -> None:
        self.session = session
        self.executor = executor
        self.privates = privates
        self.kill_switch = KillSwitch(executor)
        self.reconciler = reconciler
        self._pending: dict[tuple[str, str, str], Opportunity] = {}
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._detach: Any = None
        self.errors: list[str] = []
        self.identity: TradingIdentity | None = None  # config hash and target (start_trader sets them)
        self.rules = PromotionConfig()
        self.attestations: AttestationStore | None = None
        self.attestation: Attestation | None = None  # written when a dry run stops
        self.promoted_by: Attestation | None = None  # the dry run that allowed this real run
        self.preflight: list[str] = []
        self.started_at_ms = 0

    # ------------------------------------------------------------------ observing
    @property
    def state(self) -> TradingState:
        return self.executor.state

    @property
    def journal(self) -> Journal:
        return self.executor.journal

    def frames(self) -> dict[str, pl.DataFrame]:
        """The journal as polars frames: executions, orders, fills, transitions."""
        return journal_frames(self.journal)

    def summary(self) -> TradingSummary:
        rows = [r for r in self.journal.executions() if r.opened_ms >= self._started_ms]
        outcomes: dict[str, int] = {}
        for r in rows:
            outcomes[r.state] = outcomes.get(r.state, 0) + 1
        pnl = sum(r.pnl_quote or 0.0 for r in rows)
        refusals = {str(k): v for k, v in self.executor.refusals.items()}
        return TradingSummary(str(self.state), len(rows), outcomes, refusals, pnl, self.executor.halt_reason)

    # ------------------------------------------------------------------ control
    async def halt(self, reason: str = "halt() called") -> KillReport:
        """The kill switch: no new executions, every open order cancelled, dead-man switches armed."""
        return await self.kill_switch.trip(reason)

    def _start(self, watchdogs: bool = True) -> None:
        """Trade the scanner's opportunities; ``watchdogs``: also the private-stream watch and periodic
        reconciliation (a replay on paper back-ends, whose streams never drop, runs without them)."""
        self._started_ms = self.journal.executions()[-1].opened_ms + 1 if self.journal.executions() else 0
        self._detach = self.session.scanner.add_listener(self._on_event)
        loop = asyncio.get_running_loop()
        self._tasks.append(loop.create_task(self._trade_loop(), name="arbkit-trader"))
        if not watchdogs:
            return
        self._tasks.append(self.kill_switch.watch())
        interval = self.executor.config.reconcile_interval_s
        if interval > 0:
            self._tasks.append(self.reconciler.every(interval))

    def _on_event(self, event: OpportunityEvent) -> None:
        key = event.opportunity.key
        if event.kind is EventKind.CLOSED:
            self._pending.pop(key, None)
            return
        self._pending[key] = event.opportunity
        self._wake.set()

    async def _trade_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            # REDUCING still offers each opportunity to the gate, which lets only rebalancing ones through
            while self._pending and self.state is not TradingState.HALTED and self._detach is not None:
                key = max(self._pending, key=lambda k: self._pending[k].profit_quote)
                opportunity = self._pending.pop(key)
                try:
                    await self.execute(opportunity)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # one bad execution must not kill the loop: halt and say why
                    line = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                    self.errors.append(line)
                    log.exception("execution failed")
                    await self.halt(f"execution error: {line}")

    async def execute(self, opportunity: Opportunity) -> ExecutionReport | None:
        """Plan ``opportunity`` against the session's current books and run it through the gate and executor."""
        market = self.market(opportunity)
        if market is None:
            return None
        buy_book = self.session.exchanges[opportunity.buy_exchange].book(opportunity.symbol)
        sell_book = self.session.exchanges[opportunity.sell_exchange].book(opportunity.symbol)
        plan = build_plan(
            opportunity,
            buy_book.asks,
            sell_book.bids,
            market.buy_info,
            market.sell_info,
            self.executor.config.max_slippage_bps,
        )
        return await self.executor.execute(plan, market)

    def market(self, opportunity: Opportunity) -> MarketContext | None:
        """Infos, mids and live health of the opportunity's symbol on every venue of the session."""
        symbol = opportunity.symbol
        exchanges = self.session.exchanges
        buy, sell = exchanges.get(opportunity.buy_exchange), exchanges.get(opportunity.sell_exchange)
        if buy is None or sell is None or buy.book(symbol) is None or sell.book(symbol) is None:
            return None
        backends = self.executor.backends
        if opportunity.buy_exchange not in backends or opportunity.sell_exchange not in backends:
            return None
        mids: dict[str, float] = {}
        health = {}
        for name, composite in exchanges.items():
            book = composite.book(symbol)
            if book is not None and book.mid is not None:
                mids[name] = book.mid
            if name in (opportunity.buy_exchange, opportunity.sell_exchange):
                found = composite.health(symbol)
                health[name] = found[0] if found else None
        return MarketContext(buy.symbols_info[symbol], sell.symbols_info[symbol], mids, health)

    async def stop(self) -> None:
        """Stop taking opportunities, let an execution in flight finish (never cut between its legs and their
        hedges), then close the private composites and the journal. Open orders are the kill switch's job."""
        if self._detach is not None:
            self._detach()
            self._detach = None
        self._pending.clear()
        async with self.executor.lock:  # the execution in flight, if any, ends first
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self.executor.dry_run and self.attestation is None and self.session.exchanges:
            self.attest()  # a dry run that never had an exchange running observed nothing: no attestation
        for private in self.privates.values():
            with contextlib.suppress(Exception):
                await private.close()
        self.journal.close()

    def attest(self) -> Attestation | None:
        """Write this dry run's attestation (once; ``stop()`` does it): judged against the ``promotion:`` rules."""
        if self.attestations is None or self.identity is None or not self.executor.dry_run:
            return None
        rows = [r for r in self.journal.executions() if r.opened_ms >= self.started_at_ms and r.mode == "dry-run"]
        ended_by = self.executor.halt_reason or "stopped"
        self.attestation = attest(
            self.attestations, rows, self.identity, self.rules, self.started_at_ms, now_ms(), ended_by
        )
        level = logging.INFO if self.attestation.passed else logging.WARNING
        log.log(level, "attestation %s: %s", "passed" if self.attestation.passed else "failed", self.attestation.why)
        return self.attestation

    def __repr__(self) -> str:
        s = self.summary()
        return f"Trader({s.state}, executions={s.executions}, pnl={s.pnl_quote:.6g}, journal={self.journal.path!r})"


def trading_arbitrage(config: Any, arbitrage: ArbitrageConfig) -> ArbitrageConfig:
    """The scanner's ``arbitrage`` config for a trading session: with ``execution.size_to_cap`` (default) every
    pair is capped so opportunities are sized within ``max_notional_per_leg``; plans are then never resized."""
    cfg = execution_config(config)
    if not cfg.size_to_cap:
        return arbitrage
    return sized_for_execution(arbitrage, cfg.max_notional_per_leg, cfg.max_slippage_bps)


async def start_trader(
    session: Any,
    *,
    journal: str | os.PathLike[str] = DEFAULT_JOURNAL,
    dry_run: bool = False,
    config: ExecutionConfig | None = None,
    target: str | None = None,
    require_attestation: bool = True,
) -> Trader:
    """Private composites for every exchange of ``session`` (``dry_run``: paper back-ends over the session's books,
    see arbkit.paper), resume, reconcile, then trade its opportunities.

    Real orders (``dry_run=False``) need a passing attestation of the same config and target in ``journal``
    (``PromotionRefused`` otherwise) and a pre-flight on every venue (``PreflightError``). ``require_attestation=False``
    skips the attestation on the local venue only (tests, notebooks); it is refused for a live target."""
    from arbkit.exchanges import factory

    cfg = config or execution_config(session.config)
    rules = promotion_config(session.config)
    identity = trading_identity(session, cfg)
    if target is not None:
        identity = msgspec.structs.replace(identity, target=target)
    if not dry_run and not require_attestation and identity.target != LOCAL_VENUE:
        raise PromotionRefused(
            f"require_attestation=False is for the local venue only; {identity.target} needs a passing dry run"
        )
    privates: dict[str, Any] = {}
    opened: Journal | None = None
    try:
        opened = Journal(journal, sync=cfg.journal_sync)
        store = AttestationStore(opened.db)
        promoted_by = None
        if not dry_run and require_attestation:
            promoted_by = check_promotion(store.all(), identity, rules)
        symbols = list(session.symbols)
        backends: dict[str, Any]
        clocks: dict[str, str] = {}
        if dry_run:  # paper fills against the session's live books; no credentials needed
            from arbkit.paper.wiring import paper_backends

            backends = dict(await paper_backends(session))
        else:
            clocks = await check_clocks(session)
            for name in session.exchanges:
                exchange_cfg = session.config.get_exchange_config(name)
                exchange_cfg.require_credentials()
                try:
                    privates[name] = await factory.get_composite_implementation(exchange_cfg, is_private=True).init()
                except BaseExchangeError as exc:
                    raise credentials_failed(name, exc) from None
            backends = {name: PrivateBackend(p, symbols, cfg.leg_timeout_ms) for name, p in privates.items()}
        executor = Executor(backends, opened, cfg, target=identity.target, dry_run=dry_run)
        executor.config_hash = identity.config_hash  # the journal's executions carry the promotion's hash
        assets = {a for s in symbols for a in (str(s.base), str(s.quote))}
        reconciler = Reconciler(executor, assets)
        trader = Trader(session, executor, privates, reconciler)
        trader.identity, trader.rules, trader.attestations = identity, rules, store
        trader.promoted_by = promoted_by
        await executor.resume()
        problems = await reconciler.start()
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise ReconciliationError(f"reconciliation: {problems[0]}{more}")
        if not dry_run:
            trader.preflight = await run_preflight(session, privates, cfg.inventory, clocks)
            for line in trader.preflight:
                log.info("pre-flight %s", line)
    except BaseException:
        for private in privates.values():
            with contextlib.suppress(Exception):
                await private.close()
        if opened is not None:
            opened.close()
        raise
    trader.started_at_ms = now_ms()  # what the attestation of a dry run counts from
    trader._start()
    return trader
