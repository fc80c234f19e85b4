"""A live session resolves each exchange's hosts first: an unresolvable one is out at once, with the cause."""

from __future__ import annotations

from pathlib import Path

from arbkit.config import load_config
from arbkit.runtime.reachability import exchange_hosts, unresolved_exchanges
from arbkit.runtime.session import connect


def _config(tmp_path: Path, binance_host: str, kraken_host: str = "127.0.0.1:9") -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(
        "exchanges:\n"
        f"  binance: {{api_key: '', secret_key: '', base_url: 'https://{binance_host}',"
        f" websocket_url: 'wss://stream.{binance_host}:9443/ws'}}\n"
        f"  kraken: {{api_key: '', secret_key: '', base_url: 'http://{kraken_host}', websocket_url: 'ws://{kraken_host}/v2'}}\n"
    )
    return path


async def test_only_unresolvable_exchanges_are_reported(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path, "api.binance.invalid"))
    assert exchange_hosts(config.get_exchange_config("binance")) == [
        "api.binance.invalid",
        "stream.api.binance.invalid",
    ]
    down = await unresolved_exchanges(config)
    assert list(down) == ["binance"]
    assert down["binance"].startswith("cannot resolve api.binance.invalid: no network?")


async def test_live_session_marks_unresolvable_exchanges_out_without_waiting(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path, "api.binance.invalid", "api.kraken.invalid"))
    session = await connect(config, venue=False, symbols=["BTC/USDT"], name="test-reach")
    try:
        status = {s.exchange: s for s in session.status()}
        assert status["binance"].state == "out"
        assert status["binance"].reason.startswith("cannot resolve api.binance.invalid")
        assert session.scanner.out["binance"] == status["binance"].reason
        assert status["kraken"].reason.startswith("cannot resolve api.kraken.invalid") and not session.exchanges
    finally:
        await session.stop()
