"""The seed document's own config, offline: every ccxt URL arbkit sets for the real exchanges equals ccxt's own
default, documented URL forms (with or without the API version) map to what ccxt needs, a form that cannot work
is refused in one line, and every documented key is honoured or reported once as not used."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import ccxt.pro
import pytest

from arbkit.config import ExchangeConfig, load_config
from arbkit.errors import ConfigurationError
from arbkit.exchanges.ccxt_client import build_client, check_exchange_urls
from arbkit.exchanges.factory import EXCHANGE_REST_MAP
from arbkit.structs import ExchangeEnum

# The seed document's example config: the shipped config.yaml's exchanges, with Gate.io's base_url carrying the API
# version, Kraken's websocket_url the bare (v1) host, and every documented key the seed lists.
SEED = """
exchanges:
  binance:
    api_key: ${BINANCE_API_KEY}
    secret_key: ${BINANCE_SECRET_KEY}
    base_url: "https://api.binance.com"
    websocket_url: "wss://stream.binance.com:9443/ws"
    testnet_base_url: "https://testnet.binance.vision"
    rate_limit_per_second: 10
    request_timeout: 10
    max_retries: 3
    custom_headers:
      User-Agent: "arbkit/0.1"
    websocket_config:
      heartbeat_interval: 20
      reconnect_attempts: 5
    api_version: "v3"
    private_endpoint_base: "https://api.binance.com/api/v3"
    order_types: [LIMIT, MARKET]
    supports_websocket: true
    supports_margin: false
    connection_pool_size: 10
    enable_http2: false
  gateio:
    api_key: ${GATEIO_API_KEY}
    secret_key: ${GATEIO_SECRET_KEY}
    base_url: "https://api.gateio.ws/api/v4"
    websocket_url: "wss://api.gateio.ws/ws/v4/"
    rate_limit_per_second: 10
    request_timeout: 10
    max_retries: 3
    api_version: "v4"
    private_endpoint_base: "https://api.gateio.ws/api/v4"
  mexc:
    api_key: ${MEXC_API_KEY}
    secret_key: ${MEXC_SECRET_KEY}
    base_url: "https://api.mexc.com"
    websocket_url: "wss://wbs-api.mexc.com/ws"
    rate_limit_per_second: 10
    request_timeout: 10
    api_version: "v3"
  kraken:
    api_key: ${KRAKEN_API_KEY}
    secret_key: ${KRAKEN_SECRET_KEY}
    base_url: "https://api.kraken.com"
    websocket_url: "wss://ws.kraken.com"
    rate_limit_per_second: 1
    request_timeout: 10
    api_version: "0"
"""
SPECS = {key[0].value: cls.spec for key, cls in EXCHANGE_REST_MAP.items() if not key[1]}
CREDENTIALS = {
    f"{name.upper()}_{part}": f"{name}-{part.lower()}-0123456789abcdef"
    for name in SPECS
    for part in ("API_KEY", "SECRET_KEY")
}


def _flat(node: Any, path: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in node.items():
        where = f"{path}.{key}" if path else key
        out.update(_flat(value, where) if isinstance(value, dict) else {where: value})
    return out


def _seed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str = SEED) -> Any:
    for key, value in CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    (tmp_path / "config.yaml").write_text(text)
    return load_config(tmp_path / "config.yaml")


@pytest.mark.parametrize("private", [False, True])
@pytest.mark.parametrize("name", sorted(SPECS))
def test_seed_config_urls_equal_ccxt_defaults(
    name: str, private: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = _seed(tmp_path, monkeypatch).get_exchange_config(name)
    spec = SPECS[name]
    client = build_client(spec, entry, private=private)
    default = _flat(getattr(ccxt.pro, spec.ccxt_id)().urls["api"])
    ours = _flat(client.urls["api"])
    routed = {
        k for k in ours if any(k == r.key or (r.key.endswith(".*") and k.startswith(r.key[:-1])) for r in spec.urls)
    }
    assert routed, "every exchange routes some URL keys"
    assert {k: ours[k] for k in routed} == {k: default[k] for k in routed}
    assert ours == default  # nothing else changed either
    assert _flat(client.urls["test"]) == default  # sandbox mode could never swap in a host nobody configured


def test_seed_documented_keys_are_honoured_or_reported_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="arbkit"):
        config = _seed(tmp_path, monkeypatch)
    not_used = ["order_types", "supports_websocket", "supports_margin", "connection_pool_size", "enable_http2"]
    assert [n.split(":")[0] for n in config.notices] == [f"exchanges.binance.{k}" for k in not_used]
    assert all("not used by arbkit" in n for n in config.notices)
    assert [r.getMessage() for r in caplog.records if r.name == "arbkit.config"] == list(config.notices)
    binance = config.get_exchange_config("binance")
    client = build_client(SPECS["binance"], binance)
    assert client.timeout == 10_000 and client.rateLimit == 100.0  # request_timeout, rate_limit_per_second
    assert client.options["maxRetriesOnFailure"] == 3  # max_retries (public reads only)
    assert client.headers["User-Agent"] == "arbkit/0.1"  # custom_headers
    assert client.streaming["keepAlive"] == 20_000  # websocket_config.heartbeat_interval
    assert binance.websocket_config.reconnect_attempts == 5
    private = build_client(SPECS["binance"], binance, private=True)
    assert "maxRetriesOnFailure" not in private.options  # an order is never resent behind the user's back


def test_private_endpoint_base_routes_the_private_keys() -> None:
    cfg = ExchangeConfig(
        name="gateio",
        base_url="https://api.gateio.ws",
        websocket_url="wss://api.gateio.ws/ws/v4/",
        private_endpoint_base="https://private.example.com/api/v4/",
    )
    urls = build_client(SPECS["gateio"], cfg).urls["api"]
    assert set(urls["private"].values()) == {"https://private.example.com/api/v4"}
    assert set(urls["public"].values()) == {"https://api.gateio.ws/api/v4"}


@pytest.mark.parametrize(
    ("name", "field", "url", "key", "expected"),
    [
        ("gateio", "base_url", "https://api.gateio.ws/api/v4/", "public.spot", "https://api.gateio.ws/api/v4"),
        ("gateio", "base_url", "https://api.gateio.ws", "private.spot", "https://api.gateio.ws/api/v4"),
        ("gateio", "websocket_url", "wss://api.gateio.ws/ws/v4", "spot", "wss://api.gateio.ws/ws/v4/"),
        ("binance", "base_url", "https://api.binance.com/api/v3", "public", "https://api.binance.com/api/v3"),
        ("binance", "base_url", "https://api.binance.com/api", "sapi", "https://api.binance.com/sapi/v1"),
        ("binance", "websocket_url", "wss://stream.binance.com:9443", "ws.spot", "wss://stream.binance.com:9443/ws"),
        ("mexc", "base_url", "https://api.mexc.com/api/v3", "spot.public", "https://api.mexc.com"),
        ("kraken", "base_url", "https://api.kraken.com/0", "public", "https://api.kraken.com"),
        ("kraken", "websocket_url", "wss://ws.kraken.com/", "ws.publicV2", "wss://ws.kraken.com/v2"),
        ("kraken", "websocket_url", "wss://ws.kraken.com/v2", "ws.publicV2", "wss://ws.kraken.com/v2"),
    ],
)
def test_documented_url_forms_map_to_what_ccxt_needs(name: str, field: str, url: str, key: str, expected: str) -> None:
    urls = {"base_url": SPECS[name].url_forms[_source("base_url")].example, field: url}
    client = build_client(SPECS[name], ExchangeConfig(name=name, **urls))
    assert _flat(client.urls["api"])[key] == expected


@pytest.mark.parametrize(
    ("name", "field", "url", "message"),
    [
        (
            "gateio",
            "base_url",
            "https://api.gateio.ws/api/v3",
            "exchanges.gateio.base_url: 'https://api.gateio.ws/api/v3' cannot work with gateio; "
            "use https://api.gateio.ws/api/v4",
        ),
        (
            "kraken",
            "websocket_url",
            "wss://ws.kraken.com/v1",
            "exchanges.kraken.websocket_url: 'wss://ws.kraken.com/v1' cannot work with kraken; use wss://ws.kraken.com/v2",
        ),
        (
            "binance",
            "websocket_url",
            "wss://stream.binance.com:9443/stream?streams=btcusdt@depth",
            "exchanges.binance.websocket_url: 'wss://stream.binance.com:9443/stream?streams=btcusdt@depth' cannot "
            "work with binance; use wss://stream.binance.com:9443/ws",
        ),
        (
            "mexc",
            "private_endpoint_base",
            "https://api.mexc.com/api/v2",
            "exchanges.mexc.private_endpoint_base: 'https://api.mexc.com/api/v2' cannot work with mexc; "
            "use https://api.mexc.com",
        ),
    ],
)
def test_a_url_that_cannot_work_is_refused_in_one_line(name: str, field: str, url: str, message: str) -> None:
    urls = {"base_url": SPECS[name].url_forms[_source("base_url")].example, field: url}
    cfg = ExchangeConfig(name=name, **urls)
    with pytest.raises(ConfigurationError) as info:
        check_exchange_urls(cfg)
    assert str(info.value) == message
    with pytest.raises(ConfigurationError):
        build_client(SPECS[name], cfg)


def test_api_version_must_be_the_one_ccxt_speaks() -> None:
    cfg = ExchangeConfig(name="gateio", base_url="https://api.gateio.ws", api_version="v3")
    with pytest.raises(ConfigurationError) as info:
        check_exchange_urls(cfg)
    assert str(info.value) == (
        "exchanges.gateio.api_version: arbkit speaks gateio API v4 (ccxt's), not 'v3'; set v4 or leave it out"
    )
    check_exchange_urls(ExchangeConfig(name="gateio", base_url="https://api.gateio.ws", api_version="4"))


def test_shipped_config_has_nothing_unused_and_real_default_urls() -> None:
    config = load_config(Path(__file__).parents[2] / "config.yaml")
    assert config.notices == ()
    for name, entry in config.exchanges.items():
        spec = SPECS[ExchangeEnum.parse(name).value]
        assert _flat(build_client(spec, entry).urls["api"]) == _flat(getattr(ccxt.pro, spec.ccxt_id)().urls["api"])


def _source(field: str) -> Any:
    from arbkit.exchanges.spec import UrlSource

    return UrlSource.REST if field == "base_url" else UrlSource.WS
