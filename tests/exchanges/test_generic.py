"""Any ccxt exchange works with zero new code through the generic fallback chosen by ``ccxt_id``."""

from __future__ import annotations

import pytest

from arbkit.config import ExchangeConfig
from arbkit.errors import ConfigurationError
from arbkit.exchanges import factory
from arbkit.exchanges.generic import generic_spec
from arbkit.structs import BookState, Symbol
from arbkit.venue import LocalVenue

BTC = Symbol.parse("BTC/USDT")


async def test_generic_fallback_streams_a_live_book(venue: LocalVenue) -> None:
    served = venue.exchange_config("binance")
    cfg = ExchangeConfig(
        name="binance_generic", ccxt_id="binance", base_url=served.base_url, websocket_url=served.websocket_url
    )
    assert cfg.exchange_enum is None  # no dedicated module is involved
    composite = factory.get_composite_implementation(cfg)
    async with composite:
        await composite.init([BTC])
        book = await composite.get_orderbook(BTC)
        assert book.exchange == "binance_generic" and book.best_bid < book.best_ask
        assert composite.health(BTC)[0].state is BookState.LIVE


def test_generic_spec_keeps_real_urls_for_real_hosts() -> None:
    cfg = ExchangeConfig(name="okx", ccxt_id="okx", base_url="https://www.okx.com")
    assert generic_spec(cfg).urls == ()


def test_unregistered_exchange_without_ccxt_id_is_a_clear_error() -> None:
    cfg = ExchangeConfig(name="nowhere", base_url="https://example.com")
    with pytest.raises(ConfigurationError, match="exchanges.nowhere: no public implementation registered"):
        factory.get_composite_implementation(cfg)
