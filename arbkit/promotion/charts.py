"""The calibration chart: the dry run against the live run it promoted, per venue (fill ratio, slippage, leg
latency), from ``compare_runs``'s frame; styled like the research and execution charts."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from arbkit.research.charts import _style

__all__ = ["calibration_chart"]

_PANELS = (("fill_ratio", "fill ratio"), ("slippage_bps", "slippage (bps, + = worse)"), ("latency_ms", "latency (ms)"))
_RUNS = (("dry", "dry run", "#1f77b4"), ("live", "live", "#ff7f0e"))


def calibration_chart(frame: pl.DataFrame) -> go.Figure:
    """Grouped bars per venue, dry run beside live, one panel per measure; a drifting venue is starred."""
    venues = [f"{v} *" if d else v for v, d in zip(frame["venue"], frame["drift"], strict=True)]
    fig = make_subplots(rows=1, cols=3, subplot_titles=[title for _, title in _PANELS])
    for col, (metric, _) in enumerate(_PANELS, start=1):
        for run, name, color in _RUNS:
            fig.add_trace(
                go.Bar(x=venues, y=frame[f"{run}_{metric}"], name=name, marker_color=color, showlegend=col == 1),
                row=1, col=col,
            )  # fmt: skip
    fig.update_layout(barmode="group")
    return _style(fig, "Paper vs live, per venue (* = drift beyond the promotion limits)", "", "")
