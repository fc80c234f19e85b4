"""End to end with the paper replay: a sweep's rows are replay_trade's results for each cell's config, the same on a
process pool as in-process, a broken recording fails its rows only, and latency costs P&L."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from arbkit.paper.replay_trade import replay_trade
from arbkit.sweep import cell_config, load_base, sweep
from tests.sweep.helpers import BASE_CONFIG, make_recording, write_base

GRID = {"arbitrage.min_profit_bps": [1, 30], "paper.latency_ms.gateio": [5, 400]}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("replay-sweep")
    # paper charges the venues' listed taker fees (binance 10 + gateio 20 bps), so the scanner assumes them too:
    # day1's 80 bps leave 50 after fees, day2's 45 leave 15 (above a 1 bps threshold, below 30)
    make_recording(root / "recs", "day1", rich_bps=80.0, books=9)
    make_recording(root / "recs", "day2", rich_bps=45.0, books=9)
    broken = root / "recs" / "day3"
    shutil.copytree(root / "recs" / "day1", broken)
    for part in broken.glob("books/**/*.parquet"):
        part.write_bytes(b"not parquet")
    write_base(
        root,
        "".join(
            line for line in BASE_CONFIG.splitlines(True) if "fee_overrides" not in line and "taker: 0.0002" not in line
        ),
    )
    return root


def test_rows_are_replay_trade_results_on_a_pool_as_inline(folder: Path) -> None:
    kwargs = {"config": folder / "config.yaml", "progress": False}
    pooled = sweep(folder / "recs", GRID, folder / "results.parquet", workers=2, **kwargs)
    inline = sweep(folder / "recs", GRID, workers=0, **kwargs)
    assert pooled.drop("seconds").equals(inline.drop("seconds"))
    assert pooled.height == 12
    failed = pooled.filter(pl.col("status") == "error")
    assert set(failed["recording"].str.split("/").list.last()) == {"day3"} and failed.height == 4
    assert all(e.startswith("ComputeError") or "parquet" in e.lower() for e in failed["error"])
    ok = pooled.filter(pl.col("status") == "ok")
    assert ok.height == 8 and ok["updates"].unique().to_list() == [18]
    # each row is what replay_trade gives for that cell's config, recording and seed
    base = load_base(folder / "config.yaml")
    for row in ok.iter_rows(named=True):
        _, config = cell_config(base, {k: row[k] for k in GRID})
        direct = replay_trade(row["recording"], config, seed=row["seed"])
        assert (row["executions"], row["pnl_quote"], row["config_hash"]) == (
            direct.executions, direct.pnl_quote, direct.config_hash,
        )  # fmt: skip
        assert [(p["ts"], p["pnl_quote"]) for p in row["equity"]] == [tuple(p) for p in direct.equity]


def test_latency_never_pays_and_a_high_threshold_skips_the_small_edge(folder: Path) -> None:
    results = pl.read_parquet(folder / "results.parquet").filter(pl.col("status") == "ok")
    day2 = results.filter(pl.col("recording").str.ends_with("day2"))
    assert day2.filter(pl.col("arbitrage.min_profit_bps") == 30)["executions"].to_list() == [0, 0]  # 15 bps < 30
    for (_, _), group in results.group_by("recording", "arbitrage.min_profit_bps"):
        fast = group.filter(pl.col("paper.latency_ms.gateio") == 5)["pnl_quote"].item()
        slow = group.filter(pl.col("paper.latency_ms.gateio") == 400)["pnl_quote"].item()
        assert slow <= fast
    assert results.filter(pl.col("paper.latency_ms.gateio") == 5, pl.col("executions") > 0)["pnl_quote"].min() > 0
