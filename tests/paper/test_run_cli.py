"""``arbkit run --dry-run``: a bad ``paper:`` section refuses before anything starts, one line and exit 2."""

from __future__ import annotations

from arbkit.cli.main import main

CONFIG = """
exchanges:
  binance: {api_key: "", secret_key: "", base_url: https://api.binance.com, websocket_url: wss://stream.binance.com:9443/ws}
paper:
  latency_ms: {binance: [20, fast]}
"""


def test_bad_paper_section_is_one_line_exit_2(tmp_path, capsys) -> None:
    (tmp_path / "config.yaml").write_text(CONFIG)
    code = main(["run", "--dry-run", "--duration", "1", "--config", str(tmp_path / "config.yaml")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err == ["arbkit: paper.latency_ms.binance[1]: expected a number, got 'fast'"]
