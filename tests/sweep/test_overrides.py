"""A cell's config: the base with its key paths set, re-validated by each layer's parser; errors name grid, cell, key."""

from __future__ import annotations

from pathlib import Path

import pytest

from arbkit.errors import ConfigurationError
from arbkit.execution.config import execution_config
from arbkit.sweep import apply_overrides, cell_config, load_base, plan_tasks
from tests.sweep.helpers import crossings, make_recording, write_base


def test_key_paths_set_values_anywhere_in_the_config(tmp_path: Path) -> None:
    base = load_base(write_base(tmp_path))
    raw, config = cell_config(
        base,
        {
            "arbitrage.min_profit_bps": 7.5,
            "arbitrage.arbitrage_pairs.btc_usdt.max_notional": 900,
            "arbitrage.fee_overrides.gateio.taker": 0.001,
            "execution.leg_timeout_ms": 300,
            "execution.inventory.binance.BTC": {"min": 0.0, "max": 2.0},
        },
    )
    pair = config.sections["arbitrage"]["arbitrage_pairs"][0]
    assert pair["min_profit_bps"] == 7.5 and pair["max_notional"] == 900
    assert execution_config(config).leg_timeout_ms == 300
    assert execution_config(config).band("binance", "BTC").max == 2.0
    assert base.raw["execution"]["leg_timeout_ms"] == 2000  # the base is not touched
    assert raw["exchanges"]["binance"]["api_key"] == "${BINANCE_API_KEY:}"  # references stay references


def test_list_entries_by_index() -> None:
    raw = {"arbitrage": {"arbitrage_pairs": [{"id": "a", "min_profit_bps": 1}, {"id": "b", "min_profit_bps": 1}]}}
    out = apply_overrides(raw, {"arbitrage.arbitrage_pairs[1].min_profit_bps": 9})
    assert [p["min_profit_bps"] for p in out["arbitrage"]["arbitrage_pairs"]] == [1, 9]
    with pytest.raises(ConfigurationError, match=r"index \[5\] is out of range \(the list has 2 entries\)"):
        apply_overrides(raw, {"arbitrage.arbitrage_pairs[5].min_profit_bps": 9})
    with pytest.raises(ConfigurationError, match="no list entry with id 'zzz' \\(ids: a, b\\)"):
        apply_overrides(raw, {"arbitrage.arbitrage_pairs.zzz.min_profit_bps": 9})


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        (
            {"execution.leg_timeout_ms": [2000, 10]},
            "<grid>: cell 1 (execution.leg_timeout_ms=10, seed=0): execution.leg_timeout_ms: expected an integer between 50 and 120000, got 10",
        ),
        (
            {"execution.max_notionl": [5]},
            "<grid>: cell 0 (execution.max_notionl=5, seed=0): execution.max_notionl: unknown key (known: ",
        ),
        (
            {"arbitrage.min_profit_bps": ["x"]},
            "<grid>: cell 0 (arbitrage.min_profit_bps='x', seed=0): arbitrage.arbitrage_pairs[0].min_profit_bps",
        ),
        ({"nosuch.key": [1]}, "<grid>: cell 0 (nosuch.key=1, seed=0): nosuch: unknown section"),
        (
            {"paper.latency_ms.gateio": [20, -5]},
            "<grid>: cell 1 (paper.latency_ms.gateio=-5, seed=0): paper.latency_ms.gateio: expected a number between 0 and 60000, got -5",
        ),
        (
            {"execution.leg_timeout_ms.x": [1]},
            "execution.leg_timeout_ms.x: cannot descend into 'x': the value there is int",
        ),
    ],
)
def test_a_bad_cell_is_refused_before_anything_runs(tmp_path: Path, grid: dict, message: str) -> None:
    base = write_base(tmp_path)
    rec = make_recording(tmp_path, "r1", books=4)
    with pytest.raises(ConfigurationError) as info:
        plan_tasks(rec, grid, base, crossings)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_tasks_carry_no_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BINANCE_API_KEY", "abcdefghijklmnop")
    monkeypatch.setenv("BINANCE_SECRET_KEY", "qrstuvwxyz012345")
    rec = make_recording(tmp_path, "r1", books=4)
    tasks = plan_tasks(rec, {"execution.leg_timeout_ms": [500]}, write_base(tmp_path), crossings)
    entry = tasks[0].config.exchanges["binance"]
    assert entry.api_key is None and entry.secret_key is None
