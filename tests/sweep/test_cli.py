"""``arbkit sweep``: rows appended to --out, a re-run skipping finished cells, bad input one line and exit 2."""

from __future__ import annotations

import builtins
from pathlib import Path

import polars as pl
import pytest

from arbkit.cli.main import main
from tests.sweep.helpers import make_recording, write_base


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    make_recording(tmp_path / "recs", "day1", books=6)
    write_base(tmp_path)
    return tmp_path


def _argv(folder: Path, grid: str, *extra: str) -> list[str]:
    (folder / "grid.yaml").write_text(grid)
    return [
        "sweep", "--recordings", str(folder / "recs"), "--grid", str(folder / "grid.yaml"),
        "--out", str(folder / "out.parquet"), "--config", str(folder / "config.yaml"), "--quiet", *extra,
    ]  # fmt: skip


def test_bad_grid_value_is_one_line_exit_2_before_anything_runs(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_argv(folder, "execution.leg_timeout_ms: [500, 1]\n", "--workers", "0")) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"arbkit: {folder}/grid.yaml: cell 1 (execution.leg_timeout_ms=1, seed=0): "
        "execution.leg_timeout_ms: expected an integer between 50 and 120000, got 1"
    ]
    assert not (folder / "out.parquet").exists()


def test_no_recordings_is_exit_2(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = _argv(folder, "execution.leg_timeout_ms: [500]\n")
    argv[2] = str(folder / "missing*")
    assert main(argv) == 2
    assert capsys.readouterr().err.startswith(f"arbkit: recordings: {folder}/missing* matches nothing")


def test_ray_without_the_extra_tells_the_pip_command(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real_import = builtins.__import__

    def no_ray(name: str, *args: object, **kwargs: object) -> object:
        if name == "ray" or name.startswith("ray."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    assert main(_argv(folder, "execution.leg_timeout_ms: [500]\n", "--ray", "auto")) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        'arbkit sweep: Ray is not installed; install the cluster extra: pip install "arbkit[cluster]"'
    ]


def test_out_that_is_not_results_is_refused(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (folder / "out.parquet").write_text("not parquet")
    assert main(_argv(folder, "execution.leg_timeout_ms: [500]\n", "--workers", "0")) == 2
    assert capsys.readouterr().err.strip() == f"arbkit: {folder}/out.parquet: not a sweep results file (ComputeError)"
    assert (folder / "out.parquet").read_text() == "not parquet"


def test_sweep_writes_rows_and_a_rerun_skips_them(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = _argv(folder, "arbitrage.min_profit_bps: [1, 30]\npaper.latency_ms.gateio: [5]\n", "--workers", "0")
    assert main(argv) == 0
    line = f"swept 2 cell(s) x 1 recording(s): 2 row(s), 0 failed -> {folder}/out.parquet"
    assert capsys.readouterr().out.strip() == line
    first = pl.read_parquet(folder / "out.parquet")
    assert first["status"].to_list() == ["ok", "ok"] and first["updates"].to_list() == [12, 12]
    assert main(argv) == 0  # nothing left to run: the same rows, untouched
    assert capsys.readouterr().out.strip() == line
    assert pl.read_parquet(folder / "out.parquet").equals(first)
