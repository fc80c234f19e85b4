"""Result rows of a sweep: one per (cell, recording), built from what the cell function returned, and their frames.

A row holds the cell (id, index, seed, parameters as columns named by their key path), the recording, a ``status``
(``ok`` or ``error``) with the ``error`` line, and the paper replay's figures. ``cell_summary`` folds the recordings
of each cell into one row; ``best_cells`` ranks them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec
import polars as pl

__all__ = ["METRICS", "best_cells", "cell_summary", "error_row", "param_columns", "result_row", "rows_frame"]

# What the cell function returns (ReplayTradeResult's fields) and their column types.
METRICS: dict[str, pl.DataType] = {
    "updates": pl.Int64(),
    "opportunities": pl.Int64(),
    "executions": pl.Int64(),
    "fill_ratio": pl.Float64(),
    "pnl_quote": pl.Float64(),
    "max_drawdown_quote": pl.Float64(),
    "stuck": pl.Int64(),
    "edge_predicted_quote": pl.Float64(),
    "edge_captured_quote": pl.Float64(),
}
_HEAD: dict[str, pl.DataType] = {
    "cell_id": pl.String(),
    "cell": pl.Int64(),
    "recording": pl.String(),
    "seed": pl.Int64(),
}
_TAIL: dict[str, pl.DataType] = {
    "status": pl.String(),
    "error": pl.String(),
    **METRICS,
    "edge_capture": pl.Float64(),
    "outcomes": pl.String(),
    "refusals": pl.String(),
    "equity": pl.List(pl.Struct({"ts": pl.Int64(), "pnl_quote": pl.Float64()})),
    "config_hash": pl.String(),
    "journal_path": pl.String(),
    "seconds": pl.Float64(),
    "params": pl.String(),
}
_FIXED = {**_HEAD, **_TAIL}


def _meta(cell_id: str, cell: int, recording: str, seed: int, params: Mapping[str, Any]) -> dict[str, Any]:
    return {"cell_id": cell_id, "cell": cell, "recording": recording, "seed": seed, "_params": dict(params)}


def result_row(
    result: Any, cell_id: str, cell: int, recording: str, seed: int, params: Mapping[str, Any], seconds: float
) -> dict[str, Any]:
    """The row of one finished cell: ``result`` is a ReplayTradeResult (or a mapping with its fields)."""
    data = msgspec.to_builtins(result) if not isinstance(result, Mapping) else dict(result)
    missing = [k for k in METRICS if k not in data]
    if missing:
        raise TypeError(f"the cell function's result has no {', '.join(missing)}")
    row = _meta(cell_id, cell, recording, seed, params)
    row.update({k: data[k] for k in METRICS})
    predicted, captured = data["edge_predicted_quote"], data["edge_captured_quote"]
    row["edge_capture"] = captured / predicted if predicted else None
    row["outcomes"] = msgspec.json.encode(data.get("outcomes") or {}, order="sorted").decode()
    row["refusals"] = msgspec.json.encode(data.get("refusals") or {}, order="sorted").decode()
    row["equity"] = [{"ts": int(ts), "pnl_quote": float(v)} for ts, v in data.get("equity") or []]
    row["config_hash"] = data.get("config_hash")
    row["journal_path"] = data.get("journal_path")
    row.update(status="ok", error=None, seconds=seconds)
    return row


def error_row(
    reason: str, cell_id: str, cell: int, recording: str, seed: int, params: Mapping[str, Any], seconds: float
) -> dict[str, Any]:
    """The row of a cell that failed: its reason on one line, no figures."""
    row = _meta(cell_id, cell, recording, seed, params)
    row.update(status="error", error=" ".join(reason.split())[:500], seconds=seconds)
    return row


def rows_frame(rows: Iterable[Mapping[str, Any]]) -> pl.DataFrame:
    """Rows as one frame: fixed columns typed, each parameter a column named by its key path (numbers stay numbers,
    anything else is JSON text), in grid order."""
    rows = list(rows)
    keys: dict[str, None] = {}
    for row in rows:
        keys.update(dict.fromkeys(row["_params"]))
    columns: dict[str, pl.Series] = {
        name: pl.Series(name, [r.get(name) for r in rows], dtype=dtype) for name, dtype in _HEAD.items()
    }
    for key in keys:
        columns[key] = _param_series(key, [r["_params"].get(key) for r in rows])
    for name, dtype in _TAIL.items():
        if name == "params":
            values = [msgspec.json.encode(r["_params"], order="sorted").decode() for r in rows]
        else:
            values = [r.get(name) for r in rows]
        columns[name] = pl.Series(name, values, dtype=dtype)
    return pl.DataFrame(list(columns.values())).sort("cell", "recording")


def frame_rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """A results frame back into rows (to merge a previous run's results with new ones)."""
    out = []
    for row in frame.select(c for c in _FIXED if c in frame.columns).to_dicts():
        row["_params"] = msgspec.json.decode(row.pop("params") or "{}")
        out.append(row)
    return out


def param_columns(results: pl.DataFrame) -> list[str]:
    """The parameter columns of a results frame (the grid's key paths), in grid order."""
    return [c for c in results.columns if c not in _FIXED]


def cell_summary(results: pl.DataFrame) -> pl.DataFrame:
    """One row per cell over its recordings: totals of P&L, executions and STUCK, the worst drawdown, the fill ratio
    and edge capture weighted by executions, and how many recordings failed."""
    params = param_columns(results)
    ok = pl.col("status") == "ok"
    return (
        results.group_by("cell_id", maintain_order=True)
        .agg(
            pl.col("cell").first(),
            pl.col("seed").first(),
            *(pl.col(p).first() for p in params),
            pl.col("params").first(),
            recordings=pl.len(),
            errors=(~ok).sum(),
            executions=pl.col("executions").filter(ok).sum(),
            pnl_quote=pl.col("pnl_quote").filter(ok).sum(),
            max_drawdown_quote=pl.col("max_drawdown_quote").filter(ok).max(),
            stuck=pl.col("stuck").filter(ok).sum(),
            fill_ratio=_weighted("fill_ratio"),
            edge_predicted_quote=pl.col("edge_predicted_quote").filter(ok).sum(),
            edge_captured_quote=pl.col("edge_captured_quote").filter(ok).sum(),
        )
        .with_columns(
            edge_capture=pl.when(pl.col("edge_predicted_quote") != 0).then(
                pl.col("edge_captured_quote") / pl.col("edge_predicted_quote")
            )
        )
        .sort("cell")
    )


def _weighted(column: str) -> pl.Expr:
    ok = pl.col("status") == "ok"
    weights = pl.col("executions").filter(ok)
    total = weights.sum()
    return pl.when(total > 0).then((pl.col(column).filter(ok) * weights).sum() / total)


def best_cells(results: pl.DataFrame, by: str = "pnl_quote", n: int = 5, descending: bool = True) -> pl.DataFrame:
    """The ``n`` best cells by a ``cell_summary`` column, ignoring cells with a failed recording (ties: grid order)."""
    summary = cell_summary(results)
    if by not in summary.columns:
        raise ValueError(f"by={by!r}: not a summary column (one of {', '.join(summary.columns)})")
    ranked = summary.filter(pl.col("errors") == 0, pl.col(by).is_not_null())
    ranked = ranked.with_columns(_key=pl.col(by).fill_nan(-math.inf if descending else math.inf))
    return ranked.sort(["_key", "cell"], descending=[descending, False]).head(n).drop("_key")


def _param_series(name: str, values: list[Any]) -> pl.Series:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return pl.Series(name, values, dtype=pl.Boolean())
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pl.Series(name, values, dtype=pl.Int64())
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return pl.Series(name, [None if v is None else float(v) for v in values], dtype=pl.Float64())
    if all(isinstance(v, str) for v in present):
        return pl.Series(name, values, dtype=pl.String())
    encoded = [None if v is None else msgspec.json.encode(v, order="sorted").decode() for v in values]
    return pl.Series(name, encoded, dtype=pl.String())
