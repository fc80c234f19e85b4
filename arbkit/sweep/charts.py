"""Plotly charts of a sweep's results: P&L over two parameters, equity of the best cells, P&L against latency.

Each takes the frame ``sweep()`` returns (one row per cell and recording) and returns a ``go.Figure`` in the house
style of ``arbkit.research.charts`` (title, unit-labelled axes, ``plotly_white``). P&L is in the quote currency.
"""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from arbkit.research.charts import _colors, _style
from arbkit.sweep.results import best_cells, cell_summary, param_columns

__all__ = ["equity_chart", "latency_sensitivity", "pnl_heatmap"]


def pnl_heatmap(
    results: pl.DataFrame, x: str | None = None, y: str | None = None, value: str = "pnl_quote"
) -> go.Figure:
    """Mean over the other parameters (and recordings summed per cell) of ``value``, on an ``x`` by ``y`` grid of
    two parameters (default: the grid's first two)."""
    x, y = _two_params(results, x, y)
    summary = cell_summary(results).filter(pl.col("errors") == 0)
    cells = summary.group_by(x, y).agg(pl.col(value).mean().alias("value"))
    xs = sorted(cells.get_column(x).unique().to_list())
    ys = sorted(cells.get_column(y).unique().to_list())
    lookup = {(r[x], r[y]): r["value"] for r in cells.iter_rows(named=True)}
    z = [[lookup.get((xv, yv)) for xv in xs] for yv in ys]
    text = [["" if v is None else f"{v:,.2f}" for v in row] for row in z]
    fig = go.Figure(
        go.Heatmap(
            x=[str(v) for v in xs],
            y=[str(v) for v in ys],
            z=z,
            text=text,
            texttemplate="%{text}",
            colorscale="RdYlGn",
            zmid=0,
            colorbar={"title": {"text": value}},
            hovertemplate=f"{x} %{{x}}<br>{y} %{{y}}<br>{value}: %{{text}}<extra></extra>",
        )
    )
    fig.update_xaxes(type="category")
    fig.update_yaxes(type="category")
    return _style(fig, f"Sweep · {value} over {x} and {y}", x, y)


def equity_chart(results: pl.DataFrame, n: int = 5, by: str = "pnl_quote") -> go.Figure:
    """Cumulative realised P&L through time of the ``n`` best cells by ``by``, one line per cell and recording."""
    best = best_cells(results, by=by, n=n)
    params = param_columns(results)
    names = {r["cell_id"]: _cell_name(r, params) for r in best.iter_rows(named=True)}
    colors = _colors(names.values())
    rows = results.filter(pl.col("cell_id").is_in(list(names)), pl.col("status") == "ok")
    fig = go.Figure()
    for row in rows.sort("cell", "recording").iter_rows(named=True):
        points = row["equity"] or []
        name = names[row["cell_id"]]
        times = pl.Series([p["ts"] for p in points], dtype=pl.Int64).cast(pl.Datetime("ms"))
        fig.add_trace(
            go.Scatter(
                x=times,
                y=[p["pnl_quote"] for p in points],
                mode="lines",
                line={"shape": "hv", "color": colors[name]},
                name=name,
                legendgroup=name,
                hovertemplate=f"{name}<br>%{{x}}<br>P&L %{{y:,.4f}}<extra></extra>",
            )
        )
    return _style(fig, f"Equity of the {len(names)} best cell(s) by {by}", "time (UTC)", "realised P&L (quote)")


def latency_sensitivity(results: pl.DataFrame, key: str | None = None, value: str = "pnl_quote") -> go.Figure:
    """``value`` against a latency parameter (default: the grid's first key with ``latency`` in it): one line per
    combination of the other parameters, and their mean."""
    params = param_columns(results)
    if key is None:
        key = next((p for p in params if "latency" in p), None)
        if key is None:
            raise ValueError("latency_sensitivity: the grid has no latency parameter; pass key=")
    if key not in params:
        raise ValueError(f"latency_sensitivity: {key!r} is not a parameter of this sweep ({', '.join(params)})")
    summary = cell_summary(results).filter(pl.col("errors") == 0)
    others = [p for p in params if p != key]
    fig = go.Figure()
    groups = summary.partition_by(others, maintain_order=True, as_dict=False) if others else []
    for group in groups:
        line = group.sort(key)
        first = line.row(0, named=True)
        fig.add_trace(
            go.Scatter(
                x=line.get_column(key).to_list(),
                y=line.get_column(value).to_list(),
                mode="lines+markers",
                line={"width": 1},
                opacity=0.45,
                name=", ".join(f"{p}={first[p]}" for p in others),
            )
        )
    mean = summary.group_by(key).agg(pl.col(value).mean()).sort(key)
    fig.add_trace(
        go.Scatter(
            x=mean.get_column(key).to_list(),
            y=mean.get_column(value).to_list(),
            mode="lines+markers",
            line={"width": 3, "color": "black"},
            name="mean",
        )
    )
    return _style(fig, f"Sensitivity of {value} to {key}", key, f"{value} (quote)")


def _two_params(results: pl.DataFrame, x: str | None, y: str | None) -> tuple[str, str]:
    params = param_columns(results)
    for name in (x, y):
        if name is not None and name not in params:
            raise ValueError(f"pnl_heatmap: {name!r} is not a parameter of this sweep ({', '.join(params)})")
    free = [p for p in params if p not in (x, y)]
    x = x or (free.pop(0) if free else None)
    y = y or (free.pop(0) if free else None)
    if x is None or y is None:
        raise ValueError("pnl_heatmap: needs a sweep over two parameters at least")
    return x, y


def _cell_name(row: dict[str, object], params: list[str]) -> str:
    shown = ", ".join(f"{p.rsplit('.', 1)[-1]}={row[p]}" for p in params)
    return f"cell {row['cell']}" + (f" ({shown})" if shown else "")
