"""``arbkit replay-trade``: a summary and exit 0 on a recording; bad input one line and exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from arbkit.cli.main import main
from arbkit.execution.journal import Journal
from tests.paper.recordings import config_text, moved_book


@pytest.fixture(scope="module")
def moved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return moved_book(tmp_path_factory.mktemp("cli") / "moved")


def _config(tmp_path: Path, text: str) -> str:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return str(path)


def test_replay_trade_prints_the_summary_and_keeps_the_journal(
    moved: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = tmp_path / "j.sqlite"
    cfg = _config(tmp_path, config_text("binance: 25\ngateio: 60"))
    assert main(["replay-trade", str(moved), "--config", cfg, "--seed", "2", "--journal", str(journal)]) == 0
    out = capsys.readouterr().out
    assert "executions 1 (hedged 1); STUCK 0" in out
    # 0.01649 BTC: the evaluator sizes within max_notional_per_leg (1000 quote, less 100 bps headroom) at 60000.5
    assert "P&L -1.09769" in out and "fill ratio 0.652" in out and f"journal {journal}" in out
    assert "edge captured 0.2926" in out and "of 0.965003 predicted" in out
    rows = Journal(journal)
    try:
        assert [r.state for r in rows.executions()] == ["hedged"]
    finally:
        rows.close()
    assert main(["replay-trade", str(moved), "--config", cfg, "--zero-latency"]) == 0
    assert "fill ratio 1.000" in capsys.readouterr().out


def test_without_a_config_it_says_what_it_uses(moved: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay-trade", str(moved)]) == 0
    out = capsys.readouterr().out
    assert "no --config" in out and "updates" in out


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing", "no such directory"),
        ("not-a-recording", "no recording.json"),
        ("no-config-file", "config file not found"),
        ("bad-yaml", "config.yaml"),
        ("bad-section", "execution.leg_timeout_ms"),
        ("journal-exists", "already exists"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    moved: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, message: str
) -> None:
    args = ["replay-trade", str(moved)]
    if case == "missing":
        args = ["replay-trade", str(tmp_path / "nothing")]
    elif case == "not-a-recording":
        (tmp_path / "plain").mkdir()
        args = ["replay-trade", str(tmp_path / "plain")]
    elif case == "no-config-file":
        args += ["--config", str(tmp_path / "absent.yaml")]
    elif case == "bad-yaml":
        args += ["--config", _config(tmp_path, "exchanges: [unclosed\n")]
    elif case == "bad-section":
        args += ["--config", _config(tmp_path, config_text(execution="leg_timeout_ms: -5"))]
    else:
        (tmp_path / "j.sqlite").write_bytes(b"taken")
        args += ["--journal", str(tmp_path / "j.sqlite")]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("arbkit") and message in err[0], err
