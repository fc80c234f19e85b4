"""The command line as a user runs it: one-line errors with exit 2, and a short scan that exits cleanly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def _run(*args: str, cwd: Path = ROOT, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONWARNINGS": "default"}
    return subprocess.run(
        [sys.executable, "-m", "arbkit", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env
    )


def test_bad_config_prints_one_line_and_exits_2(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text(
        "exchanges:\n  binance:\n    api_key: ''\n    secret_key: ''\n    base_url: x\n    rate_limit_per_second: fast\n"
    )
    result = _run("scan", "--config", str(tmp_path / "config.yaml"))
    assert result.returncode == 2
    assert result.stderr.strip() == "arbkit: exchanges.binance.rate_limit_per_second: expected a number, got 'fast'"
    assert "Traceback" not in result.stderr


def test_missing_config_file(tmp_path: Path) -> None:
    result = _run("scan", "--config", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2 and "config file not found" in result.stderr and "Traceback" not in result.stderr


def test_bad_symbols_and_exchanges_are_usage_errors() -> None:
    bad_symbol = _run("scan", "--symbols", "BTCUSDT")
    assert bad_symbol.returncode == 2 and "symbol 'BTCUSDT': expected BASE/QUOTE" in bad_symbol.stderr
    bad_venue = _run("venue", "--exchanges", "bitfoo")
    assert bad_venue.returncode == 2 and "unknown exchange 'bitfoo'" in bad_venue.stderr


def test_scan_on_the_local_venue_runs_and_exits_cleanly() -> None:
    result = _run("scan", "--duration", "2", "--refresh", "0.5", "--symbols", "BTC/USDT")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "arbkit scan | local venue http://127.0.0.1:" in out
    assert (
        "BTC/USDT   binance" in out and "cross-exchange top of book" in out and "opportunities after taker fees" in out
    )
    assert "venues: 4 scanning" in out
    for noise in ("Traceback", "Unclosed", "unclosed", "Task was destroyed", "RuntimeWarning"):
        assert noise not in result.stderr, result.stderr
