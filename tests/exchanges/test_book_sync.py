"""The client's book equals the venue's book at the same sequence id: after many updates, gaps, drops and stalls."""

from __future__ import annotations

import asyncio
import time

import msgspec
import pytest

from arbkit.config import WebsocketConfig
from arbkit.exchanges import factory
from arbkit.exchanges.composite_public import CompositePublicSpotExchange
from arbkit.structs import BookState, Symbol
from arbkit.venue import LocalVenue
from tests.conftest import PUBLIC_EXCHANGES
from tests.helpers import wait_for

BTC = Symbol.parse("BTC/USDT")
DEPTH = 20


async def start(venue: LocalVenue, name: str, **ws: float) -> CompositePublicSpotExchange:
    cfg = venue.exchange_config(name)
    cfg = msgspec.structs.replace(cfg, websocket_config=WebsocketConfig(book_depth=DEPTH, **ws))
    return await factory.get_composite_implementation(cfg).init([BTC])


async def assert_matches_venue(composite: CompositePublicSpotExchange, venue: LocalVenue, samples: int = 5) -> None:
    """Sample the live book several times; each must equal the venue's book at the same sequence id."""
    checked = 0
    deadline = time.monotonic() + 10
    last_seq = None
    while checked < samples and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        book = composite.book(BTC)
        if book is None or book.sequence == last_seq or composite.health(BTC)[0].state is not BookState.LIVE:
            continue
        expected = venue.book_at(composite.name, str(BTC), book.sequence)
        if expected is None:  # older than the venue's history window: take a newer sample
            continue
        assert book.bids == list(expected.bids[:DEPTH]), f"bids differ at seq {book.sequence}"
        assert book.asks == list(expected.asks[:DEPTH]), f"asks differ at seq {book.sequence}"
        last_seq = book.sequence
        checked += 1
    assert checked == samples, f"only {checked} comparable samples"


@pytest.mark.parametrize("name", PUBLIC_EXCHANGES)
async def test_book_equals_venue_after_many_updates(venue: LocalVenue, name: str) -> None:
    composite = await start(venue, name)
    async with composite:
        await wait_for(lambda: composite.health(BTC)[0].updates >= 30)
        await assert_matches_venue(composite, venue)


@pytest.mark.parametrize("name", PUBLIC_EXCHANGES)
async def test_gap_leads_to_resync_and_equal_book(venue: LocalVenue, name: str) -> None:
    composite = await start(venue, name)
    async with composite:
        await wait_for(lambda: composite.health(BTC)[0].updates >= 5)
        venue.skip_sequence(name, str(BTC))
        # a lost update shows as a sequence gap, or (kraken, which has no sequence ids) as a checksum mismatch
        await wait_for(lambda: composite.health(BTC)[0].gaps + composite.health(BTC)[0].checksum_failures >= 1)
        await wait_for(lambda: composite.health(BTC)[0].state is BookState.LIVE)
        health = composite.health(BTC)[0]
        assert health.resyncs >= 1 and health.last_error
        if not health.checksum_failures:  # a gap is named a gap (ccxt words binance's as "checksum validation failed")
            assert "checksum" not in health.last_error, health.last_error
        await assert_matches_venue(composite, venue)


@pytest.mark.parametrize("name", PUBLIC_EXCHANGES)
async def test_dropped_connection_reconnects_and_resyncs(venue: LocalVenue, name: str) -> None:
    composite = await start(venue, name, reconnect_backoff_initial=0.05)
    async with composite:
        await wait_for(lambda: composite.health(BTC)[0].updates >= 5)
        await venue.drop_connections(name)
        await wait_for(lambda: composite.health(BTC)[0].reconnects >= 1)
        await wait_for(lambda: composite.health(BTC)[0].state is BookState.LIVE)
        await assert_matches_venue(composite, venue)


@pytest.mark.parametrize("name", PUBLIC_EXCHANGES)
async def test_stalled_stream_is_detected_and_recovered(venue: LocalVenue, name: str) -> None:
    composite = await start(venue, name, stall_timeout=0.4, reconnect_backoff_initial=0.05)
    async with composite:
        await wait_for(lambda: composite.health(BTC)[0].updates >= 5)
        venue.stall(name, 1.5)
        await wait_for(lambda: composite.health(BTC)[0].state is not BookState.LIVE, timeout=5)
        assert composite.health(BTC)[0].last_error
        await wait_for(lambda: composite.health(BTC)[0].state is BookState.LIVE, timeout=10)
        assert composite.health(BTC)[0].resyncs >= 1
        await assert_matches_venue(composite, venue)
