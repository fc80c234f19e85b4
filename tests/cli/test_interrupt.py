"""Ctrl-C (SIGINT) stops every command cleanly with exit 130: no traceback, and what was done is kept."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
NOISE = ("Traceback", "Unclosed", "unclosed", "Task was destroyed", "never retrieved")


def _interrupt_after(marker: str, *args: str, cwd: Path = ROOT) -> tuple[int, str, str]:
    """Start ``arbkit ARGS``, wait for ``marker`` on stdout, send SIGINT, return (exit code, stdout, stderr)."""
    env = {**os.environ, "PYTHONWARNINGS": "default", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "arbkit", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    err_chunks: list[str] = []
    reader = threading.Thread(target=lambda: err_chunks.append(proc.stderr.read()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    out: list[str] = []
    try:
        for line in proc.stdout:  # type: ignore[union-attr]
            out.append(line)
            if marker in line:
                break
        else:
            pytest.fail(f"never printed {marker!r}: {''.join(out)}")
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(timeout=5)
    return proc.returncode, "".join(out) + rest, "".join(err_chunks)


def test_scan_interrupted_exits_130_with_a_summary() -> None:
    code, out, err = _interrupt_after("Recently closed", "scan", "--refresh", "0.3", "--symbols", "BTC/USDT")
    assert code == 130, err
    assert "arbkit scan interrupted after" in out and "opportunities: " in out
    assert not any(n in err for n in NOISE), err


def test_record_interrupted_exits_130_and_keeps_the_recording(tmp_path: Path) -> None:
    code, out, err = _interrupt_after("arbkit record |", "record", "--out", str(tmp_path), "--symbols", "BTC/USDT")
    assert code == 130, err
    assert "interrupted: recorded books=" in out
    (folder,) = tmp_path.iterdir()
    assert (folder / "recording.json").is_file()
    assert not any(n in err for n in NOISE), err


def test_venue_interrupted_exits_130() -> None:
    code, out, err = _interrupt_after("local venue running", "venue", "--exchanges", "binance")
    assert code == 130, err
    assert "binance: rest=http://127.0.0.1:" in out
    assert not any(n in err for n in NOISE), err


def test_sweep_interrupted_exits_130_and_keeps_finished_cells(tmp_path: Path) -> None:
    """A command run by a handler (sweep, and so compact, import, replay-trade): Ctrl-C is exit 130 too."""
    import time

    from tests.sweep.helpers import make_recording, write_base

    make_recording(tmp_path / "recs", "day1", books=30)
    write_base(tmp_path)
    (tmp_path / "grid.yaml").write_text(
        "arbitrage.min_profit_bps: [1, 2, 3, 4, 5, 6, 7, 8]\nseed: [0, 1, 2, 3, 4, 5]\n"
    )
    rows = tmp_path / "out.parquet.rows.jsonl"
    env = {**os.environ, "PYTHONWARNINGS": "default"}
    args = ["sweep", "--recordings", str(tmp_path / "recs"), "--grid", str(tmp_path / "grid.yaml")]
    args += ["--out", str(tmp_path / "out.parquet"), "--config", str(tmp_path / "config.yaml"), "--quiet"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "arbkit", *args, "--workers", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while not (rows.is_file() and rows.stat().st_size) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)  # the first finished cell's row is on disk
        assert proc.poll() is None, "the sweep ended before it could be interrupted"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert not any(n in err for n in NOISE), err
    import polars as pl

    kept = pl.read_parquet(tmp_path / "out.parquet")  # the row log is folded into the results on the way out
    assert 1 <= kept.height < 48, "the finished cells are kept, the rest never ran"
