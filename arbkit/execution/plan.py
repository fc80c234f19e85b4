"""What one execution intends: both legs' quantity and IOC limit prices, built from an evaluator Opportunity.

API: ``worst_prices(opportunity, asks, bids)`` (the deepest level each leg touches; swap for the evaluator's own
fields once it carries them), ``build_plan(opportunity, asks, bids, buy_info, sell_info, max_slippage_bps)`` (the
evaluator's size, never changed), ``sized_for_execution(arbitrage, max_notional_per_leg, max_slippage_bps)`` (the
scanner's pairs capped so it sizes within what execution may send),
``collar_price(side, reference, bps, tick)``: a limit price ``bps`` beyond ``reference`` on the tick grid.
"""

from __future__ import annotations

import math
from decimal import Decimal

import msgspec

from arbkit.arbitrage.config import ArbitrageConfig
from arbkit.arbitrage.evaluate import Opportunity, common_step
from arbkit.structs import Level, Side, Symbol, SymbolInfo

__all__ = [
    "ExecutionPlan",
    "build_plan",
    "collar_price",
    "evaluator_cap",
    "round_to_tick",
    "sized_for_execution",
    "worst_prices",
]


class ExecutionPlan(msgspec.Struct, frozen=True, kw_only=True):
    """Buy ``quantity`` on ``buy_exchange`` at most at ``buy_price``; sell it on ``sell_exchange`` at least at
    ``sell_price``. VWAPs and the expected profit are the evaluator's, kept to measure slippage against the plan."""

    pair_id: str
    symbol: Symbol
    buy_exchange: str
    sell_exchange: str
    quantity: float
    buy_price: float
    sell_price: float
    buy_vwap: float
    sell_vwap: float
    buy_worst: float
    sell_worst: float
    buy_fee: float
    sell_fee: float
    expected_profit: float
    opportunity_ms: int
    buy_tick: float = 0.0
    sell_tick: float = 0.0
    step: float = 0.0  # the quantity step valid on both venues

    @property
    def buy_notional(self) -> float:
        return self.quantity * self.buy_price

    @property
    def sell_notional(self) -> float:
        return self.quantity * self.sell_price


def worst_prices(
    opportunity: Opportunity, asks: list[Level], bids: list[Level], quantity: float | None = None
) -> tuple[float, float]:
    """The deepest ask the buy leg touches and the deepest bid the sell leg touches for ``quantity`` (default:
    the opportunity's). At the evaluator's own size its ``buy_worst_price`` / ``sell_worst_price`` win when it
    carries them; otherwise the levels are walked."""
    qty = opportunity.quantity if quantity is None else quantity
    buy = sell = 0.0  # 0.0: an opportunity built without them (older recordings, hand-made ones)
    if qty == opportunity.quantity:
        buy, sell = opportunity.buy_worst_price, opportunity.sell_worst_price
    return (float(buy) if buy > 0 else _touched(asks, qty)), (float(sell) if sell > 0 else _touched(bids, qty))


def _touched(levels: list[Level], quantity: float) -> float:
    """Price of the deepest level that taking ``quantity`` reaches (the last level if the book is too thin)."""
    total = 0.0
    for price, size in levels:
        total += size
        if total >= quantity * (1.0 - 1e-12):
            return float(price)
    return float(levels[-1][0])


def _decimals(tick: float) -> int:
    return max(0, -int(Decimal(repr(tick)).normalize().as_tuple().exponent))


def round_to_tick(price: float, tick: float, up: bool) -> float:
    """``price`` on the tick grid, rounded up or down (a tiny tolerance keeps exact multiples where they are)."""
    if tick <= 0:
        return price
    units = price / tick
    eps = max(1e-9, abs(units) * 1e-13)  # float error grows with the number of ticks
    steps = math.ceil(units - eps) if up else math.floor(units + eps)
    return round(steps * tick, _decimals(tick))


def collar_price(side: Side, reference: float, bps: float, tick: float) -> float:
    """A buy may pay up to ``bps`` above ``reference``; a sell may accept down to ``bps`` below (inside the tick)."""
    if side is Side.BUY:
        return round_to_tick(reference * (1.0 + bps / 1e4), tick, up=False)
    return round_to_tick(reference * (1.0 - bps / 1e4), tick, up=True)


def build_plan(
    opportunity: Opportunity,
    asks: list[Level],
    bids: list[Level],
    buy_info: SymbolInfo,
    sell_info: SymbolInfo,
    max_slippage_bps: float,
) -> ExecutionPlan:
    """The evaluator's size as it is (never resized here: a plan the risk gate finds too large is refused with
    the reason), with IOC limits at the worst price touched, widened by ``max_slippage_bps`` on each tick grid."""
    step = common_step(buy_info.step_size, sell_info.step_size)
    buy_worst, sell_worst = worst_prices(opportunity, asks, bids)
    buy_price = max(collar_price(Side.BUY, buy_worst, max_slippage_bps, buy_info.tick_size), buy_worst)
    sell_price = min(collar_price(Side.SELL, sell_worst, max_slippage_bps, sell_info.tick_size), sell_worst)
    return ExecutionPlan(
        pair_id=opportunity.pair_id,
        symbol=opportunity.symbol,
        buy_exchange=opportunity.buy_exchange,
        sell_exchange=opportunity.sell_exchange,
        quantity=opportunity.quantity,
        buy_price=buy_price,
        sell_price=sell_price,
        buy_vwap=opportunity.buy_vwap,
        sell_vwap=opportunity.sell_vwap,
        buy_worst=buy_worst,
        sell_worst=sell_worst,
        buy_fee=opportunity.buy_fee,
        sell_fee=opportunity.sell_fee,
        expected_profit=opportunity.profit_quote,
        opportunity_ms=opportunity.timestamp_ms,
        buy_tick=buy_info.tick_size,
        sell_tick=sell_info.tick_size,
        step=step,
    )


def evaluator_cap(max_notional_per_leg: float, max_slippage_bps: float, edge_headroom_bps: float = 100.0) -> float:
    """The buy cost (at VWAP, before fees) the evaluator may size to so that both legs' limit notionals (the buy at
    up to ``max_slippage_bps`` over its worst price, the sell at its worst bid, above the buy by the edge) stay
    within ``max_notional_per_leg``: the cap shrunk by the collar and ``edge_headroom_bps`` of worst-vs-VWAP and
    edge. A plan that still exceeds it (a deeper walk or a wider edge) is refused, not resized."""
    return max_notional_per_leg / (1.0 + (max_slippage_bps + edge_headroom_bps) / 1e4)


def sized_for_execution(
    arbitrage: ArbitrageConfig, max_notional_per_leg: float, max_slippage_bps: float
) -> ArbitrageConfig:
    """``arbitrage`` with every pair's ``max_notional`` at most ``evaluator_cap``: the scanner then sizes its
    opportunities within what execution may send, so a plan is the evaluator's size (``execution.size_to_cap``)."""
    cap = evaluator_cap(max_notional_per_leg, max_slippage_bps)
    pairs = tuple(
        msgspec.structs.replace(p, max_notional=cap if p.max_notional is None else min(p.max_notional, cap))
        for p in arbitrage.arbitrage_pairs
    )
    return msgspec.structs.replace(arbitrage, arbitrage_pairs=pairs)
