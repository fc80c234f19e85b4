"""Public composites through the factory, and each public component alone, against the local venue."""

from __future__ import annotations

import asyncio

import pytest

from arbkit.errors import UnknownSymbolError
from arbkit.exchanges import factory
from arbkit.structs import BookState, ExchangeEnum, ExchangeStatus, Symbol
from arbkit.venue import LocalVenue
from tests.conftest import PUBLIC_EXCHANGES

BTC = Symbol.parse("BTC/USDT")
ETH = Symbol.parse("ETH/USDT")


@pytest.mark.parametrize("name", PUBLIC_EXCHANGES)
async def test_public_composite_through_factory(venue: LocalVenue, name: str) -> None:
    composite = factory.get_composite_implementation(venue.exchange_config(name))
    async with composite:
        await composite.init([BTC, ETH])
        assert composite.is_connected
        assert composite.status is ExchangeStatus.ACTIVE
        assert set(composite.active_symbols) == {BTC, ETH}
        book = await composite.get_orderbook(BTC)
        assert book.exchange == name and book.symbol == BTC
        assert book.bids and book.asks and book.best_bid < book.best_ask
        assert book.sequence is not None
        info = composite.symbols_info[BTC]
        assert info.tick_size > 0 and info.step_size > 0 and 0 <= info.taker_fee < 0.01
        seen = []
        remove = composite.add_listener(seen.append)
        await asyncio.sleep(0.3)
        remove()
        assert seen and all(u.book.exchange == name for u in seen)
        [health] = composite.health(BTC)
        assert health.state is BookState.LIVE and health.updates > 0 and health.age_ms < 5000
    assert composite.status is ExchangeStatus.CLOSED and not composite.is_connected


@pytest.mark.parametrize("name", PUBLIC_EXCHANGES)
async def test_rest_component_alone(venue: LocalVenue, name: str) -> None:
    cfg = venue.exchange_config(name)
    rest = factory.EXCHANGE_REST_MAP[(ExchangeEnum(name), False)](cfg)
    try:
        infos = await rest.get_symbols_info()
        assert BTC in infos and infos[BTC].min_notional >= 0
        book = await rest.get_orderbook(BTC, 10)
        assert 0 < len(book.bids) <= 10 and book.bids[0][0] < book.asks[0][0]
        ticker = await rest.get_ticker(BTC)
        assert ticker.bid and ticker.ask and ticker.bid <= ticker.ask
        trades = await rest.get_recent_trades(BTC, 5)
        assert isinstance(trades, list)
        with pytest.raises(UnknownSymbolError, match=f"{name}: symbol NOPE/USDT is not listed"):
            await rest.get_orderbook(Symbol.parse("NOPE/USDT"))
    finally:
        await rest.close()


@pytest.mark.parametrize("name", PUBLIC_EXCHANGES)
async def test_websocket_component_alone(venue: LocalVenue, name: str) -> None:
    ws = factory.EXCHANGE_WS_MAP[(ExchangeEnum(name), False)](venue.exchange_config(name))
    assert not ws.is_connected
    await ws.connect()
    await ws.subscribe_orderbook(ETH)
    assert await ws.wait_live([ETH], 10) == []
    assert ws.is_connected
    received = []
    async for update in ws.updates():
        received.append(update)
        if len(received) == 3:
            break
    assert [u.book.symbol for u in received] == [ETH] * 3
    await ws.close()
    assert not ws.is_connected


async def test_unlisted_symbol_is_named(venue: LocalVenue) -> None:
    composite = factory.get_composite_implementation(venue.exchange_config("binance"))
    with pytest.raises(UnknownSymbolError, match="binance: symbol FOO/USDT is not listed"):
        await composite.init(["FOO/USDT"])
    assert composite.status is ExchangeStatus.CLOSED
    lenient = factory.get_composite_implementation(venue.exchange_config("binance"))
    async with lenient:
        await lenient.init(["FOO/USDT", "BTC/USDT"], strict=False)
        assert lenient.unlisted == [Symbol.parse("FOO/USDT")] and lenient.active_symbols == [BTC]
