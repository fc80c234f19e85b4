"""The runner: one row per (cell, recording), the same rows inline and on a process pool, a failing cell reported
without losing the others, rows kept on disk as they finish, and a re-run skipping what finished."""

from __future__ import annotations

from pathlib import Path

import msgspec
import polars as pl
import pytest

from arbkit.sweep import find_recordings, sweep
from arbkit.sweep.store import ResultStore
from tests.sweep.helpers import crossings, crossings_failing_at_300, make_recording, write_base

GRID = {"arbitrage.min_profit_bps": [1, 30], "execution.leg_timeout_ms": [300, 2000]}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sweep")
    make_recording(root / "recs", "day1", rich_bps=60.0, books=12)
    make_recording(root / "recs", "day2", rich_bps=20.0, books=12)
    write_base(root)
    return root


def _comparable(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.drop("seconds").sort("cell", "recording")


def test_rows_per_cell_and_recording_with_params_as_columns(folder: Path) -> None:
    results = sweep(folder / "recs", GRID, config=folder / "config.yaml", workers=0, cell_fn=crossings, progress=False)
    assert results.height == 8
    assert results.columns[:6] == ["cell_id", "cell", "recording", "seed", *GRID]
    assert results["status"].to_list() == ["ok"] * 8
    assert results["arbitrage.min_profit_bps"].dtype == pl.Int64
    day1 = results.filter(pl.col("recording").str.ends_with("day1"))
    # 60 bps rich less 4 bps of fees clears 1 and 30 bps; the same notional, so the same P&L for both timeouts
    assert day1["executions"].to_list() == [8, 8, 8, 8] and day1["pnl_quote"].min() > 0
    day2 = results.filter(pl.col("recording").str.ends_with("day2"))
    assert day2.filter(pl.col("arbitrage.min_profit_bps") == 30)["executions"].to_list() == [0, 0]  # 16 bps < 30
    assert results["edge_capture"].drop_nulls().round(6).unique().to_list() == [0.9]
    assert results["equity"].dtype == pl.List(pl.Struct({"ts": pl.Int64, "pnl_quote": pl.Float64}))


def test_process_pool_equals_inline_cell_for_cell(folder: Path) -> None:
    kwargs = {"config": folder / "config.yaml", "cell_fn": crossings_failing_at_300, "progress": False}
    inline = sweep(folder / "recs", GRID, workers=0, **kwargs)
    pooled = sweep(folder / "recs", GRID, workers=2, **kwargs)
    assert _comparable(pooled).equals(_comparable(inline))
    assert pooled.filter(pl.col("status") == "error").height == 4  # failures cross the process boundary as rows


def test_a_failing_cell_is_reported_and_the_others_kept(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "results.parquet"
    results = sweep(
        folder / "recs", GRID, out, config=folder / "config.yaml", workers=0, cell_fn=crossings_failing_at_300,
        progress=False,
    )  # fmt: skip
    failed = results.filter(pl.col("status") == "error")
    assert failed.height == 4 and set(failed["execution.leg_timeout_ms"]) == {300}
    assert set(failed["error"]) == {"RuntimeError: leg_timeout_ms=300 is where this cell breaks"}
    assert failed["pnl_quote"].null_count() == 4
    assert results.filter(pl.col("status") == "ok").height == 4
    assert pl.read_parquet(out).drop("seconds").equals(results.drop("seconds"))


def test_rerun_skips_finished_cells_and_retries_failed_ones(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "results.parquet"
    kwargs = {"config": folder / "config.yaml", "workers": 0, "progress": False}
    first = sweep(folder / "recs", GRID, out, cell_fn=crossings_failing_at_300, **kwargs)
    seconds = dict(zip(first["cell_id"] + first["recording"], first["seconds"], strict=True))
    second = sweep(folder / "recs", GRID, out, cell_fn=crossings, **kwargs)
    assert second.height == 8 and second["status"].to_list() == ["ok"] * 8
    for row in second.iter_rows(named=True):
        kept = row["seconds"] == seconds[row["cell_id"] + row["recording"]]
        assert kept == (row["execution.leg_timeout_ms"] != 300)  # finished rows untouched, failed ones re-run
    # a grid grown by one value runs only the new cells
    bigger = {**GRID, "arbitrage.min_profit_bps": [1, 30, 50]}
    third = sweep(folder / "recs", bigger, out, cell_fn=crossings_failing_at_300, **kwargs)
    failed = third.filter(pl.col("status") == "error")
    assert third.height == 12 and failed.height == 2  # only the new 300 ms cell ran (and broke), on both recordings
    assert set(failed["arbitrage.min_profit_bps"]) == {50} and set(failed["execution.leg_timeout_ms"]) == {300}
    assert not (tmp_path / "results.parquet.rows.jsonl").exists()


def test_rows_logged_before_a_crash_are_recovered(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "results.parquet"
    tasks_frame = sweep(
        folder / "recs", GRID, config=folder / "config.yaml", workers=0, cell_fn=crossings, progress=False
    )
    store = ResultStore(out, flush_seconds=3600)
    from arbkit.sweep.results import frame_rows

    rows = frame_rows(tasks_frame)
    for row in rows[:3]:
        store.add(row)
    assert not out.exists()  # not yet rewritten: only the log holds the rows (the process "dies" here)
    log = tmp_path / "results.parquet.rows.jsonl"
    log.write_bytes(log.read_bytes() + msgspec.json.encode(rows[3])[:40])  # a line cut short by the crash
    reopened = ResultStore(out)
    assert len(reopened.finished()) == 3 and out.exists()
    again = sweep(
        folder / "recs", GRID, out, config=folder / "config.yaml", workers=0, cell_fn=crossings, progress=False
    )
    assert _comparable(again).equals(_comparable(tasks_frame))


def test_recordings_from_a_folder_a_glob_or_one_recording(folder: Path) -> None:
    both = find_recordings(folder / "recs")
    assert [Path(p).name for p in both] == ["day1", "day2"]
    assert find_recordings(str(folder / "recs" / "day*")) == both
    assert find_recordings([folder / "recs" / "day2", folder / "recs"]) == [both[1], both[0]]


@pytest.mark.parametrize("name", ["nothing-here", "x*"])
def test_no_recording_is_one_line(folder: Path, name: str) -> None:
    from arbkit.errors import ConfigurationError

    (folder / "nothing-here").mkdir(exist_ok=True)
    with pytest.raises(
        ConfigurationError,
        match=r"^recordings: .* (holds no recording|matches nothing) \(a recording is a folder holding recording.json\)$",
    ):
        find_recordings(str(folder / name))


def test_by_day_each_day_partition_is_a_unit(tmp_path: Path) -> None:
    midnight = 1_700_006_400_000_000  # 2023-11-15 00:00:00 UTC, in us
    make_recording(tmp_path / "recs", "night", rich_bps=60.0, books=12, t0=midnight - 300_000)
    write_base(tmp_path)
    kwargs = {"config": tmp_path / "config.yaml", "workers": 0, "progress": False}
    whole = sweep(tmp_path / "recs", {"execution.leg_timeout_ms": [500]}, cell_fn=crossings, **kwargs)
    out = tmp_path / "days.parquet"
    days = sweep(tmp_path / "recs", {"execution.leg_timeout_ms": [500]}, out, by_day=True, **kwargs)  # replay_trade
    assert [r.rsplit("/", 1)[-1] for r in days["recording"]] == ["day-2023-11-14", "day-2023-11-15"]
    assert days["status"].to_list() == ["ok", "ok"]
    assert days["updates"].sum() == whole["updates"].item() == 24
    assert all(Path(r).parent.parent == tmp_path / "days.parquet.days" for r in days["recording"])
    again = sweep(tmp_path / "recs", {"execution.leg_timeout_ms": [500]}, out, by_day=True, **kwargs)
    assert again.drop("seconds").equals(days.drop("seconds"))
