"""Parameter sweeps of paper trading: every cell of a grid of config values on every recording, on a process pool
or a Ray cluster, with result frames, charts and the best cell exported as a config. See docs/sweeps.md."""

from __future__ import annotations

from arbkit.sweep.charts import equity_chart, latency_sensitivity, pnl_heatmap
from arbkit.sweep.export import export_best, export_cell
from arbkit.sweep.grid import Cell, Grid, grid_cells, load_grid, parse_grid
from arbkit.sweep.overrides import BaseConfig, apply_overrides, cell_config, load_base
from arbkit.sweep.results import best_cells, cell_summary, param_columns
from arbkit.sweep.runner import plan_tasks, sweep
from arbkit.sweep.sources import find_recordings

__all__ = [
    "BaseConfig",
    "Cell",
    "Grid",
    "apply_overrides",
    "best_cells",
    "cell_config",
    "cell_summary",
    "equity_chart",
    "export_best",
    "export_cell",
    "find_recordings",
    "grid_cells",
    "latency_sensitivity",
    "load_base",
    "load_grid",
    "param_columns",
    "parse_grid",
    "plan_tasks",
    "pnl_heatmap",
    "sweep",
]
