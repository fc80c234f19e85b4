"""What one execution intends: both legs' quantity and IOC limit prices, built from an evaluator Opportunity.

API: ``worst_prices(opportunity, asks, bids)`` (the deepest level each leg touches; swap for the evaluator's own
fields once it carries them), ``build_plan(opportunity, asks, bids, buy_info, sell_info, max_slippage_bps)``,
``collar_price(side, reference, bps, tick)``: a limit price ``bps`` beyond ``reference`` on the tick grid.
"""

from __future__ import annotations

import math
from decimal import Decimal

import msgspec

from arbkit.arbitrage.evaluate import Opportunity, common_step
from arbkit.structs import Level, Side, Symbol, SymbolInfo

__all__ = ["ExecutionPlan", "build_plan", "collar_price", "round_to_tick", "worst_prices"]


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
    buy = sell = None
    if qty == opportunity.quantity:
        buy = getattr(opportunity, "buy_worst_price", None)
        sell = getattr(opportunity, "sell_worst_price", None)
    return (_touched(asks, qty) if buy is None else float(buy)), (_touched(bids, qty) if sell is None else float(sell))


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
    max_notional: float | None = None,
) -> ExecutionPlan:
    """IOC limits at the worst price touched, widened by ``max_slippage_bps`` and kept on each venue's tick grid.
    The quantity is the evaluator's, capped (on the common step) so each leg's limit notional stays within
    ``max_notional``: by the evaluator's concavity a smaller size is still profitable."""
    step = common_step(buy_info.step_size, sell_info.step_size)
    quantity = opportunity.quantity
    if max_notional is not None:
        for _ in range(3):  # the cap moves the worst price, which moves the cap: settles in a step or two
            buy_worst, sell_worst = worst_prices(opportunity, asks, bids, quantity)
            limit = collar_price(Side.BUY, buy_worst, max_slippage_bps, buy_info.tick_size)
            top = max(limit, buy_worst, bids[0][0])  # the highest price either leg's notional is counted at
            if quantity * top <= max_notional:
                break
            quantity = _floor(max_notional / top, step)
    buy_worst, sell_worst = worst_prices(opportunity, asks, bids, quantity)
    buy_vwap, sell_vwap = opportunity.buy_vwap, opportunity.sell_vwap
    profit = opportunity.profit_quote
    if quantity != opportunity.quantity:  # capped: the plan's own VWAPs and profit at its size
        buy_vwap, sell_vwap = _vwap(asks, quantity), _vwap(bids, quantity)
        profit = quantity * (sell_vwap * (1.0 - opportunity.sell_fee) - buy_vwap * (1.0 + opportunity.buy_fee))
    buy_price = max(collar_price(Side.BUY, buy_worst, max_slippage_bps, buy_info.tick_size), buy_worst)
    sell_price = min(collar_price(Side.SELL, sell_worst, max_slippage_bps, sell_info.tick_size), sell_worst)
    return ExecutionPlan(
        pair_id=opportunity.pair_id,
        symbol=opportunity.symbol,
        buy_exchange=opportunity.buy_exchange,
        sell_exchange=opportunity.sell_exchange,
        quantity=quantity,
        buy_price=buy_price,
        sell_price=sell_price,
        buy_vwap=buy_vwap,
        sell_vwap=sell_vwap,
        buy_worst=buy_worst,
        sell_worst=sell_worst,
        buy_fee=opportunity.buy_fee,
        sell_fee=opportunity.sell_fee,
        expected_profit=profit,
        opportunity_ms=opportunity.timestamp_ms,
        buy_tick=buy_info.tick_size,
        sell_tick=sell_info.tick_size,
        step=step,
    )


def _vwap(levels: list[Level], quantity: float) -> float:
    value, left = 0.0, quantity
    for price, size in levels:
        take = min(size, left)
        value += price * take
        left -= take
        if left <= 1e-15:
            break
    return value / (quantity - max(left, 0.0)) if quantity > left else float(levels[0][0])


def _floor(quantity: float, step: float) -> float:
    if step <= 0:
        return quantity
    return round(math.floor(quantity / step + 1e-9) * step, 12)
