"""What ``arbkit run --live`` shows before real orders: the venues, symbols and execution limits it will trade
under, and the question asked on a terminal (``--yes`` answers it in scripts)."""

from __future__ import annotations

from typing import Any

__all__ = ["limits_lines"]


def limits_lines(exchanges: list[str], symbols: list[str], execution: Any) -> list[str]:
    """Human lines: where, what, and every limit of the ``execution:`` config in force."""
    e = execution
    lines = [
        f"venues: {', '.join(exchanges)}",
        f"symbols: {', '.join(symbols)}",
        f"max_notional_per_leg {e.max_notional_per_leg:g}; daily_loss_limit {e.daily_loss_limit:g}; "
        f"max_slippage_bps {e.max_slippage_bps:g}; max_hedge_slippage_bps {e.max_hedge_slippage_bps:g}; "
        f"hedge_attempts {e.hedge_attempts}; leg_timeout_ms {e.leg_timeout_ms}",
        "max_net_exposure " + ", ".join(f"{k} {v:g}" for k, v in sorted(e.max_net_exposure.items())),
        "max_orders_per_second " + ", ".join(f"{k} {v:g}" for k, v in sorted(e.max_orders_per_second.items())),
    ]
    for venue, bands in sorted(e.inventory.items()):
        text = ", ".join(f"{a} [{b.min:g}, {b.max:g}]" for a, b in sorted(bands.items()))
        lines.append(f"inventory {venue}: {text}")
    return lines
