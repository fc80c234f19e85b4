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


# --------------------------------------------------------------------------- issue 9: every bad input one line

B = "exchanges.binance"


def _set(key: str, value: str, text: str = GOOD) -> str:
    """GOOD with ``key: value`` added to the binance entry."""
    return text.replace("    api_version: v3\n", f"    api_version: v3\n    {key}: {value}\n")


def _ws(key: str, value: str) -> str:
    return GOOD.replace("      reconnect_attempts: 4\n", f"      reconnect_attempts: 4\n      {key}: {value}\n")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_set("max_retries", ".inf"), f"{B}.max_retries: expected a finite number from 0 to 10, got inf"),
        (_ws("book_depth", ".nan"), f"{B}.websocket_config.book_depth: expected a finite number from 1 to 1000"),
        (GOOD + "scan: [BTC/USDT]\n", "scan: expected a mapping, got a list"),
        (GOOD + "scan:\n  symbols: 5\n", "scan.symbols: expected a list of symbols such as [BTC/USDT], got an integer"),
        (GOOD + "scan:\n  symbols: [BTCUSDT]\n", "scan.symbols[0]: symbol 'BTCUSDT': expected BASE/QUOTE"),
        (_set("request_timeout", ".inf"), f"{B}.request_timeout: expected a finite number from 0.1 to 300, got inf"),
        (_set("request_timeout", ".nan"), f"{B}.request_timeout: expected a finite number from 0.1 to 300, got nan"),
        (
            _set("custom_headers", '{X-Note: "a\\r\\nX-Evil: 1"}'),
            f"{B}.custom_headers.X-Note: a header value must be one line without control characters",
        ),
        (
            _set("custom_headers", "{X-Big: " + "x" * 5000 + "}"),
            f"{B}.custom_headers.X-Big: 5000 characters is too long",
        ),
        (_set("custom_headers", '{"Bad Name": x}'), f"{B}.custom_headers: 'Bad Name' is not a valid header name"),
        (_ws("stall_timeout", "0"), f"{B}.websocket_config.stall_timeout: expected a number from 0.1 to 3600, got 0"),
        (_ws("stall_timeout", ".nan"), f"{B}.websocket_config.stall_timeout: expected a finite number"),
        (_ws("book_depth", "0"), f"{B}.websocket_config.book_depth: expected an integer from 1 to 1000, got 0"),
        (_ws("reconnect_backoff_initial", "0"), f"{B}.websocket_config.reconnect_backoff_initial: expected a number"),
        (_ws("reconnect_backoff_max", "0.1"), f"{B}.websocket_config.reconnect_backoff_max: 0.1 is below"),
        (
            GOOD.replace("rate_limit_per_second: 5", "rate_limit_per_second: 1e-300"),
            f"{B}.rate_limit_per_second: expected a number from 0.01 to 10000, got 1e-300",
        ),
        (GOOD.replace("https://api.binance.com", "12345"), f"{B}.base_url: expected a string, got an integer 12345"),
        (GOOD.replace("https://api.binance.com", "api.binance.com"), f"{B}.base_url: expected a URL starting http://"),
        (GOOD + "scan:\n  symbol: [BTC/USDT]\n", "scan.symbol: unknown key (known: symbols)"),
        (GOOD + "venue:\n  sede: 3\n", "venue.sede: unknown key (known: seed, update_interval)"),
        (GOOD + "venue:\n  update_interval: 0\n", "venue.update_interval: expected a number from 0.001 to 60, got 0"),
        ("exchanges:\n", "exchanges: expected a mapping of exchange entries, got nothing"),
        ("exchanges: {}\n", "exchanges: no exchange configured"),
        ("exchanges: false\n", "exchanges: expected a mapping of exchange entries, got a boolean"),
        ("exchanges: 0\n", "exchanges: expected a mapping of exchange entries, got an integer"),
        ("scan: {symbols: [BTC/USDT]}\n", "exchanges: missing"),
        (GOOD + "  binance:\n    api_key: ''\n", "config.yaml line 16: duplicated key 'binance' (first at line 3)"),
        (
            GOOD.replace(
                "rate_limit_per_second: 5", "rate_limit_per_second: 5\n    request_timeout: 3\n    request_timeout: 4"
            ),
            "config.yaml line 10: duplicated key 'request_timeout' (first at line 9)",
        ),
        (
            GOOD.replace("    secret_key: ${BINANCE_SECRET_KEY:}\n", "    secret_key: 12345678901234567\n"),
            f"{B}.secret_key: expected a string, got an integer (quote it in the YAML file)",
        ),
        (
            GOOD.replace("https://api.binance.com", "${NOPE}"),
            f"{B}.base_url: environment variable NOPE is not set and has no default (write ${{NOPE:default}})",
        ),
        (_set("request_timout", "3"), f"{B}.request_timout: unknown key (known: api_key, "),
        (_set("api_version", "v9").replace("    api_version: v3\n", "", 1), None),  # valid here, checked per exchange
    ],
)
def test_issue_9_bad_config_values_are_one_line_errors(text: str, message: str | None) -> None:
    env = {"BINANCE_API_KEY": KEY, "BINANCE_SECRET_KEY": SECRET}
    if message is None:
        parse_config(text, env=env)
        return
    with pytest.raises(ConfigurationError) as info:
        parse_config(text, env=env)
    shown = str(info.value)
    assert shown.startswith(message), shown
    assert "\n" not in shown and KEY not in shown and SECRET not in shown and "12345678901234567" not in shown


def test_invalid_utf8_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_bytes(GOOD.encode() + b"# caf\xe9\n")
    with pytest.raises(ConfigurationError) as info:
        load_config(tmp_path / "config.yaml")
    assert str(info.value).startswith("config.yaml: not valid UTF-8 text (byte ")


def test_alias_bomb_is_refused_before_it_expands() -> None:
    """Nine levels of nine aliases: 9**9 values once expanded (49 s of CPU before); refused on the node graph."""
    lines = ["  a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"  a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    with pytest.raises(ConfigurationError) as info:
        parse_config("bomb:\n" + "\n".join(lines) + "\n" + GOOD.lstrip())
    assert str(info.value) == "config.yaml: the document expands to more than 100000 values (an alias bomb?); refused"


def test_a_few_aliases_are_fine() -> None:
    text = GOOD + "arbitrage:\n  enabled_exchanges: &both [binance, gateio]\nscan:\n  symbols: &s [BTC/USDT]\n"
    assert parse_config(text, env={}).sections["scan"] == {"symbols": ["BTC/USDT"]}


def test_recursive_alias_is_refused() -> None:
    with pytest.raises(ConfigurationError, match=r"^config.yaml line \d+: an alias refers to a value that contains it"):
        parse_config(GOOD + "scan: &s\n  symbols: [*s]\n")


def test_unset_credential_variable_means_public_only() -> None:
    cfg = parse_config(GOOD.replace("${BINANCE_SECRET_KEY:}", "${BINANCE_SECRET_KEY}"), env={})
    assert not cfg.get_exchange_config("binance").has_credentials


def test_documented_keys_arbkit_does_not_use_are_reported_once(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="arbkit.config"):
        cfg = parse_config(_set("supports_margin", "false"), env={})
    assert cfg.notices == (f"{B}.supports_margin: not used by arbkit (arbkit trades spot only); it has no effect",)
    assert [r.getMessage() for r in caplog.records] == list(cfg.notices)
    with pytest.raises(ConfigurationError, match=rf"^{B}.supports_margin: expected true or false, got 'maybe'"):
        parse_config(_set("supports_margin", "maybe"), env={})


def test_execution_and_promotion_sections_are_kept_raw_for_their_layers() -> None:
    cfg = parse_config(GOOD + "execution: {mode: paper}\npromotion: {after: 3}\n", env={})
    assert cfg.sections["execution"] == {"mode": "paper"} and cfg.sections["promotion"] == {"after": 3}


def test_wrong_kind_message_reads_well_and_never_echoes_a_secret() -> None:
    with pytest.raises(ConfigurationError) as info:
        parse_config(GOOD.replace("${BINANCE_API_KEY}", "[a, b]"), env={})
    assert str(info.value) == f"{B}.api_key: expected a string, got a list"  # was "... got a list a value"
