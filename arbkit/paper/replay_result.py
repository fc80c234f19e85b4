"""What a paper replay of a recording produced, summarised from its journal (a picklable, frozen Struct).

Fill ratio: base quantity filled by the two legs over twice the planned quantity. Edge predicted: the plans'
expected profit. Edge captured: what the two legs alone realised on their matched quantity after fees (hedges and
unwinds excluded), so predicted - captured is the latency's toll and P&L - captured the hedging's.
"""

from __future__ import annotations

import msgspec

from arbkit.execution.journal import Journal, OrderRow
from arbkit.execution.machine import ExecState

__all__ = ["ReplayTradeResult", "summarise"]

LEGS = ("buy", "sell")


class ReplayTradeResult(msgspec.Struct, frozen=True):
    """One replay: counts, outcomes (state -> executions), refusals (reason -> count), P&L and its equity curve
    (recorded ms, cumulative realised P&L after each closed execution)."""

    recording: str
    config_hash: str
    updates: int
    opportunities: int
    executions: int
    outcomes: dict[str, int]
    refusals: dict[str, int]
    fill_ratio: float
    pnl_quote: float
    max_drawdown_quote: float
    stuck: int
    edge_predicted_quote: float
    edge_captured_quote: float
    equity: list[tuple[int, float]]
    journal_path: str | None

    def lines(self) -> list[str]:
        """The summary ``arbkit replay-trade`` prints."""
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items())) or "none"
        refusals = ", ".join(f"{k} {v}" for k, v in sorted(self.refusals.items())) or "none"
        return [
            f"recording {self.recording}: {self.updates} updates, {self.opportunities} opportunities",
            f"executions {self.executions} ({outcomes}); STUCK {self.stuck}; refused: {refusals}",
            f"P&L {self.pnl_quote:.6g} quote, max drawdown {self.max_drawdown_quote:.6g}, fill ratio "
            f"{self.fill_ratio:.3f}",
            f"edge captured {self.edge_captured_quote:.6g} of {self.edge_predicted_quote:.6g} predicted"
            + (f"; journal {self.journal_path}" if self.journal_path else ""),
        ]


def summarise(
    journal: Journal,
    *,
    recording: str,
    config_hash: str,
    updates: int,
    opportunities: int,
    refusals: dict[str, int],
    journal_path: str | None,
) -> ReplayTradeResult:
    """The result of a finished replay from its journal."""
    executions = journal.executions()
    orders: dict[str, list[OrderRow]] = {}
    for row in journal.orders():
        orders.setdefault(row.execution_id, []).append(row)
    outcomes: dict[str, int] = {}
    planned = filled = predicted = captured = 0.0
    closed: list[tuple[int, str, float]] = []
    for ex in executions:
        outcomes[ex.state] = outcomes.get(ex.state, 0) + 1
        rows = orders.get(ex.id, [])
        legs = [r for r in rows if r.role in LEGS]
        planned += 2.0 * ex.planned_quantity
        filled += sum(r.filled for r in legs)
        predicted += ex.expected_profit
        captured += _matched_pnl(legs)
        if ex.closed_ms is not None:
            closed.append((ex.closed_ms, ex.id, ex.pnl_quote or 0.0))
    equity: list[tuple[int, float]] = []
    total = peak = drawdown = 0.0
    for at, _, pnl in sorted(closed):
        total += pnl
        peak = max(peak, total)
        drawdown = max(drawdown, peak - total)
        equity.append((at, total))
    return ReplayTradeResult(
        recording=recording, config_hash=config_hash, updates=updates, opportunities=opportunities,
        executions=len(executions), outcomes=outcomes, refusals=dict(sorted(refusals.items())),
        fill_ratio=filled / planned if planned > 0 else 0.0, pnl_quote=total, max_drawdown_quote=drawdown,
        stuck=outcomes.get(ExecState.STUCK.value, 0), edge_predicted_quote=predicted, edge_captured_quote=captured,
        equity=equity, journal_path=journal_path,
    )  # fmt: skip


def _matched_pnl(legs: list[OrderRow]) -> float:
    """The two legs' P&L on the quantity both filled (fees pro rata), without the excess one of them left."""
    buy = next((r for r in legs if r.side == "buy"), None)
    sell = next((r for r in legs if r.side == "sell"), None)
    if buy is None or sell is None or buy.average_price is None or sell.average_price is None:
        return 0.0
    matched = min(buy.filled, sell.filled)
    if matched <= 0:
        return 0.0
    fees = buy.fee_quote * matched / buy.filled + sell.fee_quote * matched / sell.filled
    return matched * (sell.average_price - buy.average_price) - fees
