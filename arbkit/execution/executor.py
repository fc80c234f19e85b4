"""The executor: gate a plan, journal it, send both legs at once, then follow the leg-risk policy to FLAT, HEDGED
or STUCK, writing every transition before the network call it leads to.

API: ``Executor(backends, journal, config, target=..., dry_run=False)``; ``await execute(plan, market)`` ->
``ExecutionReport``; ``await resume()`` finishes what a previous process left open in the journal;
``gate(plan, market)`` is the pure risk check with the executor's own state filled in; ``state`` is the one
``TradingState`` everything consults; ``alarms`` are called with ``(kind, reason)`` on STUCK and daily loss.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Mapping

import msgspec

from arbkit.errors import ArbkitError
from arbkit.execution.accounting import bought_sold, realised_pnl
from arbkit.execution.backend import OrderBackend, client_order_id
from arbkit.execution.config import ExecutionConfig
from arbkit.execution.journal import Journal, OrderRow, now_ms
from arbkit.execution.legs import LegResult, dispatch, recover_order, send_leg
from arbkit.execution.machine import ActionKind, ExecState, LegOutcome, Position, decide, outcome_of
from arbkit.execution.plan import ExecutionPlan, collar_price
from arbkit.execution.reducing import reducing_reasons
from arbkit.execution.risk import RiskDecision, RiskInputs, RiskReason, TokenBucket, TradingState, check
from arbkit.execution.wire import legs_together
from arbkit.structs import BookHealth, Order, Side, SymbolInfo

__all__ = ["ExecutionReport", "Executor", "MarketContext"]

log = logging.getLogger(__name__)
Alarm = Callable[[str, str], Awaitable[None] | None]
CHECKPOINT_EVERY = 200  # journal commits between two checkpoints run in a thread after an execution closes


class MarketContext(msgspec.Struct, frozen=True):
    """What the gate needs from the market at decision time."""

    buy_info: SymbolInfo
    sell_info: SymbolInfo
    mids: dict[str, float]
    health: dict[str, BookHealth | None]


class ExecutionReport(msgspec.Struct, frozen=True):
    """How one execution ended (or why the gate refused it: ``refused`` set, ``execution_id`` None)."""

    execution_id: str | None
    state: ExecState | None
    reason: str
    pnl_quote: float | None = None
    bought: float = 0.0
    sold: float = 0.0
    refused: RiskReason | None = None


class Executor:
    """Executions over one ``OrderBackend`` per venue, journaled in ``journal``."""

    def __init__(
        self,
        backends: Mapping[str, OrderBackend],
        journal: Journal,
        config: ExecutionConfig,
        *,
        target: str = "local",
        dry_run: bool = False,
    ) -> None:
        self.backends = dict(backends)
        self.journal = journal
        self.config = config
        self.target = target
        self.dry_run = dry_run
        if dry_run and not all(getattr(b, "paper", False) for b in self.backends.values()):
            raise ArbkitError("dry run: every back-end must be a paper back-end (arbkit.paper.PaperBackend)")
        self.config_hash = config.config_hash()
        self.state = TradingState.ACTIVE
        self.halt_reason = ""
        self.stuck_assets: set[str] = set()
        self.refusals: Counter[RiskReason] = Counter()
        self.alarms: list[Alarm] = []
        self.reports: list[ExecutionReport] = []
        start = now_ms()
        self.buckets = {name: TokenBucket(config.order_rate(name), start) for name in self.backends}
        self._reserved: dict[str, dict[str, float]] = {}
        self._holds: dict[str, list[tuple[str, str, float]]] = {}
        self._net: dict[str, tuple[str, float]] = {}  # execution id -> (asset, bought - sold) while open or STUCK
        self._last: dict[str, int] = {}
        self._ids = itertools.count()
        self._tasks: set[asyncio.Task[None]] = set()
        self._day = 0
        self._day_pnl = 0.0
        self.lock = asyncio.Lock()  # one execution at a time; reconciliation runs between executions
        self._run = _base36(start)
        self._checkpointing = False
        self.stream_drops: dict[str, deque[float]] = {}  # venue -> monotonic times its private stream dropped

    # ------------------------------------------------------------------ state
    def set_state(self, state: TradingState, reason: str) -> None:
        if state is not self.state:
            self.state = state
            self.halt_reason = reason if state is not TradingState.ACTIVE else ""
            self.journal.event("state", f"{state}: {reason}")

    def note_stream_drop(self, venue: str, at_s: float | None = None) -> None:
        """A private stream went down (the kill switch's watcher says so); counted for REDUCING."""
        drops = self.stream_drops.setdefault(venue, deque(maxlen=1000))
        drops.append(time.monotonic() if at_s is None else at_s)
        self.review()

    def review(self, now_s: float | None = None) -> TradingState:
        """Enter REDUCING from ACTIVE while a trigger holds, back to ACTIVE once none does (HALTED stays)."""
        if self.state is TradingState.HALTED:
            return self.state
        balances = {name: b.balances() for name, b in self.backends.items()}
        now = time.monotonic() if now_s is None else now_s
        reasons = reducing_reasons(balances, self.daily_pnl(), self.stream_drops, now, self.config)
        if reasons and self.state is TradingState.ACTIVE:
            self.set_state(TradingState.REDUCING, "; ".join(reasons))
        elif not reasons and self.state is TradingState.REDUCING:
            self.set_state(TradingState.ACTIVE, "reducing triggers cleared")
        elif reasons:
            self.halt_reason = "; ".join(reasons)
        return self.state

    @property
    def exposure(self) -> dict[str, float]:
        """Net base position per asset of executions still open or STUCK."""
        out: dict[str, float] = {}
        for asset, net in self._net.values():
            out[asset] = out.get(asset, 0.0) + net
        return out

    def daily_pnl(self) -> float:
        """Realised P&L of executions closed since UTC midnight (from the journal once a day, then kept here)."""
        midnight = now_ms() // 86_400_000 * 86_400_000  # UTC midnight on arbkit's clock (recorded time in a replay)
        if self._day != midnight:
            self._day = midnight
            self._day_pnl = self.journal.realised_pnl(since_ms=midnight)
        return self._day_pnl

    # ------------------------------------------------------------------ gate
    def gate(self, plan: ExecutionPlan, market: MarketContext, at_ms: int | None = None) -> RiskDecision:
        at = now_ms() if at_ms is None else at_ms
        venues = {plan.buy_exchange, plan.sell_exchange} & self.backends.keys()
        inputs = RiskInputs(
            state=self.state,
            now_ms=at,
            buy_info=market.buy_info,
            sell_info=market.sell_info,
            balances={name: self.backends[name].balances() for name in venues},  # every check reads only these
            reserved=self._reserved,
            exposure=self.exposure,
            mids=market.mids,
            health=market.health,
            tokens={name: self.buckets[name].available(at) for name in venues},
            daily_pnl=self.daily_pnl(),
            stuck_assets=frozenset(self.stuck_assets),
            last_execution_ms=self._last,
        )
        return check(plan, inputs, self.config)

    # ------------------------------------------------------------------ one execution
    async def execute(self, plan: ExecutionPlan, market: MarketContext) -> ExecutionReport:
        """Gate, journal and run one execution to FLAT, HEDGED or STUCK (dry run: the same, on paper back-ends)."""
        async with self.lock:
            return await self._execute(plan, market)

    async def _execute(self, plan: ExecutionPlan, market: MarketContext) -> ExecutionReport:
        if self.config.inventory or self.state is TradingState.REDUCING:  # bands move with every fill
            self.review()
        at = now_ms()
        decision = self.gate(plan, market, at)
        if not decision.allowed:
            assert decision.reason is not None
            self.refusals[decision.reason] += 1
            return ExecutionReport(None, None, decision.detail, refused=decision.reason)
        for venue in (plan.buy_exchange, plan.sell_exchange):
            self.buckets[venue].take(at)
        self._last[plan.pair_id] = at
        eid = f"{self._run}{_base36(next(self._ids)).rjust(2, '0')}"
        mode = "dry-run" if self.dry_run else "live"
        self._hold(eid, plan)
        reserved = "funds reserved on both venues"
        rows = [self._order_row(eid, plan, "b", Side.BUY), self._order_row(eid, plan, "s", Side.SELL)]
        # one commit holds PLANNED, RESERVED, both order rows and SUBMITTED, before either leg is sent
        self.journal.open_execution(
            eid, plan, config_hash=self.config_hash, target=self.target, mode=mode, at_ms=at, reserved=reserved,
            orders=rows, submitted="both legs on the wire",
        )  # fmt: skip
        try:  # both legs' tasks start back to back in the next loop iteration, ahead of anything queued later
            with legs_together(2):  # each leg waits, signed, for the other: both are written back to back
                placing = [dispatch(self.backends[r.exchange], r, plan.symbol) for r in rows]
            buy, sell = await asyncio.gather(
                self._send(plan.buy_exchange, rows[0], plan, plan.buy_fee, placing=placing[0]),
                self._send(plan.sell_exchange, rows[1], plan, plan.sell_fee, placing=placing[1]),
            )
        finally:
            self._release(eid)
        return await self._settle(eid, plan, buy.outcome, sell.outcome)

    async def _send(
        self,
        venue: str,
        row: OrderRow,
        plan: ExecutionPlan,
        fee: float,
        guarded: bool = True,
        placing: asyncio.Task[Order] | None = None,
    ) -> LegResult:
        timeout = self.config.leg_timeout_ms / 1000.0
        return await send_leg(self.backends[venue], self.journal, row, plan.symbol, timeout, fee, guarded, placing)

    async def _settle(self, eid: str, plan: ExecutionPlan, buy: LegOutcome, sell: LegOutcome) -> ExecutionReport:
        """WORKING -> the policy loop: hedge attempts (each journaled before it is sent) until a terminal state."""
        if self.journal.execution(eid).state == ExecState.SUBMITTED:
            self.journal.transition(eid, ExecState.WORKING, f"buy={buy} sell={sell}")
        while True:
            rows = self.journal.orders(eid)
            bought, sold = bought_sold(rows)
            attempts = sum(1 for r in rows if r.role.startswith("h"))
            base = str(plan.symbol.base)
            self._net[eid] = (base, bought - sold)
            position = Position(
                buy_exchange=plan.buy_exchange,
                sell_exchange=plan.sell_exchange,
                buy_outcome=buy,
                sell_outcome=sell,
                bought=bought,
                sold=sold,
                attempts=attempts,
                step=plan.step,
            )
            action = decide(position, self.config.hedge_attempts)
            if action.kind is ActionKind.FLAT:
                return self._close(eid, ExecState.FLAT, action.reason, rows)
            if action.kind is ActionKind.HEDGED:
                return self._close(eid, ExecState.HEDGED, action.reason, rows)
            if action.kind is ActionKind.STUCK:
                report = self._close(eid, ExecState.STUCK, action.reason, rows)
                self.stuck_assets.add(base)
                await self.raise_alarm("stuck", f"execution {eid} STUCK ({action.reason}); {base} halted")
                return report
            assert action.side is not None
            row = self._hedge_row(eid, plan, action.kind, action.exchange, action.side, action.quantity, rows, attempts)
            self.journal.add_order(row)
            self.journal.transition(eid, ExecState.HEDGING, action.reason)
            await self._wait_token(action.exchange)
            fee = plan.buy_fee if action.exchange == plan.buy_exchange else plan.sell_fee
            await self._send(action.exchange, row, plan, fee, guarded=False)

    def _close(self, eid: str, state: ExecState, reason: str, rows: list[OrderRow]) -> ExecutionReport:
        pnl = realised_pnl(rows) if rows else 0.0
        self.journal.transition(eid, state, reason, pnl_quote=pnl)
        self.daily_pnl()  # roll the day over first if midnight passed
        self._day_pnl += pnl
        bought, sold = bought_sold(rows)
        if state is not ExecState.STUCK:
            self._net.pop(eid, None)
        report = ExecutionReport(eid, state, reason, pnl, bought, sold)
        self.reports.append(report)
        if pnl < 0:
            self.review()  # a loss past reducing_loss_share of the limit enters REDUCING
        if self.journal.uncheckpointed >= CHECKPOINT_EVERY and not self._checkpointing:
            self.journal.uncheckpointed = 0  # the WAL into the database file, in a thread, off the hot path
            self._checkpointing = True
            task = asyncio.get_running_loop().create_task(self._checkpoint())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        log.info("execution %s %s: %s (pnl %.6g)", eid, state, reason, pnl)
        daily = self.daily_pnl()
        if daily < 0 and daily <= -self.config.daily_loss_limit and self.state is not TradingState.HALTED:
            reason = f"daily P&L {daily:.6g} reached daily_loss_limit {self.config.daily_loss_limit:g}"
            task = asyncio.get_running_loop().create_task(self.raise_alarm("daily_loss", reason))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return report

    async def _checkpoint(self) -> None:
        try:
            await asyncio.to_thread(self.journal.checkpoint)
        except Exception as exc:  # the inline fallback still bounds the WAL; say why this one failed
            log.warning("journal checkpoint failed: %s", exc)
        finally:
            self._checkpointing = False

    async def raise_alarm(self, kind: str, reason: str) -> None:
        """Tell every registered alarm (the kill switch) that ``kind`` happened."""
        log.error("%s: %s", kind, reason)
        for alarm in list(self.alarms):
            result = alarm(kind, reason)
            if asyncio.iscoroutine(result):
                await result

    async def _wait_token(self, venue: str) -> None:
        """Hedges reduce exposure, so they wait for the rate limit rather than being refused."""
        wait = self.buckets[venue].reserve(now_ms())
        if wait > 0:
            await asyncio.sleep(wait)

    # ------------------------------------------------------------------ rows, holds
    def _order_row(self, eid: str, plan: ExecutionPlan, role: str, side: Side) -> OrderRow:
        venue = plan.buy_exchange if side is Side.BUY else plan.sell_exchange
        price = plan.buy_price if side is Side.BUY else plan.sell_price
        at = now_ms()
        cid = client_order_id(venue, eid, role)
        role_name = {"b": "buy", "s": "sell"}.get(role, role)
        return OrderRow(cid, eid, role_name, venue, str(plan.symbol), side.value, price, plan.quantity,
                        None, "pending", 0.0, None, 0.0, "", at, at, None, at)  # fmt: skip

    def _hedge_row(
        self,
        eid: str,
        plan: ExecutionPlan,
        kind: ActionKind,
        venue: str,
        side: Side,
        quantity: float,
        rows: list[OrderRow],
        attempts: int,
    ) -> OrderRow:
        """A hedge IOC: completing trades near the short leg's plan price, unwinding near the filled leg's average;
        either way at most ``max_hedge_slippage_bps`` worse than that reference."""
        if kind is ActionKind.COMPLETE:
            reference = plan.sell_price if side is Side.SELL else plan.buy_price
        else:
            filled = [r for r in rows if r.exchange == venue and r.filled > 0 and r.average_price is not None]
            value = sum(r.filled * (r.average_price or 0.0) for r in filled)
            reference = value / sum(r.filled for r in filled)
        tick = plan.buy_tick if venue == plan.buy_exchange else plan.sell_tick
        price = collar_price(side, reference, self.config.max_hedge_slippage_bps, tick)
        quantity = _floor_step(quantity, plan.step)
        at = now_ms()
        cid = client_order_id(venue, eid, f"h{attempts + 1}")
        return OrderRow(cid, eid, f"hedge{attempts + 1}", venue, str(plan.symbol), side.value, price, quantity,
                        None, "pending", 0.0, None, 0.0, "", at, at, None, at)  # fmt: skip

    def _hold(self, eid: str, plan: ExecutionPlan) -> None:
        holds = [
            (plan.buy_exchange, str(plan.symbol.quote), plan.buy_notional * (1.0 + plan.buy_fee)),
            (plan.sell_exchange, str(plan.symbol.base), plan.quantity),
        ]
        for venue, asset, amount in holds:
            venue_holds = self._reserved.setdefault(venue, {})
            venue_holds[asset] = venue_holds.get(asset, 0.0) + amount
        self._holds[eid] = holds

    def _release(self, eid: str) -> None:
        for venue, asset, amount in self._holds.pop(eid, []):
            self._reserved[venue][asset] = max(self._reserved[venue].get(asset, 0.0) - amount, 0.0)

    # ------------------------------------------------------------------ resume
    async def resume(self) -> list[ExecutionReport]:
        """Finish every execution the journal holds open: never-sent ones end FLAT; sent orders are looked up by
        client id (never resent); then the policy carries on where it stopped (e.g. mid unwind)."""
        reports = []
        for row in self.journal.executions(open_only=True):
            plan = row.plan()
            state = ExecState(row.state)
            if state in (ExecState.PLANNED, ExecState.RESERVED):
                reports.append(self._close(row.id, ExecState.FLAT, "resumed: no order had been sent", []))
                continue
            timeout = self.config.leg_timeout_ms / 1000.0
            for order in self.journal.orders(row.id):
                if not order.is_final:
                    fee = plan.buy_fee if order.exchange == plan.buy_exchange else plan.sell_fee
                    await recover_order(self.backends[order.exchange], self.journal, order, plan.symbol, timeout, fee)
            legs = {o.role: o for o in self.journal.orders(row.id)}
            buy, sell = (_outcome(legs.get(r)) for r in ("buy", "sell"))
            self.journal.event("resume", f"execution {row.id} resumed from {state}")
            reports.append(await self._settle(row.id, plan, buy, sell))
        return reports

    def open_count(self) -> int:
        return len(self.journal.executions(open_only=True))


def _outcome(row: OrderRow | None) -> LegOutcome:
    if row is None:
        return LegOutcome.UNFILLED
    if row.status == "unknown":
        return LegOutcome.UNKNOWN
    return outcome_of(row.filled, row.quantity, rejected=row.status == "rejected")


def _floor_step(quantity: float, step: float) -> float:
    if step <= 0:
        return quantity
    return round(int(quantity / step + 1e-9) * step, 12)


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out
