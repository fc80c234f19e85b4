"""Sweep charts: a P&L heatmap over two parameters, equity of the best cells, P&L against latency."""

from __future__ import annotations

import polars as pl
import pytest

from arbkit.sweep import equity_chart, latency_sensitivity, pnl_heatmap, sweep
from tests.sweep.helpers import crossings, make_recording, write_base


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    root = tmp_path_factory.mktemp("charts")
    rec = make_recording(root, "day1", rich_bps=40.0, books=9)
    grid = {"arbitrage.min_profit_bps": [1, 20, 50], "execution.max_notional_per_leg": [100, 500]}
    return sweep(rec, grid, config=write_base(root), workers=0, cell_fn=crossings, progress=False)


def test_heatmap_has_one_cell_per_parameter_pair(results: pl.DataFrame) -> None:
    fig = pnl_heatmap(results)
    heat = fig.data[0]
    assert list(heat.x) == ["1", "20", "50"] and list(heat.y) == ["100", "500"]
    summary = results.filter(pl.col("arbitrage.min_profit_bps") == 1, pl.col("execution.max_notional_per_leg") == 500)
    assert heat.z[1][0] == pytest.approx(summary["pnl_quote"].item())
    assert heat.z[0][2] == 0.0  # 40 bps rich less 4 bps of fees never clears 50 bps
    assert "min_profit_bps" in fig.layout.title.text


def test_equity_of_the_best_cells(results: pl.DataFrame) -> None:
    fig = equity_chart(results, n=2)
    assert len(fig.data) == 2
    best = results.sort("pnl_quote", descending=True).row(0, named=True)
    assert fig.data[0].y[-1] == pytest.approx(best["pnl_quote"])
    assert fig.data[0].name.startswith(f"cell {best['cell']} (")


def test_latency_sensitivity_needs_a_latency_key(results: pl.DataFrame) -> None:
    with pytest.raises(ValueError, match="no latency parameter"):
        latency_sensitivity(results)
    fig = latency_sensitivity(results, key="arbitrage.min_profit_bps")
    assert len(fig.data) == 3  # one line per notional, and the mean
    assert list(fig.data[-1].x) == [1, 20, 50] and fig.data[-1].name == "mean"
