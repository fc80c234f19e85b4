"""The pre-trade risk gate: a pure function from (plan, balances, exposure, limits, book health, state) to allow or
a reason code, in the shape of nautilus' RiskEngine: small ``_check_*`` functions that return a denial or None.

API: ``TradingState`` (ACTIVE / REDUCING / HALTED, the one state the executor consults), ``RiskReason``,
``RiskInputs``, ``RiskDecision``, ``check(plan, inputs, config) -> RiskDecision`` and ``TokenBucket`` (per venue).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from enum import StrEnum

import msgspec

from arbkit.execution.config import ExecutionConfig
from arbkit.execution.plan import ExecutionPlan
from arbkit.execution.reducing import band_moves, distance, rebalances
from arbkit.structs import AssetBalance, BookHealth, BookState, SymbolInfo

__all__ = ["RiskDecision", "RiskInputs", "RiskReason", "TokenBucket", "TradingState", "check"]


class TradingState(StrEnum):
    """ACTIVE trades; REDUCING allows only executions that rebalance a breached inventory band (see ``reducing``);
    HALTED refuses every new execution. Both let hedges and unwinds of open executions go on."""

    ACTIVE = "active"
    REDUCING = "reducing"
    HALTED = "halted"


class RiskReason(StrEnum):
    """Why the gate refused an execution (one per check)."""

    TRADING_HALTED = "trading_halted"
    TRADING_REDUCING = "trading_reducing"
    STUCK_EXECUTION = "stuck_execution"
    DAILY_LOSS = "daily_loss"
    COOLDOWN = "cooldown"
    BOOK_UNHEALTHY = "book_unhealthy"
    QUANTITY_STEP = "quantity_step"
    MIN_NOTIONAL = "min_notional"
    NOTIONAL_PER_LEG = "notional_per_leg"
    PRICE_COLLAR = "price_collar"
    FUNDS = "funds"
    NET_EXPOSURE = "net_exposure"
    INVENTORY_BAND = "inventory_band"
    RATE_LIMIT = "rate_limit"


class RiskDecision(msgspec.Struct, frozen=True):
    """``allowed``, or the reason code and a one-line detail naming venue, asset and numbers."""

    allowed: bool
    reason: RiskReason | None = None
    detail: str = ""


ALLOW = RiskDecision(True)


class RiskInputs(msgspec.Struct, kw_only=True):
    """Everything the gate looks at, gathered by the executor at decision time."""

    state: TradingState
    now_ms: int
    buy_info: SymbolInfo
    sell_info: SymbolInfo
    balances: dict[str, dict[str, AssetBalance]]  # venue -> asset -> balance
    reserved: dict[str, dict[str, float]] = msgspec.field(default_factory=dict)  # in flight, venue -> asset
    exposure: dict[str, float] = msgspec.field(default_factory=dict)  # asset -> net base quantity, all venues
    mids: dict[str, float] = msgspec.field(default_factory=dict)  # venue -> mid of the plan's symbol
    health: dict[str, BookHealth | None] = msgspec.field(default_factory=dict)
    tokens: dict[str, float] = msgspec.field(default_factory=dict)  # venue -> order tokens available now
    daily_pnl: float = 0.0
    stuck_assets: frozenset[str] = frozenset()
    last_execution_ms: dict[str, int] = msgspec.field(default_factory=dict)  # pair id -> time of the last one


Check = Callable[[ExecutionPlan, RiskInputs, ExecutionConfig], RiskDecision | None]


def _deny(reason: RiskReason, detail: str) -> RiskDecision:
    return RiskDecision(False, reason, detail)


def _check_state(plan: ExecutionPlan, inp: RiskInputs, cfg: ExecutionConfig) -> RiskDecision | None:
    if inp.state is TradingState.HALTED:
        return _deny(RiskReason.TRADING_HALTED, "trading is halted: only orders that reduce exposure are sent")
    if inp.state is TradingState.REDUCING and not rebalances(plan, inp.balances, cfg):
        return _deny(RiskReason.TRADING_REDUCING, "trading is reducing: only executions that rebalance a breached band")
    return None


def _check_stuck(plan: ExecutionPlan, inp: RiskInputs, cfg: ExecutionConfig) -> RiskDecision | None:
    base = str(plan.symbol.base)
    if base in inp.stuck_assets:
        return _deny(RiskReason.STUCK_EXECUTION, f"{base}: halted by a STUCK execution")
    return None


def _check_daily_loss(plan: ExecutionPlan, inp: RiskInputs, cfg: ExecutionConfig) -> RiskDecision | None:
    if inp.daily_pnl < 0 and inp.daily_pnl <= -cfg.daily_loss_limit:
        return _deny(
            RiskReason.DAILY_LOSS, f"daily P&L {inp.daily_pnl:.6g} reached the loss limit {cfg.daily_loss_limit:g}"
        )
    return None


def _check_cooldown(plan: ExecutionPlan, inp: RiskInputs, cfg: ExecutionConfig) -> RiskDecision | None:
    last = inp.last_execution_ms.get(plan.pair_id)
    if last is not None and inp.now_ms - last < cfg.cooldown_ms:
        return _deny(
            RiskReason.COOLDOWN,
            f"{plan.pair_id}: last execution {inp.now_ms - last} ms ago (cooldown {cfg.cooldown_ms} ms)",
        )
    return None


def _check_books(plan: ExecutionPlan, inp: RiskInputs, cfg: ExecutionConfig) -> RiskDecision | None:
    for venue in (plan.buy_exchange, plan.sell_exchange):
        health = inp.health.get(venue)
        if health is None:
            return _deny(RiskReason.BOOK_UNHEALTHY, f"{venue} {plan.symbol}: no book health")
        if health.state is not BookState.LIVE or health.crossed:
            state = "crossed" if health.crossed else str(health.state)
            return _deny(RiskReason.BOOK_UNHEALTHY, f"{venue} {plan.symbol}: book is {state}")
        if health.age_ms is None or health.age_ms > cfg.max_book_age_ms:
            return _deny(
                RiskReason.BOOK_UNHEALTHY,
                f"{venue} {plan.symbol}: book age {health.age_ms} ms > {cfg.max_book_age_ms:g} ms",
            )
    return None


def _check_step(plan: ExecutionPlan, inp: RiskInputs, cfg: ExecutionConfig) -> RiskDecision | None:
    for info in (inp.buy_info, inp.sell_info):
        step = info.step_size
        if step > 0 and abs(plan.quantity / step - round(plan.quantity / step)) > 1e-6:
            return _deny(
                RiskReason.QUANTITY_STEP,
                f"{info.exchange} {plan.symbol}: quantity {plan.quantity:g} is not a multiple of step {step:g}",
            )
        if plan.quantity < info.min_quantity or plan.quantity <= 0:
            return _deny(
                RiskReason.QUANTITY_STEP,
                f"{info.exchange} {plan.symbol}: quantity {plan.quantity:g} below minimum {info.min_quantity:g}",
            )
    for info, price in ((inp.buy_info, plan.buy_price), (inp.sell_info, plan.sell_price)):
        if plan.quantity * price < info.min_notional:
            return _deny(
                RiskReason.MIN_NOTIONAL,
                f"{info.exchange} {plan.symbol}: notional {plan.quantity * price:.6g} "
                f"below minimum {info.min_notional:g}",
            )
    return None


def _check_notional(plan: ExecutionPlan, inp: RiskInputs, cfg: ExecutionConfig) -> RiskDecision | None:
    for venue, notional in ((plan.buy_exchange, plan.buy_notional), (plan.sell_exchange, plan.sell_notional)):
        if notional > cfg.max_notional_per_leg:
            return _deny(
                RiskReason.NOTIONAL_PER_LEG,
                f"{venue}: leg notional {notional:.6g} > max_notional_per_leg {cfg.max_notional_per_leg:g}",
            )
    return None


def _check_collar(plan: ExecutionPlan, inp: RiskInputs, cfg: ExecutionConfig) -> RiskDecision | None:
    for venue, price in ((plan.buy_exchange, plan.buy_price), (plan.sell_exchange, plan.sell_price)):
        others = [mid for name, mid in inp.mids.items() if name != venue and mid > 0]
        if not others:
            continue
        reference = sum(others) / len(others)
        off = abs(price - reference) / reference * 1e4
        if off > cfg.price_collar_bps:
            return _deny(
                RiskReason.PRICE_COLLAR,
                f"{venue}: price {price:g} is {off:.1f} bps from the other venues' mid {reference:.8g} "
                f"(collar {cfg.price_collar_bps:g} bps)",
            )
    return None


def _free(inp: RiskInputs, venue: str, asset: str) -> float:
    balance = inp.balances.get(venue, {}).get(asset)
    free = 0.0 if balance is None else balance.free
    return free - inp.reserved.get(venue, {}).get(asset, 0.0)


def _check_funds(plan: ExecutionPlan, inp: RiskInputs, cfg: ExecutionConfig) -> RiskDecision | None:
    base, quote = str(plan.symbol.base), str(plan.symbol.quote)
    cost = plan.buy_notional * (1.0 + plan.buy_fee)
    have = _free(inp, plan.buy_exchange, quote)
    if have < cost:
        return _deny(
            RiskReason.FUNDS, f"{plan.buy_exchange}: {quote} free {have:.8g} after reservations < {cost:.8g} needed"
        )
    have = _free(inp, plan.sell_exchange, base)
    if have < plan.quantity:
        return _deny(
            RiskReason.FUNDS,
            f"{plan.sell_exchange}: {base} free {have:.8g} after reservations < {plan.quantity:.8g} needed",
        )
    return None


def _check_exposure(plan: ExecutionPlan, inp: RiskInputs, cfg: ExecutionConfig) -> RiskDecision | None:
    base = str(plan.symbol.base)
    mids = [m for m in inp.mids.values() if m > 0]
    mid = sum(mids) / len(mids) if mids else plan.buy_price
    now = inp.exposure.get(base, 0.0)
    worst = max(abs(now + plan.quantity), abs(now - plan.quantity)) * mid  # one leg filling alone
    limit = cfg.exposure_limit(base)
    if worst > limit:
        return _deny(
            RiskReason.NET_EXPOSURE,
            f"{base}: net exposure could reach {worst:.6g} (quote) > max_net_exposure {limit:g}",
        )
    return None


def _check_bands(plan: ExecutionPlan, inp: RiskInputs, cfg: ExecutionConfig) -> RiskDecision | None:
    """Holdings must end inside their band, or (a band already breached) no further outside it than before."""
    for venue, asset, delta in band_moves(plan):
        band = cfg.band(venue, asset)
        if band is None:
            continue
        balance = inp.balances.get(venue, {}).get(asset)
        held = 0.0 if balance is None else balance.total
        after = held + delta
        if distance(after, band) > 0 and distance(after, band) >= distance(held, band):
            high = "inf" if math.isinf(band.max) else f"{band.max:g}"
            return _deny(
                RiskReason.INVENTORY_BAND,
                f"{venue} {asset}: holdings would be {after:.8g}, outside [{band.min:g}, {high}]",
            )
    return None


def _check_rate(plan: ExecutionPlan, inp: RiskInputs, cfg: ExecutionConfig) -> RiskDecision | None:
    for venue in (plan.buy_exchange, plan.sell_exchange):
        if inp.tokens.get(venue, 0.0) < 1.0:
            return _deny(RiskReason.RATE_LIMIT, f"{venue}: order rate limit {cfg.order_rate(venue):g}/s reached")
    return None


CHECKS: tuple[Check, ...] = (
    _check_state,
    _check_stuck,
    _check_daily_loss,
    _check_cooldown,
    _check_books,
    _check_step,
    _check_notional,
    _check_collar,
    _check_funds,
    _check_exposure,
    _check_bands,
    _check_rate,
)


def check(plan: ExecutionPlan, inputs: RiskInputs, config: ExecutionConfig) -> RiskDecision:
    """The first check that refuses, or ALLOW."""
    for one in CHECKS:
        denial = one(plan, inputs, config)
        if denial is not None:
            return denial
    return ALLOW


class TokenBucket:
    """Orders per second for one venue: ``rate`` tokens a second, at most ``max(rate, 1)`` banked."""

    def __init__(self, rate: float, now_ms: float) -> None:
        self.rate = rate
        self.capacity = max(rate, 1.0)
        self._tokens = self.capacity
        self._at = now_ms

    def available(self, now_ms: float) -> float:
        """Tokens available at ``now_ms`` (nothing is taken)."""
        return min(self.capacity, self._tokens + max(now_ms - self._at, 0.0) / 1000.0 * self.rate)

    def take(self, now_ms: float, n: float = 1.0) -> bool:
        """Take ``n`` tokens if there are that many; False (and nothing taken) otherwise."""
        tokens = self.available(now_ms)
        self._at = max(now_ms, self._at)
        if tokens < n:
            self._tokens = tokens
            return False
        self._tokens = tokens - n
        return True

    def reserve(self, now_ms: float) -> float:
        """Take one token even into debt; the seconds to wait before using it (0 when one was available)."""
        tokens = self.available(now_ms) - 1.0
        self._tokens, self._at = tokens, max(now_ms, self._at)
        return 0.0 if tokens >= 0 else -tokens / self.rate
