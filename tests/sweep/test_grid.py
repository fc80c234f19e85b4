"""Grid files: key paths to value lists, seeds, every combination once, and one-line errors naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arbkit.errors import ConfigurationError
from arbkit.sweep import grid_cells, load_grid, parse_grid


def test_grid_file_expands_to_every_combination_with_seeds(tmp_path: Path) -> None:
    path = tmp_path / "grid.yaml"
    path.write_text("arbitrage.min_profit_bps: [0, 5]\nexecution.leg_timeout_ms: [300, 2000, 5000]\nseed: [0, 1]\n")
    grid = load_grid(path)
    cells = grid_cells(grid)
    assert grid.size == len(cells) == 12
    assert [c.index for c in cells] == list(range(12))
    assert cells[0].params == {"arbitrage.min_profit_bps": 0, "execution.leg_timeout_ms": 300} and cells[0].seed == 0
    assert cells[1].seed == 1 and cells[2].params["execution.leg_timeout_ms"] == 2000
    assert len({c.cell_id("base") for c in cells}) == 12
    assert cells[0].cell_id("base") != cells[0].cell_id("other base")  # a changed base config is a new cell


def test_a_scalar_is_a_one_value_axis() -> None:
    cells = grid_cells(parse_grid({"execution.max_notional_per_leg": 250, "paper.latency_ms.kraken": [20, 150]}))
    assert [c.params for c in cells] == [
        {"execution.max_notional_per_leg": 250, "paper.latency_ms.kraken": 20},
        {"execution.max_notional_per_leg": 250, "paper.latency_ms.kraken": 150},
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a\n- b\n", "grid.yaml: expected a mapping of config key paths to lists of values"),
        (
            "min_profit_bps: [1]\n",
            "grid.yaml: min_profit_bps: expected a dotted key path into the config (section.key, e.g. arbitrage.min_profit_bps)",
        ),
        (
            "execution.leg_timeout_ms: []\n",
            "grid.yaml: execution.leg_timeout_ms: empty list of values (give at least one)",
        ),
        ("execution.leg_timeout_ms: [5, 5]\n", "grid.yaml: execution.leg_timeout_ms: a value is listed twice"),
        ("seed: [1, x]\n", "grid.yaml: seed: expected integers from 0 to 2**32-1, got 'x'"),
        ("a.b: [1]\na.b: [2]\n", "grid.yaml line 2: duplicated key 'a.b' (first at line 1)"),
    ],
)
def test_bad_grid_files_are_one_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "grid.yaml"
    path.write_text(text)
    with pytest.raises(ConfigurationError) as info:
        load_grid(path)
    assert str(info.value).replace(str(tmp_path) + "/", "") == message


def test_missing_grid_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="grid file not found"):
        load_grid(tmp_path / "nope.yaml")


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=4), st.integers(1, 3))
def test_cells_are_the_cartesian_product(sizes: list[int], seeds: int) -> None:
    raw = {f"s.k{i}": list(range(n)) for i, n in enumerate(sizes)} | {"seed": list(range(seeds))}
    cells = grid_cells(parse_grid(raw))
    expected = seeds
    for n in sizes:
        expected *= n
    assert len(cells) == expected
    assert len({(tuple(c.params.items()), c.seed) for c in cells}) == expected
