"""The execution: section: defaults, key-path errors and range checks."""

from __future__ import annotations

import math

import pytest

from arbkit.config import parse_config
from arbkit.errors import ConfigurationError
from arbkit.execution.config import ExecutionConfig, execution_config, parse_execution_config

YAML = """
exchanges:
  binance: {api_key: k, secret_key: s, base_url: https://api.binance.com}
  kraken: {api_key: k, secret_key: s, base_url: https://api.kraken.com}
"""


def cfg():
    return parse_config(YAML)


def test_defaults_when_absent():
    config = execution_config(cfg())
    assert config == ExecutionConfig()
    assert config.leg_timeout_ms == 2000 and config.hedge_attempts == 3
    assert config.exposure_limit("BTC") == 2000.0 and config.order_rate("binance") == 5.0
    assert config.band("binance", "BTC") is None


def test_section_accepted_in_config_yaml():
    text = YAML + "execution:\n  leg_timeout_ms: 500\n  max_orders_per_second: {binance: 2}\n"
    config = execution_config(parse_config(text))
    assert config.leg_timeout_ms == 500
    assert config.order_rate("binance") == 2.0 and config.order_rate("kraken") == 5.0


def test_full_section():
    raw = {
        "max_notional_per_leg": 250,
        "max_net_exposure": {"btc": 100, "*": 50},
        "daily_loss_limit": "20",
        "max_slippage_bps": 2.5,
        "hedge_attempts": 0,
        "inventory": {"Binance": {"btc": {"min": 0.1, "max": 2}}, "kraken": {"USD": {"min": 100}}},
    }
    config = parse_execution_config(raw, cfg())
    assert config.max_notional_per_leg == 250.0 and config.daily_loss_limit == 20.0
    assert config.exposure_limit("BTC") == 100.0 and config.exposure_limit("ETH") == 50.0
    assert config.band("binance", "BTC").min == 0.1 and config.band("binance", "BTC").max == 2.0
    assert math.isinf(config.band("kraken", "USD").max)
    assert config.config_hash() != ExecutionConfig().config_hash()
    assert config.config_hash() == parse_execution_config(raw, cfg()).config_hash()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([1], "execution: expected a mapping, got a list"),
        ({"leg_timeot_ms": 5}, "execution.leg_timeot_ms: unknown key"),
        ({"leg_timeout_ms": 10}, "execution.leg_timeout_ms: expected an integer between 50 and 120000, got 10"),
        ({"leg_timeout_ms": 1.5}, "execution.leg_timeout_ms: expected an integer, got 1.5"),
        ({"hedge_attempts": True}, "execution.hedge_attempts: expected an integer, got True"),
        ({"hedge_attempts": 21}, "execution.hedge_attempts: expected an integer between 0 and 20"),
        ({"max_slippage_bps": -1}, "execution.max_slippage_bps: expected a number between 0 and 1000"),
        ({"max_slippage_bps": "wide"}, "execution.max_slippage_bps: expected a number, got 'wide'"),
        ({"max_notional_per_leg": 0}, "execution.max_notional_per_leg: expected a number between"),
        ({"daily_loss_limit": float("nan")}, "execution.daily_loss_limit: expected a number, got nan"),
        (
            {"max_orders_per_second": {"okx": 3}},
            "execution.max_orders_per_second.okx: exchange 'okx' is not configured",
        ),
        (
            {"max_orders_per_second": {"binance": 0}},
            "execution.max_orders_per_second.binance: expected a number between 0.01",
        ),
        ({"max_net_exposure": {"BTC": -5}}, "execution.max_net_exposure.BTC: expected a number between 0"),
        ({"inventory": [1]}, "execution.inventory: expected a mapping of venue"),
        ({"inventory": {"okx": {}}}, "execution.inventory.okx: exchange 'okx' is not configured"),
        ({"inventory": {"binance": {"BTC": 3}}}, "execution.inventory.binance.BTC: expected a mapping with min"),
        ({"inventory": {"binance": {"BTC": {"low": 3}}}}, "execution.inventory.binance.BTC.low: unknown key"),
        (
            {"inventory": {"binance": {"BTC": {"min": 3, "max": 1}}}},
            "execution.inventory.binance.BTC: max (1) is below min (3)",
        ),
        ({"reconcile_interval_s": -1}, "execution.reconcile_interval_s: expected a number between 0"),
        ({"dead_man_seconds": 1}, "execution.dead_man_seconds: expected an integer between 5"),
        ({"journal_sync": "off"}, "execution.journal_sync: expected one of normal, full, got 'off'"),
        ({"size_to_cap": "yes"}, "execution.size_to_cap: expected true or false, got 'yes'"),
        ({"reducing_loss_share": 1.5}, "execution.reducing_loss_share: expected a number between 0.01 and 1"),
        ({"stream_flaps": -1}, "execution.stream_flaps: expected an integer between 0 and 1000"),
        ({"stream_flap_window_s": 0}, "execution.stream_flap_window_s: expected a number between 1 and 86400"),
    ],
)
def test_errors_name_the_key_path(raw, message):
    with pytest.raises(ConfigurationError) as info:
        parse_execution_config(raw, cfg())
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_journal_sync_size_to_cap_and_reducing_keys():
    config = parse_execution_config(
        {"journal_sync": "full", "size_to_cap": False, "reducing_loss_share": 0.25, "stream_flaps": 0}, cfg()
    )
    assert config.journal_sync == "full" and config.size_to_cap is False
    assert config.reducing_loss_share == 0.25 and config.stream_flaps == 0
    assert ExecutionConfig().journal_sync == "normal" and ExecutionConfig().size_to_cap is True
