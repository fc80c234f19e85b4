"""Pure accounting over an execution's journaled orders: what was bought and sold, and the realised P&L.

``realised_pnl`` is the quote cash flow of the fills actually received after fees; when an excess is left (a STUCK
execution) the excess is valued at its own average price, so the figure is the P&L of the matched quantity only.
"""

from __future__ import annotations

from collections.abc import Iterable

from arbkit.execution.journal import OrderRow

__all__ = ["bought_sold", "realised_pnl"]


def bought_sold(rows: Iterable[OrderRow]) -> tuple[float, float]:
    """Base quantity filled by buy orders and by sell orders."""
    bought = sold = 0.0
    for row in rows:
        if row.side == "buy":
            bought += row.filled
        else:
            sold += row.filled
    return bought, sold


def realised_pnl(rows: Iterable[OrderRow]) -> float:
    """Quote P&L after fees of the matched quantity (see the module docstring)."""
    rows = list(rows)
    spent = received = fees = 0.0
    bought, sold = bought_sold(rows)
    for row in rows:
        if row.filled <= 0 or row.average_price is None:
            continue
        value = row.filled * row.average_price
        if row.side == "buy":
            spent += value
        else:
            received += value
        fees += row.fee_quote
    net = bought - sold
    if net > 0 and bought > 0:
        received += net * spent / bought  # the unsold excess at what it cost
    elif net < 0 and sold > 0:
        spent += -net * received / sold  # the oversold excess at what it fetched
    return received - spent - fees
