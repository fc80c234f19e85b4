"""Fixtures for the venue core tests: a binance-only LocalVenue and a real ccxt.pro client pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import ccxt.pro as ccxtpro
import pytest

from arbkit.venue import LocalVenue

SPOT_ONLY = {
    "defaultType": "spot",
    "fetchMarkets": {"types": ["spot"]},
    "fetchCurrencies": False,
    "fetchMargins": False,
}


def binance_client(venue: LocalVenue, secret: str | None = None) -> ccxtpro.binance:
    """A real ccxt.pro binance whose URL keys point at the venue (spot only, no rate limiter)."""
    cfg = venue.exchange_config("binance")
    exchange = ccxtpro.binance(
        {
            "apiKey": cfg.api_key,
            "secret": secret if secret is not None else cfg.secret_key,
            "enableRateLimit": False,
            "options": dict(SPOT_ONLY),
        }
    )
    exchange.has["fetchCurrencies"] = False
    exchange.timeout_on_exit = 0
    api = exchange.urls["api"]
    api["public"] = api["private"] = f"{cfg.base_url}/api/v3"
    api["sapi"] = f"{cfg.base_url}/sapi/v1"
    api["ws"]["spot"] = cfg.websocket_url
    api["ws"]["ws-api"]["spot"] = cfg.settings["private_websocket_url"]
    return exchange


@pytest.fixture
async def local_venue() -> AsyncIterator[LocalVenue]:
    """A running binance venue stepping every 20 ms."""
    async with LocalVenue(["binance"], seed=7, update_interval=0.02) as venue:
        yield venue


@pytest.fixture
async def paused_venue() -> AsyncIterator[LocalVenue]:
    """A binance venue that only moves on ``await venue.step()``."""
    async with LocalVenue(["binance"], seed=7, update_interval=0.02) as venue:
        venue.pause()
        yield venue


@pytest.fixture
async def binance(local_venue: LocalVenue) -> AsyncIterator[ccxtpro.binance]:
    exchange = binance_client(local_venue)
    try:
        yield exchange
    finally:
        await exchange.close()


@pytest.fixture
async def paused_binance(paused_venue: LocalVenue) -> AsyncIterator[ccxtpro.binance]:
    exchange = binance_client(paused_venue)
    try:
        yield exchange
    finally:
        await exchange.close()
