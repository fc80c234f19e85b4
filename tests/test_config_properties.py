"""Property: a value of the wrong kind at any config key is one ``ConfigurationError`` line naming the key path,
through ``parse_config`` plus each layer's own section (arbitrage, execution, paper, promotion), and through the CLI
(``arbkit scan``, or ``arbkit run --dry-run`` for the trading sections) exit 2."""

from __future__ import annotations

import copy
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from arbkit.arbitrage.config import parse_arbitrage_config
from arbkit.config import parse_config
from arbkit.errors import ConfigurationError
from arbkit.execution.config import execution_config
from arbkit.paper.config import paper_config
from arbkit.promotion.config import promotion_config

BASE: dict[str, Any] = {
    "exchanges": {
        "binance": {
            "api_key": "",
            "secret_key": "",
            "base_url": "https://api.binance.com",
            "websocket_url": "wss://stream.binance.com:9443/ws",
            "testnet_base_url": "https://testnet.binance.vision",
            "private_websocket_url": "wss://ws-api.binance.com:443/ws-api/v3",
            "private_endpoint_base": "https://api.binance.com/api/v3",
            "use_testnet": False,
            "rate_limit_per_second": 10,
            "request_timeout": 10,
            "max_retries": 3,
            "custom_headers": {"User-Agent": "arbkit"},
            "websocket_config": {
                "heartbeat_interval": 20,
                "reconnect_attempts": 0,
                "reconnect_backoff_initial": 0.25,
                "reconnect_backoff_max": 30,
                "stall_timeout": 10,
                "book_depth": 20,
            },
            "api_version": "v3",
            "password": "",
            "secret_fields": ["User-Agent"],
            "order_types": ["limit"],
            "supports_websocket": True,
            "supports_margin": False,
            "connection_pool_size": 10,
            "enable_http2": False,
        },
        "gateio": {"api_key": "", "secret_key": "", "base_url": "https://api.gateio.ws"},
    },
    "arbitrage": {
        "enabled_exchanges": ["binance", "gateio"],
        "max_book_age_ms": 2000,
        "fee_overrides": {"binance": {"taker": 0.001}},
        "arbitrage_pairs": [
            {
                "id": "btc",
                "base_asset": "BTC",
                "quote_asset": "USDT",
                "min_profit_bps": 2,
                "max_notional": 5000,
                "is_enabled": True,
                "exchanges": ["binance", "gateio"],
            }
        ],
    },
    "scan": {"symbols": ["BTC/USDT"]},
    "venue": {"seed": 7, "update_interval": 0.05},
    "execution": {
        "max_notional_per_leg": 1000,
        "max_net_exposure": {"BTC": 2000},
        "daily_loss_limit": 100,
        "max_orders_per_second": {"binance": 5},
        "leg_timeout_ms": 2000,
        "max_slippage_bps": 5,
        "max_hedge_slippage_bps": 30,
        "hedge_attempts": 3,
        "cooldown_ms": 1000,
        "price_collar_bps": 100,
        "max_book_age_ms": 1000,
        "private_stream_timeout_ms": 5000,
        "reconcile_interval_s": 30,
        "dead_man_seconds": 60,
        "inventory": {"binance": {"BTC": {"min": 0, "max": 2}}},
        "journal_sync": "normal",
        "size_to_cap": True,
        "reducing_loss_share": 0.5,
        "stream_flaps": 3,
        "stream_flap_window_s": 60,
    },
    "paper": {"latency_ms": {"binance": [20, 30]}, "balances": {"binance": {"USDT": 1000}}, "seed": 7},
    "promotion": {
        "min_executions": 20,
        "min_minutes": 60,
        "allow_stuck": False,
        "min_pnl_quote": 0,
        "max_age_hours": 24,
        "max_drift_fill_ratio": 0.2,
        "max_drift_slippage_bps": 5,
        "max_drift_latency_ms": 250,
    },
}
TRADING_SECTIONS = ("execution", "paper", "promotion")

_words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz _-/:.", min_size=1, max_size=12)
_lists = st.lists(st.integers(-5, 5), min_size=1, max_size=3)
_maps = st.dictionaries(st.sampled_from(["a", "b", "c"]), st.integers(), min_size=1, max_size=2)
_bools = st.booleans()
_not_finite = st.sampled_from([math.inf, -math.inf, math.nan])
WRONG = {
    "number": st.one_of(
        _words, _bools, _lists, _maps, st.none(), _not_finite, st.floats(-1e300, -1e-9), st.just(1e300)
    ),
    "int": st.one_of(_words, _bools, _lists, _maps, st.none(), _not_finite, st.just(1.5), st.integers(-(10**9), -1)),
    "url": st.one_of(st.integers(), st.floats(), _bools, _lists, _maps, _words),
    "secret": st.one_of(st.integers(), st.floats(allow_nan=False), _bools, _lists, _maps),
    "text": st.one_of(_bools, _lists, _maps),
    "bool": st.one_of(
        st.integers(),
        st.floats(allow_nan=False),
        _lists,
        _maps,
        _words.filter(lambda w: w.strip() not in ("true", "false", "yes", "no")),
    ),
    "mapping": st.one_of(st.integers(), st.floats(allow_nan=False), _bools, _words, _lists),
    "list": st.one_of(st.integers(), st.floats(allow_nan=False), _bools, _words, _maps),
    "optional_number": st.one_of(  # nothing (an empty value) means "not set" here, e.g. no size cap
        _words, _bools, _lists, _maps, _not_finite, st.floats(-1e300, -1e-9), st.just(1e300)
    ),
    "signed": st.one_of(_words, _bools, _lists, _maps, st.none(), _not_finite, st.just(1e300), st.just(-1e300)),
    "number_or_map": st.one_of(_words, _bools, _lists, st.none(), _not_finite, st.just(1e300)),
}
X = "execution"
EXECUTION_NUMBERS = ("max_notional_per_leg", "daily_loss_limit", "max_slippage_bps", "max_hedge_slippage_bps")
EXECUTION_NUMBERS += ("price_collar_bps", "max_book_age_ms", "reconcile_interval_s", "reducing_loss_share")
EXECUTION_NUMBERS += ("stream_flap_window_s",)
EXECUTION_INTS = ("leg_timeout_ms", "hedge_attempts", "cooldown_ms", "private_stream_timeout_ms", "dead_man_seconds")
EXECUTION_INTS += ("stream_flaps",)
PROMOTION_NUMBERS = ("min_minutes", "max_age_hours", "max_drift_fill_ratio", "max_drift_slippage_bps")
PROMOTION_NUMBERS += ("max_drift_latency_ms",)
E = "exchanges.binance"
W = f"{E}.websocket_config"
P = "arbitrage.arbitrage_pairs.0"
KEYS: dict[str, str] = {
    "exchanges": "mapping",
    E: "mapping",
    f"{E}.api_key": "secret",
    f"{E}.secret_key": "secret",
    f"{E}.password": "secret",
    **{f"{E}.{k}": "url" for k in ("base_url", "websocket_url", "testnet_base_url", "private_websocket_url")},
    f"{E}.private_endpoint_base": "url",
    f"{E}.use_testnet": "bool",
    f"{E}.rate_limit_per_second": "number",
    f"{E}.request_timeout": "number",
    f"{E}.max_retries": "int",
    f"{E}.custom_headers": "mapping",
    f"{E}.websocket_config": "mapping",
    **{f"{W}.{k}": "number" for k in ("heartbeat_interval", "reconnect_backoff_initial", "reconnect_backoff_max")},
    f"{W}.stall_timeout": "number",
    f"{W}.reconnect_attempts": "int",
    f"{W}.book_depth": "int",
    f"{E}.api_version": "text",
    f"{E}.secret_fields": "list",
    f"{E}.order_types": "list",
    **{f"{E}.{k}": "bool" for k in ("supports_websocket", "supports_margin", "enable_http2")},
    f"{E}.connection_pool_size": "int",
    "arbitrage": "mapping",
    "arbitrage.enabled_exchanges": "list",
    "arbitrage.max_book_age_ms": "number",
    "arbitrage.fee_overrides": "mapping",
    "arbitrage.arbitrage_pairs": "list",
    f"{P}.base_asset": "text",
    f"{P}.min_profit_bps": "number",
    f"{P}.max_notional": "optional_number",
    f"{P}.is_enabled": "bool",
    f"{P}.exchanges": "list",
    "scan": "mapping",
    "scan.symbols": "list",
    "venue": "mapping",
    "venue.seed": "int",
    "venue.update_interval": "number",
    X: "mapping",
    **{f"{X}.{k}": "number" for k in EXECUTION_NUMBERS},
    **{f"{X}.{k}": "int" for k in EXECUTION_INTS},
    f"{X}.max_net_exposure": "number_or_map",
    f"{X}.max_net_exposure.BTC": "number",
    f"{X}.max_orders_per_second": "number_or_map",
    f"{X}.max_orders_per_second.binance": "number",
    f"{X}.inventory": "mapping",
    f"{X}.inventory.binance": "mapping",
    f"{X}.inventory.binance.BTC": "mapping",
    f"{X}.inventory.binance.BTC.max": "number",
    f"{X}.journal_sync": "text",
    f"{X}.size_to_cap": "bool",
    "paper": "mapping",
    "paper.latency_ms": "number_or_map",
    "paper.latency_ms.binance": "number_or_map",
    "paper.balances": "mapping",
    "paper.balances.binance": "mapping",
    "paper.balances.binance.USDT": "number",
    "paper.seed": "int",
    "promotion": "mapping",
    **{f"promotion.{k}": "number" for k in PROMOTION_NUMBERS},
    "promotion.min_pnl_quote": "signed",
    "promotion.min_executions": "int",
    "promotion.allow_stuck": "bool",
}
_cases = st.sampled_from(sorted(KEYS)).flatmap(lambda key: st.tuples(st.just(key), WRONG[KEYS[key]]))


def _with(key: str, value: Any) -> str:
    doc = copy.deepcopy(BASE)
    *parents, leaf = key.split(".")
    node: Any = doc
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[leaf] = value
    return yaml.dump(doc, Dumper=yaml.CSafeDumper, allow_unicode=True)  # libyaml: the same text, 3x faster


def _load(text: str) -> None:
    config = parse_config(text, env={})
    parse_arbitrage_config(config.sections.get("arbitrage"), config)
    execution_config(config)
    paper_config(config)
    promotion_config(config)


def test_the_base_document_is_valid() -> None:
    _load(yaml.safe_dump(BASE))


NUMERIC = sorted(
    k for k, kind in KEYS.items() if kind in ("number", "int", "signed", "optional_number", "number_or_map")
)


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan], ids=["inf", "-inf", "nan"])
def test_a_value_that_is_not_finite_at_any_numeric_key_is_one_line(value: float) -> None:
    """Every numeric key, every non-finite value (rare draws for the property below): int(inf) once escaped."""
    for key in NUMERIC:
        with pytest.raises(ConfigurationError) as info:
            _load(_with(key, value))
        message = str(info.value)
        assert "\n" not in message and message.startswith(key.split(".")[0]), (key, message)


@settings(max_examples=200, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_cases)
def test_a_wrong_kind_anywhere_is_one_configuration_error_line(case: tuple[str, Any]) -> None:
    key, value = case
    try:
        _load(_with(key, value))
    except ConfigurationError as exc:
        message = str(exc)
        assert "\n" not in message and message.strip() == message and len(message) < 400
        top = key.split(".")[0]
        assert message.startswith((top, "config.yaml")), message
    else:
        raise AssertionError(f"{key}: {value!r} was accepted")


@settings(max_examples=3, derandomize=True, deadline=None, phases=[Phase.generate])
@given(_cases)
def test_through_the_cli_exit_2_one_line(tmp_path_factory: Any, case: tuple[str, Any]) -> None:
    key, value = case
    path = Path(tmp_path_factory.mktemp("cfg")) / "config.yaml"
    path.write_text(_with(key, value))
    command = ["scan"]  # scan leaves the trading sections alone; run reads them before anything starts
    if key.split(".")[0] in TRADING_SECTIONS:
        command = ["run", "--dry-run", "--journal", str(path.with_name("journal.sqlite"))]
    result = subprocess.run(
        [sys.executable, "-m", "arbkit", *command, "--config", str(path), "--duration", "1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, (key, value, result.stderr)
    assert "Traceback" not in result.stderr
    # Besides the error, only the logged notices of documented keys arbkit does not use may appear.
    lines = [line for line in result.stderr.splitlines() if " WARNING arbkit.config: " not in line]
    assert len(lines) == 1 and lines[0].startswith("arbkit: "), result.stderr
