"""The journal as polars frames: executions, orders, fills and transitions; ``*_ms`` columns become
``Datetime("ms", "UTC")`` columns named without the suffix (``opened``, ``closed``, ``at``, ...).

API: ``executions_frame(journal)``, ``orders_frame(journal)``, ``fills_frame(journal)``,
``transitions_frame(journal)``, ``journal_frames(journal) -> dict[str, DataFrame]``; ``journal`` is a ``Journal``
or a path to a journal file. ``orders_frame`` adds ``latency_ms`` (sent to acknowledged) and ``slippage_bps``
(average fill price against the plan's VWAP for that leg, positive = worse than planned).
"""

from __future__ import annotations

import os
from typing import Any

import msgspec
import polars as pl

from arbkit.execution.journal import ExecutionRow, FillRow, Journal, OrderRow, TransitionRow

__all__ = ["executions_frame", "fills_frame", "journal_frames", "orders_frame", "transitions_frame"]

JournalLike = Journal | str | os.PathLike[str]


def _frame(rows: list[Any], row_type: type[msgspec.Struct]) -> pl.DataFrame:
    hints = {name: _dtype(row_type.__annotations__[name]) for name in row_type.__struct_fields__}
    data = {name: [getattr(r, name) for r in rows] for name in row_type.__struct_fields__}
    frame = pl.DataFrame(data, schema=hints)
    times = [c for c in frame.columns if c.endswith("_ms") and c not in ("latency_ms",)]
    return frame.with_columns(
        [pl.col(c).cast(pl.Datetime("ms", "UTC")).alias(c.removesuffix("_ms")) for c in times]
    ).drop(times)


def _dtype(hint: Any) -> pl.DataType:
    text = str(hint)
    if text.startswith("float"):
        return pl.Float64()
    if text.startswith("int"):
        return pl.Int64()
    return pl.String()


def _open(journal: JournalLike) -> tuple[Journal, bool]:
    if isinstance(journal, Journal):
        return journal, False
    return Journal(journal), True


def _read(journal: JournalLike, what: str) -> list[Any]:
    j, owned = _open(journal)
    try:
        return getattr(j, what)()
    finally:
        if owned:
            j.close()


def executions_frame(journal: JournalLike) -> pl.DataFrame:
    return _frame(_read(journal, "executions"), ExecutionRow)


def transitions_frame(journal: JournalLike) -> pl.DataFrame:
    return _frame(_read(journal, "transitions"), TransitionRow)


def fills_frame(journal: JournalLike) -> pl.DataFrame:
    return _frame(_read(journal, "fills"), FillRow)


def orders_frame(journal: JournalLike) -> pl.DataFrame:
    j, owned = _open(journal)
    try:
        orders = _frame(j.orders(), OrderRow)
        plans = _frame(j.executions(), ExecutionRow).select(pl.col("id").alias("execution_id"), "buy_vwap", "sell_vwap")
    finally:
        if owned:
            j.close()
    planned = pl.when(pl.col("side") == "buy").then(pl.col("buy_vwap")).otherwise(pl.col("sell_vwap"))
    sign = pl.when(pl.col("side") == "buy").then(1.0).otherwise(-1.0)
    return (
        orders.join(plans, on="execution_id", how="left")
        .with_columns(
            ((pl.col("acked") - pl.col("sent")).dt.total_milliseconds()).alias("latency_ms"),
            pl.when(pl.col("role").is_in(["buy", "sell"]) & (pl.col("filled") > 0))
            .then((pl.col("average_price") / planned - 1.0) * 1e4 * sign)
            .otherwise(None)
            .alias("slippage_bps"),
        )
        .drop("buy_vwap", "sell_vwap")
    )


def journal_frames(journal: JournalLike) -> dict[str, pl.DataFrame]:
    """All four frames at once."""
    return {
        "executions": executions_frame(journal),
        "orders": orders_frame(journal),
        "fills": fills_frame(journal),
        "transitions": transitions_frame(journal),
    }
