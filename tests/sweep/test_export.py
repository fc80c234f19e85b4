"""The best cell exported as a config.yaml: loads back, validates, carries the cell's values, keeps ${VAR}s."""

from __future__ import annotations

from pathlib import Path

import pytest

from arbkit.config import load_config
from arbkit.errors import ConfigurationError
from arbkit.execution.config import execution_config
from arbkit.sweep import best_cells, cell_summary, export_best, sweep
from arbkit.sweep.overrides import validate_sections
from tests.sweep.helpers import crossings, make_recording, write_base

GRID = {"arbitrage.min_profit_bps": [1, 30], "execution.max_notional_per_leg": [100, 500]}


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    root = tmp_path_factory.mktemp("export")
    make_recording(root / "recs", "day1", rich_bps=20.0, books=9)
    make_recording(root / "recs", "day2", rich_bps=60.0, books=9)
    results = sweep(root / "recs", GRID, config=write_base(root), workers=0, cell_fn=crossings, progress=False)
    return root, results


def test_best_cell_is_written_as_a_config_that_validates(
    swept: tuple[Path, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, results = swept
    monkeypatch.setenv("BINANCE_API_KEY", "abcdefghijklmnop")
    monkeypatch.setenv("BINANCE_SECRET_KEY", "qrstuvwxyz012345")
    target = root / "best.yaml"
    params = export_best(results, root / "config.yaml", target)
    # the lower threshold trades both days and the larger notional earns more on each
    assert params == {"arbitrage.min_profit_bps": 1, "execution.max_notional_per_leg": 500}
    text = target.read_text()
    assert "${BINANCE_API_KEY:}" in text and "abcdefghijklmnop" not in text and "qrstuvwxyz012345" not in text
    config = load_config(target)
    validate_sections(config)
    assert execution_config(config).max_notional_per_leg == 500
    assert config.sections["arbitrage"]["arbitrage_pairs"][0]["min_profit_bps"] == 1
    assert config.exchanges["binance"].api_key == "abcdefghijklmnop"  # the reference still works when loaded


def test_summary_and_ranking(swept: tuple[Path, object]) -> None:
    _, results = swept
    summary = cell_summary(results)
    assert summary.height == 4 and summary["recordings"].to_list() == [2, 2, 2, 2]
    ranked = best_cells(results, n=4)
    assert ranked["pnl_quote"].to_list() == sorted(ranked["pnl_quote"].to_list(), reverse=True)
    worst = best_cells(results, by="pnl_quote", n=1, descending=False).row(0, named=True)
    assert worst["arbitrage.min_profit_bps"] == 30 and worst["execution.max_notional_per_leg"] == 100
    with pytest.raises(ValueError, match="by='nope': not a summary column"):
        best_cells(results, by="nope")


def test_nothing_to_export_is_one_line(swept: tuple[Path, object]) -> None:
    root, results = swept
    failed = results.with_columns(status=results["status"].str.replace("ok", "error"))
    with pytest.raises(ConfigurationError, match="^export_best: no cell finished on every recording"):
        export_best(failed, root / "config.yaml", root / "never.yaml")
    assert not (root / "never.yaml").exists()
