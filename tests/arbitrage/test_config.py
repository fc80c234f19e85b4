"""The ``arbitrage:`` section: decoding, defaults, fee overrides, and one-line key-path errors."""

from __future__ import annotations

import pytest
import yaml

import arbkit.arbitrage as arbitrage_pkg
from arbkit.arbitrage.config import (
    ArbitrageConfig,
    OpportunityType,
    parse_arbitrage_config,
    validate_pair_listing,
)
from arbkit.config import ArbkitConfig, parse_config
from arbkit.errors import ConfigurationError
from arbkit.structs import Symbol

EXCHANGES = """
exchanges:
  mexc: {api_key: '', secret_key: '', base_url: 'https://api.mexc.com'}
  gateio: {api_key: '', secret_key: '', base_url: 'https://api.gateio.ws'}
  binance: {api_key: '', secret_key: '', base_url: 'https://api.binance.com'}
  kraken: {api_key: '', secret_key: '', base_url: 'https://api.kraken.com'}
  okx: {ccxt_id: okx, api_key: '', secret_key: '', base_url: 'https://www.okx.com'}
"""

SECTION = """
arbitrage:
  enabled_exchanges: [MEXC, GATEIO, BINANCE, KRAKEN]
  max_book_age_ms: 1500
  fee_overrides:
    binance: {taker: 0.00075, symbols: {btc/usdt: {taker: 0.0005}}}
    GATEIO: {maker: 0.0}
  arbitrage_pairs:
    - id: btc_usdt
      base_asset: BTC
      quote_asset: USDT
      opportunity_type: SPOT_SPOT
      min_profit_bps: 25
      exchanges: [MEXC, GATEIO, BINANCE]
      max_notional: 5000
      is_enabled: true
    - id: eth_usdt
      base_asset: eth
      quote_asset: usdt
      min_profit_bps: 10
"""


def base() -> ArbkitConfig:
    return parse_config(EXCHANGES)


def parse(text: str) -> ArbitrageConfig:
    return parse_arbitrage_config(yaml.safe_load(text)["arbitrage"], base())


def test_full_section() -> None:
    cfg = parse(SECTION)
    assert cfg.enabled_exchanges == ("mexc", "gateio", "binance", "kraken")
    assert cfg.max_book_age_ms == 1500.0
    assert cfg.gate_thresholds.max_age_ms == 1500.0
    btc, eth = cfg.arbitrage_pairs
    assert btc.id == "btc_usdt" and btc.symbol == Symbol.parse("BTC/USDT")
    assert btc.opportunity_type is OpportunityType.SPOT_SPOT
    assert btc.min_profit_bps == 25.0 and btc.max_notional == 5000.0
    assert btc.exchanges == ("mexc", "gateio", "binance") and btc.exchanges_explicit
    assert eth.symbol == Symbol.parse("ETH/USDT")
    assert eth.exchanges == cfg.enabled_exchanges and not eth.exchanges_explicit
    assert eth.max_notional is None and eth.is_enabled
    assert cfg.pair("eth_usdt") is eth
    assert [p.id for p in cfg.enabled_pairs()] == ["btc_usdt", "eth_usdt"]


def test_core_config_keeps_the_section_raw_and_this_layer_parses_it() -> None:
    config = parse_config(EXCHANGES + SECTION)
    assert config.sections["arbitrage"]["max_book_age_ms"] == 1500  # raw: the core does not reach up to parse it
    bad = parse_config(EXCHANGES + SECTION.replace("min_profit_bps: 25", "min_profit_bps: -5"))
    with pytest.raises(ConfigurationError, match=r"arbitrage.arbitrage_pairs\[0\].min_profit_bps"):
        parse_arbitrage_config(bad.sections["arbitrage"], bad)


def test_the_core_config_module_does_not_import_the_arbitrage_layer() -> None:
    import subprocess
    import sys

    code = "import sys, arbkit.config; print('arbkit.arbitrage' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_fee_overrides() -> None:
    cfg = parse(SECTION)
    btc, eth = Symbol.parse("BTC/USDT"), Symbol.parse("ETH/USDT")
    assert cfg.taker_fee("binance", btc, 0.001) == 0.0005  # per symbol
    assert cfg.taker_fee("binance", eth, 0.001) == 0.00075  # per exchange
    assert cfg.taker_fee("gateio", eth, 0.002) == 0.002  # only maker overridden
    assert cfg.taker_fee("mexc", "BTC/USDT", 0.001) == 0.001  # no override
    assert cfg.fee_overrides["gateio"].maker == 0.0


def test_defaults() -> None:
    cfg = parse_arbitrage_config(None, base())
    assert cfg.enabled_exchanges == ("mexc", "gateio", "binance", "kraken", "okx")
    assert cfg.max_book_age_ms == 2000.0
    assert cfg.arbitrage_pairs == () and cfg.fee_overrides == {}


def test_generic_exchange_names_are_accepted() -> None:
    cfg = parse("arbitrage:\n  enabled_exchanges: [binance, OKX]\n")
    assert cfg.enabled_exchanges == ("binance", "okx")


def test_string_numbers_from_env_substitution() -> None:
    cfg = parse_arbitrage_config(
        {
            "max_book_age_ms": "900",
            "arbitrage_pairs": [
                {"id": "x", "base_asset": "BTC", "quote_asset": "USDT", "min_profit_bps": "12.5", "is_enabled": "false"}
            ],
        },
        base(),
    )
    assert cfg.max_book_age_ms == 900.0
    assert cfg.arbitrage_pairs[0].min_profit_bps == 12.5 and not cfg.arbitrage_pairs[0].is_enabled


PAIR = "  arbitrage_pairs:\n    - {id: p, base_asset: BTC, quote_asset: USDT, min_profit_bps: 25"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "  enabled_exchanges: [mexc, binance]\n" + PAIR + ", exchanges: [mexc, BITFOO]}",
            "arbitrage.arbitrage_pairs[0].exchanges[1]: unknown exchange 'BITFOO' (known: ",
        ),
        (
            PAIR.replace("min_profit_bps: 25", "min_profit_bps: -5") + "}",
            "arbitrage.arbitrage_pairs[0].min_profit_bps: expected a number from 0 to 10000, got -5",
        ),
        (
            "  enabled_exchanges: [mexc, binance]\n" + PAIR + ", exchanges: [mexc, kraken]}",
            "arbitrage.arbitrage_pairs[0].exchanges[1]: exchange 'kraken' is not in arbitrage.enabled_exchanges",
        ),
        (
            PAIR + "}\n    - {id: p, base_asset: ETH, quote_asset: USDT, min_profit_bps: 1}",
            "arbitrage.arbitrage_pairs[1].id: duplicate pair id 'p' (also arbitrage_pairs[0])",
        ),
        (PAIR + ", size: 3}", "arbitrage.arbitrage_pairs[0].size: unknown key (known: id, "),
        ("  max_age: 3\n", "arbitrage.max_age: unknown key (known: enabled_exchanges, "),
        (
            PAIR + "}\n    - {id: q, base_asset: BTC, min_profit_bps: 1}",
            "arbitrage.arbitrage_pairs[1].quote_asset: missing",
        ),
        (
            PAIR + ", max_notional: 0}",
            "arbitrage.arbitrage_pairs[0].max_notional: expected a number greater than 0 and at most 1000000000000, got 0",
        ),
        (
            PAIR.replace("min_profit_bps: 25", "min_profit_bps: abc") + "}",
            "arbitrage.arbitrage_pairs[0].min_profit_bps: expected a number, got 'abc'",
        ),
        (
            PAIR + ", opportunity_type: SPOT_FUTURES}",
            "arbitrage.arbitrage_pairs[0].opportunity_type: unsupported 'SPOT_FUTURES' (supported: SPOT_SPOT)",
        ),
        (PAIR + ", exchanges: binance}", "arbitrage.arbitrage_pairs[0].exchanges: expected a list of exchange names"),
        (PAIR + ", exchanges: [binance]}", "arbitrage.arbitrage_pairs[0].exchanges: arbitrage needs at least two"),
        (
            PAIR + ", exchanges: [binance, BINANCE]}",
            "arbitrage.arbitrage_pairs[0].exchanges[1]: exchange 'binance' listed twice",
        ),
        (PAIR + ", is_enabled: maybe}", "arbitrage.arbitrage_pairs[0].is_enabled: expected true or false, got 'maybe'"),
        (
            PAIR.replace("quote_asset: USDT", "quote_asset: BTC") + "}",
            "arbitrage.arbitrage_pairs[0].quote_asset: same as base_asset",
        ),
        (
            "  enabled_exchanges: [binance]\n",
            "arbitrage.enabled_exchanges: arbitrage needs at least two exchanges, got binance",
        ),
        (
            "  enabled_exchanges: binance\n",
            "arbitrage.enabled_exchanges: expected a list of exchange names, got a string",
        ),
        ("  max_book_age_ms: 0\n", "arbitrage.max_book_age_ms: expected a number greater than 0 and at most 3600000"),
        ("  max_book_age_ms: .inf\n", "arbitrage.max_book_age_ms: expected a finite number greater than 0"),
        ("  max_book_age_ms: .nan\n", "arbitrage.max_book_age_ms: expected a finite number greater than 0"),
        (PAIR.replace("25", ".inf") + "}", "arbitrage.arbitrage_pairs[0].min_profit_bps: expected a finite number"),
        ("  arbitrage_pairs: {}\n", "arbitrage.arbitrage_pairs: expected a list of pairs, got a mapping"),
        ("  arbitrage_pairs: 0\n", "arbitrage.arbitrage_pairs: expected a list of pairs, got an integer"),
        ("  arbitrage_pairs: []\n", "arbitrage.arbitrage_pairs: empty"),
        (
            "  fee_overrides: {binance: {symbols: 0}}\n",
            "arbitrage.fee_overrides.binance.symbols: expected a mapping, got an integer",
        ),
        ("  fee_overrides: {bitfoo: {taker: 0.001}}\n", "arbitrage.fee_overrides.bitfoo: unknown exchange 'bitfoo'"),
        (
            "  fee_overrides: {binance: {taker: 0.1}}\n",
            "arbitrage.fee_overrides.binance.taker: expected a fee fraction between 0",
        ),
        (
            "  fee_overrides: {binance: {takr: 0.1}}\n",
            "arbitrage.fee_overrides.binance.takr: unknown key (known: taker, maker, symbols)",
        ),
        (
            "  fee_overrides: {binance: {symbols: {BTCUSDT: {taker: 0.001}}}}\n",
            "arbitrage.fee_overrides.binance.symbols.BTCUSDT: symbol 'BTCUSDT': expected BASE/QUOTE",
        ),
        ("  arbitrage_pairs: {id: p}\n", "arbitrage.arbitrage_pairs: expected a list of pairs, got a mapping"),
    ],
)
def test_errors_are_one_line_with_key_paths(text: str, message: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        parse("arbitrage:\n" + text)
    assert str(info.value).startswith(message), str(info.value)
    assert "\n" not in str(info.value)


def test_enabled_exchange_without_exchanges_entry() -> None:
    only_two = parse_config(
        EXCHANGES.split("  gateio")[0] + "  binance: {api_key: '', secret_key: '', base_url: 'https://x.example'}\n"
    )
    with pytest.raises(
        ConfigurationError,
        match=r"^arbitrage.enabled_exchanges\[2\]: exchange 'kraken' has no entry "
        r"under exchanges: in config.yaml$",
    ):
        parse_arbitrage_config({"enabled_exchanges": ["mexc", "binance", "KRAKEN"]}, only_two)


def test_validate_pair_listing() -> None:
    cfg = parse(SECTION)
    btc, eth = cfg.arbitrage_pairs
    btc_sym, eth_sym = btc.symbol, eth.symbol
    listings = {"mexc": {btc_sym, eth_sym}, "gateio": {btc_sym}, "binance": {btc_sym, eth_sym}, "kraken": set()}
    assert validate_pair_listing(btc, listings) == ("mexc", "gateio", "binance")
    assert validate_pair_listing(eth, listings) == ("mexc", "binance")  # default: every enabled venue listing it
    with pytest.raises(
        ConfigurationError,
        match=r"^arbitrage.arbitrage_pairs.btc_usdt.exchanges: gateio does not "
        r"list BTC/USDT$",
    ):
        validate_pair_listing(btc, {**listings, "gateio": set()})
    with pytest.raises(ConfigurationError, match=r"^arbitrage.arbitrage_pairs.eth_usdt: only mexc lists ETH/USDT"):
        validate_pair_listing(eth, {"mexc": {eth_sym}})
    with pytest.raises(
        ConfigurationError, match=r"^arbitrage.arbitrage_pairs.eth_usdt: no enabled exchange lists ETH/USDT"
    ):
        validate_pair_listing(eth, {})


def test_unknown_pair_id() -> None:
    with pytest.raises(ConfigurationError, match=r"arbitrage.arbitrage_pairs: no pair with id 'nope'"):
        parse(SECTION).pair("nope")


def test_package_all_is_importable() -> None:
    for name in arbitrage_pkg.__all__:
        assert hasattr(arbitrage_pkg, name), name
    assert sorted(arbitrage_pkg.__all__) == sorted(set(arbitrage_pkg.__all__))
