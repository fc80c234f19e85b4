"""Config loading: env expansion, typed decoding, and one-line errors naming the key path."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from arbkit.config import ExchangeConfig, load_config, parse_config
from arbkit.errors import ConfigurationError, PublicOnlyError
from arbkit.structs import ExchangeEnum

GOOD = """
exchanges:
  binance:
    api_key: ${BINANCE_API_KEY}
    secret_key: ${BINANCE_SECRET_KEY:}
    base_url: https://api.binance.com
    websocket_url: ${BINANCE_WS:wss://stream.binance.com:9443/ws}
    rate_limit_per_second: 5
    websocket_config:
      reconnect_attempts: 4
    api_version: v3
  gateio:
    api_key: ""
    secret_key: ""
    base_url: https://api.gateio.ws
"""

KEY = "abcd1234efgh5678ijkl"
SECRET = "zyxw9876vuts5432rqpo"


def test_expands_env_and_decodes_typed_structs() -> None:
    cfg = parse_config(GOOD, env={"BINANCE_API_KEY": KEY, "BINANCE_SECRET_KEY": SECRET})
    binance = cfg.get_exchange_config("binance")
    assert isinstance(binance, ExchangeConfig)
    assert binance.exchange_enum is ExchangeEnum.BINANCE
    assert binance.websocket_url == "wss://stream.binance.com:9443/ws"  # the ${VAR:default}
    assert binance.rate_limit_per_second == 5.0
    assert binance.websocket_config.reconnect_attempts == 4
    assert binance.api_version == "v3" and binance.settings == {}
    assert cfg.get_exchange_credentials("BINANCE") == {"api_key": KEY, "secret_key": SECRET}


def test_missing_credentials_mean_public_only() -> None:
    cfg = parse_config(GOOD, env={})
    assert cfg.get_exchange_credentials("gateio") == {"api_key": None, "secret_key": None}
    gate = cfg.get_exchange_config("gateio")
    assert not gate.has_credentials
    with pytest.raises(PublicOnlyError, match="set GATEIO_API_KEY and GATEIO_SECRET_KEY"):
        gate.require_credentials()


def test_env_file_beside_config_and_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "config.yaml").write_text(GOOD)
    (tmp_path / ".env").write_text(f"BINANCE_API_KEY=from-dotenv-0000\nBINANCE_SECRET_KEY={SECRET}\n")
    monkeypatch.setenv("BINANCE_API_KEY", KEY)
    cfg = load_config(tmp_path / "config.yaml")
    assert cfg.get_exchange_credentials("binance") == {"api_key": KEY, "secret_key": SECRET}


def test_secrets_are_masked_in_repr_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    cfg = parse_config(GOOD, env={"BINANCE_API_KEY": KEY, "BINANCE_SECRET_KEY": SECRET})
    binance = cfg.get_exchange_config("binance")
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("test").info("config %r / %s", binance, binance)
    shown = repr(binance) + str(binance) + caplog.text + repr(cfg)
    assert KEY not in shown and SECRET not in shown
    assert "abcd...ijkl" in repr(binance)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            GOOD.replace("rate_limit_per_second: 5", "rate_limit_per_second: fast"),
            "exchanges.binance.rate_limit_per_second: expected a number, got 'fast'",
        ),
        (
            GOOD + "  bitfoo:\n    api_key: x\n    secret_key: y\n    base_url: z\n",
            "exchanges.bitfoo: unknown exchange",
        ),
        (GOOD.replace("    base_url: https://api.gateio.ws\n", ""), "exchanges.gateio.base_url: missing"),
        (GOOD.replace('    api_key: ""\n', ""), "exchanges.gateio.api_key: missing"),
        ("exchanges:\n  binance: [1, 2\n", "config.yaml line 3: invalid YAML"),
        (
            GOOD.replace("${BINANCE_API_KEY}", "${BINANCE_API_KEY"),
            "exchanges.binance.api_key: malformed ${...} pattern",
        ),
        (GOOD.replace("${BINANCE_API_KEY}", "${1BAD:}"), "exchanges.binance.api_key: malformed ${...} pattern"),
        (
            GOOD.replace("reconnect_attempts: 4", "reconect_attempts: 4"),
            "exchanges.binance.websocket_config.reconect_attempts: unknown key",
        ),
        (
            GOOD.replace("reconnect_attempts: 4", "reconnect_attempts: 1.5"),
            "exchanges.binance.websocket_config.reconnect_attempts: expected an integer",
        ),
        (
            GOOD.replace("rate_limit_per_second: 5", "rate_limit_per_second: -1"),
            "exchanges.binance.rate_limit_per_second: expected a number from 0.01 to 10000, got -1",
        ),
        ("exchanges: [binance]\n", "exchanges: expected a mapping"),
        ("exchanges: {}\nbogus: 1\n", "bogus: unknown section"),
        (
            GOOD.replace("  gateio:\n", "  gateio: 5\n  x:\n", 1).split("  x:")[0],
            "exchanges.gateio: expected a mapping",
        ),
    ],
)
def test_bad_input_gives_one_line_error(text: str, message: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        parse_config(text, env={"BINANCE_API_KEY": KEY, "BINANCE_SECRET_KEY": SECRET})
    text_of_error = str(info.value)
    assert text_of_error.startswith(message), text_of_error
    assert "\n" not in text_of_error
    assert KEY not in text_of_error and SECRET not in text_of_error


def test_missing_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")


def test_generic_exchange_needs_a_real_ccxt_id() -> None:
    entry = (
        "exchanges:\n  okx:\n    ccxt_id: {}\n    api_key: ''\n    secret_key: ''\n    base_url: https://www.okx.com\n"
    )
    assert parse_config(entry.format("okx")).get_exchange_config("okx").ccxt_id == "okx"
    with pytest.raises(ConfigurationError, match="exchanges.okx.ccxt_id: 'nosuch' is not a ccxt exchange id"):
        parse_config(entry.format("nosuch"))


def test_shipped_config_loads_all_four_exchanges() -> None:
    cfg = load_config(Path(__file__).parents[1] / "config.yaml")
    assert set(cfg.exchanges) == {"binance", "gateio", "mexc", "kraken"}


def test_exchange_config_in_code() -> None:
    cfg = ExchangeConfig(
        exchange_enum=ExchangeEnum.BINANCE,
        name="binance",
        base_url="https://api.binance.com",
        websocket_url="wss://stream.binance.com:9443/ws",
        api_key=KEY,
        secret_key=SECRET,
    )
    assert cfg.has_credentials and KEY not in repr(cfg)
