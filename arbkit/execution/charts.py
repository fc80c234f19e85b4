"""Charts of the journal frames: realised P&L over time, leg latency per venue, slippage against the plan.

API: ``pnl_chart(executions)``, ``latency_chart(orders)``, ``slippage_chart(orders)``; each takes the frame from
``arbkit.execution.frames`` and returns a plotly Figure (styled like the research charts).
"""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from arbkit.research.charts import _colors, _style, _utc

__all__ = ["latency_chart", "pnl_chart", "slippage_chart"]


def pnl_chart(executions: pl.DataFrame) -> go.Figure:
    """Cumulative realised P&L (quote, after fees) at each execution's close, marked by outcome."""
    done = _utc(executions.filter(pl.col("closed").is_not_null()).sort("closed"), "closed")
    done = done.with_columns(pl.col("pnl_quote").fill_null(0.0).cum_sum().alias("cumulative"))
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=done["closed"], y=done["cumulative"], mode="lines", name="cumulative P&L",
                             line={"shape": "hv"}))  # fmt: skip
    for state, color in (("hedged", "#2ca02c"), ("flat", "#7f7f7f"), ("stuck", "#d62728")):
        part = done.filter(pl.col("state") == state)
        if part.height:
            fig.add_trace(go.Scatter(x=part["closed"], y=part["cumulative"], mode="markers", name=state,
                                     marker={"color": color, "size": 9}, text=part["reason"]))  # fmt: skip
    return _style(fig, "Realised P&L after fees", "time (UTC)", "quote")


def latency_chart(orders: pl.DataFrame) -> go.Figure:
    """Leg latency (sent to acknowledged, ms) per venue, one box per exchange."""
    sent = orders.filter(pl.col("latency_ms").is_not_null())
    colors = _colors(sent["exchange"].to_list())
    fig = go.Figure()
    for name in sorted(colors):
        part = sent.filter(pl.col("exchange") == name)
        fig.add_trace(go.Box(y=part["latency_ms"], name=name, marker_color=colors[name], boxpoints="all"))
    return _style(fig, "Leg latency: sent to acknowledged", "exchange", "ms")


def slippage_chart(orders: pl.DataFrame) -> go.Figure:
    """Each filled leg's average price against its planned VWAP, in bps (positive = worse than planned)."""
    legs = _utc(orders.filter(pl.col("slippage_bps").is_not_null()).sort("updated"), "updated")
    colors = _colors(legs["exchange"].to_list())
    fig = go.Figure()
    for name in sorted(colors):
        part = legs.filter(pl.col("exchange") == name)
        fig.add_trace(go.Scatter(x=part["updated"], y=part["slippage_bps"], mode="markers", name=name,
                                 marker={"color": colors[name], "size": 9}, text=part["role"]))  # fmt: skip
    fig.add_hline(y=0.0, line_dash="dot")
    return _style(fig, "Slippage against the plan", "time (UTC)", "bps (positive = worse)")
