"""URL rewriting: against a loopback venue no ccxt URL may point off the machine; real URLs stay real."""

from __future__ import annotations

import logging
import threading

import msgspec
import pytest

from arbkit.config import ExchangeConfig
from arbkit.exchanges.ccxt_client import build_client, is_loopback, prepare_client
from arbkit.exchanges.factory import EXCHANGE_REST_MAP
from arbkit.exchanges.kraken import KRAKEN_SPEC, KrakenPro
from arbkit.exchanges.spec import UrlSource

SPECS = {key[0].value: cls.spec for key, cls in EXCHANGE_REST_MAP.items() if not key[1]}


def _urls(node, path=""):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _urls(value, f"{path}.{key}" if path else key)
    else:
        yield path, node


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_url_is_confined_to_the_local_venue(name: str) -> None:
    cfg = ExchangeConfig(name=name, base_url=f"http://127.0.0.1:9/{name}", websocket_url=f"ws://127.0.0.1:9/{name}/ws")
    client = build_client(SPECS[name], cfg)
    leaks = [(k, u) for k, u in _urls(client.urls["api"]) if not is_loopback(u)]
    leaks += [(k, u) for k, u in _urls(client.urls["test"]) if not is_loopback(u)]
    assert leaks == []
    assert not client.enableRateLimit  # no limiter against a local venue


@pytest.mark.parametrize("name", sorted(SPECS))
def test_real_urls_keep_the_rate_limiter(name: str) -> None:
    ws = SPECS[name].url_forms[UrlSource.WS].example
    cfg = ExchangeConfig(name=name, base_url="https://api.example.com", websocket_url=ws, rate_limit_per_second=5)
    client = build_client(SPECS[name], cfg)
    assert client.enableRateLimit and client.rateLimit == 200


def test_ccxt_debug_logs_never_show_credentials(caplog: pytest.LogCaptureFixture) -> None:
    key, secret = "venuekey-1234567890abcdef", "venuesecret-0987654321fedcba"
    cfg = ExchangeConfig(name="binance", base_url="http://127.0.0.1:9/binance", api_key=key, secret_key=secret)
    client = build_client(SPECS["binance"], cfg, private=True)
    with caplog.at_level(logging.DEBUG):
        client.logger.debug("GET /api/v3/account headers %s", {"X-MBX-APIKEY": key, "note": secret})
    assert key not in caplog.text and secret not in caplog.text and "venu...cdef" in caplog.text


async def test_a_ccxt_class_is_first_constructed_once_off_the_event_loop_thread() -> None:
    threads: list[int] = []

    class RecordingKraken(KrakenPro):  # a subclass of arbkit's own class: ccxt's first construction is per class
        def __init__(self, config: dict | None = None) -> None:
            threads.append(threading.get_ident())
            super().__init__(config or {})

    spec = msgspec.structs.replace(KRAKEN_SPEC, pro_class=RecordingKraken)
    await prepare_client(spec)
    await prepare_client(spec)
    assert len(threads) == 1 and threads[0] != threading.get_ident()
    client = build_client(spec, ExchangeConfig(name="kraken", base_url="http://127.0.0.1:9/kraken"))
    assert isinstance(client, RecordingKraken) and threads[-1] == threading.get_ident()
    await client.close()
