"""A sweep grid: dotted config key paths, each with the values to try, and optional seeds; every combination is a cell.

The grid file is YAML, one key path per line (``arbitrage.min_profit_bps: [0, 5, 10]``); a scalar is a one-value
axis. ``seed`` (a list of integers) repeats every cell per seed. A cell's id hashes its parameters, its seed and the
base config, so a re-run of the same sweep recognises the cells it already finished.
"""

from __future__ import annotations

import hashlib
import itertools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

from arbkit.config_yaml import decode, load_yaml
from arbkit.errors import ConfigurationError

__all__ = ["Cell", "Grid", "grid_cells", "load_grid", "parse_grid"]

SEED_KEY = "seed"
MAX_CELLS = 1_000_000  # a grid beyond this is a typo (a list where a range was meant), not a sweep


class Grid(msgspec.Struct, frozen=True):
    """The parsed grid: ``axes`` in file order as (key path, values), ``seeds`` to repeat every cell with."""

    source: str
    axes: tuple[tuple[str, tuple[Any, ...]], ...]
    seeds: tuple[int, ...] = (0,)

    @property
    def size(self) -> int:
        """How many cells the grid has (seeds included)."""
        n = len(self.seeds)
        for _, values in self.axes:
            n *= len(values)
        return n


class Cell(msgspec.Struct, frozen=True):
    """One combination: its index in the grid, its parameters (key path -> value) and its seed."""

    index: int
    params: dict[str, Any]
    seed: int

    def label(self) -> str:
        """``cell 3 (a.b=1, c=2, seed=0)``: how errors and progress name a cell."""
        shown = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"cell {self.index} ({shown}{', ' if shown else ''}seed={self.seed})"

    def cell_id(self, base_hash: str) -> str:
        """A stable id from the parameters, the seed and the base config's hash (resume matches on it)."""
        blob = msgspec.json.encode({"base": base_hash, "params": self.params, "seed": self.seed}, order="sorted")
        return hashlib.sha256(blob).hexdigest()[:16]


def load_grid(path: str | os.PathLike[str]) -> Grid:
    """Read and check a grid file; every problem is one line naming the file and the key."""
    file = Path(path)
    if not file.is_file():
        raise ConfigurationError(f"{file}: grid file not found")
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"{file}: cannot read ({exc.strerror or exc})") from None
    return parse_grid(load_yaml(decode(data, file.name), file.name), str(file))


def parse_grid(raw: Any, source: str = "<grid>") -> Grid:
    """A grid from its mapping (as read from YAML, or built in Python)."""
    if not isinstance(raw, Mapping) or not raw:
        raise ConfigurationError(f"{source}: expected a mapping of config key paths to lists of values")
    axes: list[tuple[str, tuple[Any, ...]]] = []
    seeds: tuple[int, ...] = (0,)
    for key, values in raw.items():
        if not isinstance(key, str) or not key.strip():
            raise ConfigurationError(
                f"{source}: {key!r}: expected a dotted config key path such as execution.leg_timeout_ms"
            )
        key = key.strip()
        listed = tuple(values) if isinstance(values, list) else (values,)
        if not listed:
            raise ConfigurationError(f"{source}: {key}: empty list of values (give at least one)")
        if key == SEED_KEY:
            seeds = _seeds(listed, source)
            continue
        if "." not in key:
            raise ConfigurationError(
                f"{source}: {key}: expected a dotted key path into the config (section.key, e.g. arbitrage.{key})"
            )
        if len(set(map(_canonical, listed))) != len(listed):
            raise ConfigurationError(f"{source}: {key}: a value is listed twice")
        axes.append((key, listed))
    grid = Grid(source=source, axes=tuple(axes), seeds=seeds)
    if grid.size > MAX_CELLS:
        raise ConfigurationError(f"{source}: {grid.size} cells is more than {MAX_CELLS}; split the sweep")
    return grid


def grid_cells(grid: Grid) -> list[Cell]:
    """Every combination, the last axis varying fastest, each repeated per seed."""
    keys = [k for k, _ in grid.axes]
    combos = itertools.product(*(values for _, values in grid.axes))
    cells: list[Cell] = []
    for combo in combos:
        for seed in grid.seeds:
            cells.append(Cell(index=len(cells), params=dict(zip(keys, combo, strict=True)), seed=seed))
    return cells


def _seeds(values: tuple[Any, ...], source: str) -> tuple[int, ...]:
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**32:
            raise ConfigurationError(f"{source}: seed: expected integers from 0 to 2**32-1, got {value!r}")
    if len(set(values)) != len(values):
        raise ConfigurationError(f"{source}: seed: a seed is listed twice")
    return tuple(values)


def _canonical(value: Any) -> bytes:
    return msgspec.json.encode(value, order="sorted")
