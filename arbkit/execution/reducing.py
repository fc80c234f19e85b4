"""When trading enters and leaves REDUCING, and what it still allows: pure functions over balances, P&L and drops.

REDUCING is entered (from ACTIVE) while any trigger holds, and left (back to ACTIVE) once none does:
- an inventory band breached: an asset's holdings on a venue outside its ``execution.inventory`` band;
- realised loss today past ``reducing_loss_share`` of ``daily_loss_limit`` (left at the UTC day's rollover; the
  full limit halts);
- a private stream flapping: ``stream_flaps`` drops on one venue within ``stream_flap_window_s``.
While REDUCING, the risk gate refuses every new execution except one that rebalances inventory: it moves at least
one breached band's holdings toward its range and pushes no holdings out of (or further out of) a band. Hedges
and unwinds of open executions always go on. HALTED (the kill switch) is never left automatically.

API: ``band_breaches(balances, config)``, ``reducing_reasons(balances, daily_pnl, drops, now_s, config)``,
``band_moves(plan)``, ``rebalances(plan, balances, config)``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from arbkit.execution.config import ExecutionConfig, InventoryBand
from arbkit.execution.plan import ExecutionPlan
from arbkit.structs import AssetBalance

__all__ = ["band_breaches", "band_moves", "distance", "rebalances", "reducing_reasons"]

Balances = Mapping[str, Mapping[str, AssetBalance]]


def distance(holding: float, band: InventoryBand) -> float:
    """How far ``holding`` is outside ``band`` (0 inside)."""
    return max(band.min - holding, holding - band.max, 0.0)


def _holding(balances: Balances, venue: str, asset: str) -> float:
    balance = balances.get(venue, {}).get(asset)
    return 0.0 if balance is None else balance.total


def band_breaches(balances: Balances, config: ExecutionConfig) -> list[str]:
    """One line per configured band whose holdings are outside it."""
    out = []
    for venue, bands in config.inventory.items():
        for asset, band in bands.items():
            held = _holding(balances, venue, asset)
            if distance(held, band) > 0:
                high = "inf" if math.isinf(band.max) else f"{band.max:g}"
                out.append(f"{venue} {asset} holdings {held:.8g} outside [{band.min:g}, {high}]")
    return out


def reducing_reasons(
    balances: Balances,
    daily_pnl: float,
    drops: Mapping[str, Iterable[float]],
    now_s: float,
    config: ExecutionConfig,
) -> list[str]:
    """Every REDUCING trigger that holds now (empty: none). ``drops``: monotonic times of private-stream drops."""
    reasons = band_breaches(balances, config)
    threshold = config.reducing_loss_share * config.daily_loss_limit
    if daily_pnl < 0 and -daily_pnl >= threshold:
        reasons.append(
            f"daily P&L {daily_pnl:.6g} past {config.reducing_loss_share:g} of daily_loss_limit "
            f"{config.daily_loss_limit:g}"
        )
    if config.stream_flaps > 0:
        window = config.stream_flap_window_s
        for venue, times in drops.items():
            recent = sum(1 for t in times if now_s - t <= window)
            if recent >= config.stream_flaps:
                reasons.append(f"{venue} private stream dropped {recent} times in {window:g} s")
    return reasons


def band_moves(plan: ExecutionPlan) -> tuple[tuple[str, str, float], ...]:
    """(venue, asset, change) of holdings if both legs fill as planned (fees in quote)."""
    base, quote = str(plan.symbol.base), str(plan.symbol.quote)
    return (
        (plan.buy_exchange, base, plan.quantity),
        (plan.buy_exchange, quote, -plan.buy_notional * (1.0 + plan.buy_fee)),
        (plan.sell_exchange, base, -plan.quantity),
        (plan.sell_exchange, quote, plan.sell_notional * (1.0 - plan.sell_fee)),
    )


def rebalances(plan: ExecutionPlan, balances: Balances, config: ExecutionConfig) -> bool:
    """The plan brings at least one breached band closer to its range and no band's holdings further out."""
    closer = False
    for venue, asset, change in band_moves(plan):
        band = config.band(venue, asset)
        if band is None:
            continue
        held = _holding(balances, venue, asset)
        before, after = distance(held, band), distance(held + change, band)
        if after > before:
            return False
        closer = closer or after < before
    return closer
