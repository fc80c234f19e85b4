"""The command line as a user runs it: one-line errors with exit 2, help and version, a short scan that exits cleanly,
one recording folder per session, and a fast, clear give-up when the real exchanges cannot be reached."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from arbkit.cli.main import main

ROOT = Path(__file__).parents[2]
NOISE = ("Traceback", "Unclosed", "unclosed", "Task was destroyed", "RuntimeWarning", "never retrieved")


def _run(
    *args: str, cwd: Path = ROOT, timeout: float = 60, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONWARNINGS": "default", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "arbkit", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env
    )


def _main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the CLI in-process; argparse's usage errors become exit codes too. The logging setup is put back."""
    root = logging.getLogger()
    before = (root.level, list(root.handlers))
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    assert (root.level, root.handlers) == before, "the CLI left its logging set up"
    out, err = capsys.readouterr()
    return code, out, err


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_bad_config_prints_one_line_and_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "config.yaml").write_text(
        "exchanges:\n  binance:\n    api_key: ''\n    secret_key: ''\n    base_url: x\n    rate_limit_per_second: fast\n"
    )
    code, _, err = _main(capsys, "scan", "--config", str(tmp_path / "config.yaml"))
    assert code == 2
    assert _one_line(err) == "arbkit: exchanges.binance.rate_limit_per_second: expected a number, got 'fast'"


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("execution:\n  leg_timeout_ms: .inf\n", "execution.leg_timeout_ms: expected a finite number between 50 and"),
        ("paper:\n  seed: [1]\n", "paper.seed: expected an integer, got [1]"),
        ("promotion:\n  min_minutes: .nan\n", "promotion.min_minutes: expected a finite number"),
    ],
)
def test_run_refuses_a_bad_trading_section_in_one_line(
    section: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text((ROOT / "config.yaml").read_text() + section)
    code, _, err = _main(capsys, "run", "--dry-run", "--config", str(config), "--journal", str(tmp_path / "j.sqlite"))
    assert code == 2 and _one_line(err).startswith(f"arbkit: {message}"), err
    assert not (tmp_path / "j.sqlite").exists()  # refused before anything started


def test_run_journal_and_venue_that_cannot_work(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    for journal, problem in [
        (tmp_path, "is a directory; expected a journal file such as arbkit-journal.sqlite"),
        (notes, "is not an SQLite journal (refusing to write into another file)"),
        (tmp_path / "no" / "j.sqlite", f"the folder {tmp_path / 'no'} does not exist"),
    ]:
        code, _, err = _main(capsys, "run", "--dry-run", "--journal", str(journal), "--duration", "1")
        assert code == 2 and _one_line(err) == f"arbkit run: --journal {journal}: {problem}"
    assert notes.read_text() == "mine"
    code, _, err = _main(capsys, "run", "--venue", "notaurl", "--journal", str(tmp_path / "j.sqlite"))
    assert (
        code == 2 and _one_line(err) == "arbkit: --venue: expected a URL such as http://127.0.0.1:8700, got 'notaurl'"
    )
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    code, _, err = _main(capsys, "run", "--venue", f"http://127.0.0.1:{port}", "--journal", str(tmp_path / "j.sqlite"))
    assert code == 2 and _one_line(err) == (
        f"arbkit run: --venue http://127.0.0.1:{port}: cannot connect to 127.0.0.1:{port} (connection refused);"
        " start it with `arbkit venue` first"
    )


def test_missing_config_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _main(capsys, "scan", "--config", str(tmp_path / "nope.yaml"))
    assert code == 2 and "config file not found" in _one_line(err)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["scan", "--symbols", "BTCUSDT"], "symbol 'BTCUSDT': expected BASE/QUOTE"),
        (["venue", "--exchanges", "bitfoo"], "unknown exchange 'bitfoo'"),
        (["scan", "--duration", "0"], "--duration: expected a number of seconds above 0, got '0'"),
        (["scan", "--duration", "-3"], "--duration: expected a number of seconds above 0, got '-3'"),
        (["scan", "--refresh", "0"], "--refresh: expected a number of seconds above 0, got '0'"),
        (["scan", "--refresh", "nan"], "--refresh: expected a number of seconds above 0, got 'nan'"),
        (["record", "--duration", "inf"], "--duration: expected a number of seconds above 0, got 'inf'"),
        (["venue", "--interval", "0"], "--interval: expected a number of seconds above 0, got '0'"),
        (["record", "--depth", "0"], "--depth: expected a whole number of at least 1, got '0'"),
        (["venue", "--port", "99999"], "--port: expected a TCP port from 0 (any free one) to 65535, got '99999'"),
        (["--log-level", "loud", "scan"], "--log-level: expected DEBUG, INFO, WARNING or ERROR, got 'loud'"),
        (["run", "--symbols", "BTCUSDT"], "symbol 'BTCUSDT': expected BASE/QUOTE"),
        (["run", "--duration", "0"], "--duration: expected a number of seconds above 0, got '0'"),
        (["run", "--refresh", "0"], "--refresh: expected a number of seconds above 0, got '0'"),
    ],
)
def test_bad_arguments_are_one_line_usage_errors(
    args: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _main(capsys, *args)
    assert code == 2
    line = _one_line(err)
    assert expected in line and line.startswith("arbkit"), line


def test_record_out_that_cannot_be_created_or_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _main(capsys, "record", "--out", "/proc/forbidden", "--duration", "1")
    assert code == 2 and _one_line(err).startswith("arbkit: --out /proc/forbidden: cannot create a folder there")
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    code, _, err = _main(capsys, "record", "--out", str(a_file), "--duration", "1")
    assert code == 2 and _one_line(err) == f"arbkit: --out {a_file}: is a file; expected a directory for the recordings"
    assert a_file.read_text() == "mine"


def test_sweep_out_and_compact_sizes_that_cannot_work(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    grid = tmp_path / "grid.yaml"
    grid.write_text("arbitrage.min_profit_bps: [0, 5]\n")
    for out, problem in [
        (tmp_path, "is a directory; expected a results file such as results.parquet"),
        (tmp_path / "no" / "r.parquet", f"the folder {tmp_path / 'no'} does not exist"),
    ]:
        code, _, err = _main(capsys, "sweep", "--recordings", str(tmp_path), "--grid", str(grid), "--out", str(out))
        assert code == 2 and _one_line(err) == f"arbkit sweep: --out {out}: {problem}"
    for size in ("nan", "inf", "0"):
        code, _, err = _main(capsys, "compact", str(tmp_path), "--small-mb", size)
        assert code == 2 and _one_line(err).startswith("arbkit compact: --small-mb must be a number above 0, got ")


def test_venue_on_a_port_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _, err = _main(capsys, "venue", "--port", str(port))
    assert code == 2
    assert _one_line(err) == f"arbkit: --port {port}: cannot listen on 127.0.0.1:{port}: already in use"


def test_no_command_prints_help_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _main(capsys)
    assert code == 0 and out.startswith("usage: arbkit") and "scan" in out and "record" in out and "venue" in out
    code, out, _ = _main(capsys, "--version")
    assert code == 0 and out.strip().startswith("arbkit 0.")


@pytest.mark.parametrize("command", ["scan", "record", "venue", "run", "compact", "import", "replay-trade", "sweep"])
def test_each_command_has_a_description(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _main(capsys, command, "--help")
    body = out.split("\n\n")[1]  # usage, blank line, description
    assert code == 0 and not body.startswith(("options", "positional")) and len(body.split()) >= 10, out


@pytest.mark.parametrize("command", ["scan", "record", "run"])
def test_symbols_nobody_lists_is_one_clean_line(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = tmp_path.parent / "j.sqlite"
    extra = {"record": ["--out", str(tmp_path)], "run": ["--dry-run", "--journal", str(journal)]}
    code, _, err = _main(capsys, command, "--symbols", "FOO/BAR", "--duration", "5", *extra.get(command, []))
    line = _one_line(err)  # also: no "attestation failed" warning from a dry run that never started
    assert code == 2
    assert line == "arbkit: symbols FOO/BAR: listed by none of the exchanges (binance, gateio, mexc, kraken)"
    assert not any(tmp_path.iterdir())  # a recording that never started leaves no folder
    if command == "run":  # a dry run that never started attests nothing
        from arbkit.execution.journal import Journal
        from arbkit.promotion.attestation import AttestationStore

        j = Journal(journal)
        assert AttestationStore(j.db).all() == []
        j.close()


def test_scan_on_the_local_venue_runs_and_exits_cleanly() -> None:
    # on the evaluator's source (the fallback without a compiler; in-process tests run the compiled walk), said
    result = _run(
        "scan", "--duration", "2", "--refresh", "0.5", "--symbols", "BTC/USDT", env={"ARBKIT_PURE_PYTHON": "1"}
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "arbkit scan: the evaluator runs as pure Python (" in out
    assert "arbkit scan | local venue http://127.0.0.1:" in out
    assert "BTC/USDT  binance" in out and "Best route at top of book" in out and "Open opportunities" in out
    assert "Recently closed" in out and "Venues: 4 scanning" in out
    assert "arbkit scan done after" in out and "opportunities: " in out  # the summary
    assert "\x1b[" not in out  # piped: no colours or cursor moves
    assert max(len(line) for line in out.splitlines()) <= 100
    for noise in NOISE:
        assert noise not in result.stderr, result.stderr


def test_record_writes_one_folder_per_session(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "recs"
    for _ in range(2):
        code, stdout, err = _main(capsys, "record", "--out", str(out), "--duration", "1", "--symbols", "BTC/USDT")
        assert code == 0, err
        assert "recorded books=" in stdout
    folders = sorted(p for p in out.iterdir())
    assert len(folders) == 2 and all((f / "recording.json").is_file() for f in folders)
    from arbkit.recording import read_meta

    assert all(read_meta(f).exchanges for f in folders)


def test_live_without_network_gives_up_fast_naming_the_cause(tmp_path: Path) -> None:
    """Hosts under .invalid never resolve (RFC 6761), with or without a network."""
    config = tmp_path / "config.yaml"
    config.write_text(
        "exchanges:\n"
        "  binance: {api_key: '', secret_key: '', base_url: 'https://api.binance.invalid',"
        " websocket_url: 'wss://stream.binance.invalid:9443/ws'}\n"
        "  kraken: {api_key: '', secret_key: '', base_url: 'https://api.kraken.invalid',"
        " websocket_url: 'wss://ws.kraken.invalid/v2'}\n"
    )
    started = time.monotonic()
    result = _run("scan", "--live", "--config", str(config), "--duration", "30", timeout=60)
    took = time.monotonic() - started
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "arbkit: no exchange could be started:"
    assert lines[1].startswith("  binance: cannot resolve api.binance.invalid: no network?")
    assert lines[2].startswith("  kraken: cannot resolve api.kraken.invalid: no network?")
    assert len(lines) == 3 and max(map(len, lines)) < 160
    assert took < 30, "gave up only when --duration ran out"  # a hang check, not a speed target


@pytest.mark.parametrize("command", ["scan", "run"])
def test_duration_bounds_a_slow_start(command: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """--duration also bounds start-up: an exchange that accepts connections and never answers is not waited for."""
    extra = ["--dry-run", "--journal", str(tmp_path / "j.sqlite")] if command == "run" else []
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)  # the kernel completes handshakes; nothing ever reads or answers
        port = silent.getsockname()[1]
        config = tmp_path / "config.yaml"
        config.write_text(
            f"exchanges:\n  binance: {{api_key: '', secret_key: '', base_url: 'http://127.0.0.1:{port}',"
            f" websocket_url: 'ws://127.0.0.1:{port}/stream/ws'}}\n"
        )
        code, out, err = _main(capsys, command, "--live", "--config", str(config), "--duration", "1", *extra)
    assert code == 0, err
    assert f"arbkit {command}: --duration 1s ran out while the exchanges were starting" in out
