"""Session._keep_trying: any failure to start an exchange marks it out with its reason and is retried; a
configuration error is final and reported; a config error in ``arbitrage:`` or a URL surfaces before connecting."""

from __future__ import annotations

import msgspec
import pytest

from arbkit.config import ArbkitConfig, ExchangeConfig
from arbkit.errors import ConfigurationError
from arbkit.runtime.session import connect
from arbkit.venue import LocalVenue
from tests.helpers import wait_for


def _row(session, name: str):
    return next((s for s in session.status() if s.exchange == name), None)


async def test_a_non_arbkit_failure_marks_the_exchange_out_and_is_retried() -> None:
    async with LocalVenue(exchanges=["binance", "gateio"], seed=3, update_interval=0.02) as venue:
        # Built in code (the YAML path refuses it): NaN makes ccxt's client construction raise a bare ValueError.
        broken = msgspec.structs.replace(venue.exchange_config("binance"), request_timeout=float("nan"))
        config = ArbkitConfig(exchanges={"binance": broken, "gateio": venue.exchange_config("gateio")})
        session = await connect(config, venue=venue, symbols=["BTC/USDT"], name="test-keep-trying", wait=False)
        try:
            await wait_for(lambda: (row := _row(session, "binance")) is not None and row.state == "out")
            assert _row(session, "binance").reason.startswith("ValueError: ")
            assert session.scanner.out["binance"].startswith("ValueError: ")
            assert "binance" in session._starting  # still being retried in the background
            await wait_for(lambda: "gateio" in session.exchanges)  # the others are not disturbed
        finally:
            await session.stop()


async def test_a_configuration_error_at_start_is_final_and_reported() -> None:
    async with LocalVenue(exchanges=["binance", "gateio"], seed=3, update_interval=0.02) as venue:
        wrong = msgspec.structs.replace(venue.exchange_config("gateio"), api_version="v3")
        config = ArbkitConfig(exchanges={"binance": venue.exchange_config("binance"), "gateio": wrong})
        session = await connect(config, venue=venue, symbols=["BTC/USDT"], name="test-keep-trying-cfg", wait=False)
        try:
            await wait_for(lambda: "gateio" not in session._starting)
            row = _row(session, "gateio")
            assert row is not None and row.state == "out"
            assert row.reason.startswith("exchanges.gateio.api_version: arbkit speaks gateio API v4")
            assert "gateio" not in session._starting  # not retried: it cannot start until the config changes
        finally:
            await session.stop()


async def test_live_urls_and_arbitrage_section_fail_before_anything_connects() -> None:
    gate = ExchangeConfig(name="gateio", base_url="https://api.gateio.ws/api/v3")
    with pytest.raises(ConfigurationError, match=r"^exchanges.gateio.base_url: 'https://api.gateio.ws/api/v3'"):
        await connect(ArbkitConfig(exchanges={"gateio": gate}), venue=False, name="test-live-urls")
    binance = ExchangeConfig(name="binance", base_url="https://api.binance.com")
    config = ArbkitConfig(exchanges={"binance": binance, "gateio": gate}, sections={"arbitrage": [1]})
    with pytest.raises(ConfigurationError, match=r"^arbitrage: expected a mapping, got a list$"):
        await connect(config, venue=True, name="test-arbitrage-first")


async def test_the_venue_section_sets_the_local_venue_defaults() -> None:
    from arbkit.config import parse_config

    text = (
        "exchanges:\n"
        "  binance: {api_key: '', secret_key: '', base_url: 'https://api.binance.com'}\n"
        "  gateio: {api_key: '', secret_key: '', base_url: 'https://api.gateio.ws'}\n"
        "venue: {seed: 11, update_interval: 0.03}\n"
    )
    session = await connect(parse_config(text, env={}), symbols=["BTC/USDT"], name="test-venue-section", wait=False)
    try:
        assert session.venue.update_interval == 0.03
    finally:
        await session.stop()
    explicit = await connect(
        parse_config(text, env={}), symbols=["BTC/USDT"], name="test-venue-explicit", wait=False, update_interval=0.04
    )
    try:
        assert explicit.venue.update_interval == 0.04  # an explicit argument wins over the file
    finally:
        await explicit.stop()


async def test_a_malformed_symbol_is_one_configuration_error_before_anything_starts() -> None:
    with pytest.raises(ConfigurationError, match=r"^symbols: symbol 'BTCUSDT': expected BASE/QUOTE such as BTC/USDT$"):
        await connect(ArbkitConfig(exchanges={}), venue=False, symbols=["BTCUSDT"], name="test-bad-symbol")
