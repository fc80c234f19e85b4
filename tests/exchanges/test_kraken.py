"""Kraken-specific behaviour of arbkit's kraken module: the CRC32 book check, resync on a bad checksum or a lost
update, the book sequence, and URL wiring."""

from __future__ import annotations

import asyncio
import functools
import time
import zlib
from collections.abc import AsyncIterator

import msgspec
import pytest

from arbkit.config import ExchangeConfig, WebsocketConfig
from arbkit.exchanges import factory
from arbkit.exchanges.ccxt_client import build_client
from arbkit.exchanges.composite_public import CompositePublicSpotExchange
from arbkit.exchanges.kraken import KRAKEN_SPEC, KrakenPro, kraken_checksum
from arbkit.structs import BookState, Symbol
from arbkit.venue import LocalVenue
from arbkit.venue.protocols.kraken import book_checksum, corrupt_checksum
from tests import helpers

BTC = Symbol.parse("BTC/USDT")
DEPTH = 20


@pytest.fixture
async def venue() -> AsyncIterator[LocalVenue]:
    async with LocalVenue(["kraken"], seed=3, update_interval=0.02) as running:
        yield running


async def start(venue: LocalVenue) -> CompositePublicSpotExchange:
    cfg = venue.exchange_config("kraken")
    ws = WebsocketConfig(book_depth=DEPTH, reconnect_backoff_initial=0.05, stall_timeout=2.0)
    composite = factory.get_composite_implementation(msgspec.structs.replace(cfg, websocket_config=ws))
    return await composite.init([BTC])


wait_for = functools.partial(helpers.wait_for, timeout=8.0)


async def assert_matches_venue(composite: CompositePublicSpotExchange, venue: LocalVenue, samples: int = 4) -> None:
    checked, last = 0, None
    deadline = time.monotonic() + 8
    while checked < samples and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        book = composite.book(BTC)
        if book is None or book.sequence == last or composite.health(BTC)[0].state is not BookState.LIVE:
            continue
        expected = venue.book_at("kraken", str(BTC), book.sequence)  # type: ignore[arg-type]
        if expected is None:
            continue
        assert book.bids == expected.bids[:DEPTH] and book.asks == expected.asks[:DEPTH], f"seq {book.sequence}"
        last, checked = book.sequence, checked + 1
    assert checked == samples, f"only {checked} comparable samples"


def test_client_and_venue_checksums_agree_on_kraken_formatting() -> None:
    """Leading zeros and the decimal point go; trailing zeros of the precision stay."""
    bids = [(0.15, 1200.0), (0.14999, 7.0)]
    asks = [(0.15001, 30.0), (0.1501, 5.0)]
    ours = kraken_checksum([list(b) for b in bids], [list(a) for a in asks], 5, 0)
    assert ours == book_checksum(bids, asks, 5, 0)
    assert ours == zlib.crc32(b"1500130" + b"150105" + b"150001200" + b"149997")


def test_spec_routes_every_kraken_url_to_the_config() -> None:
    real = build_client(KRAKEN_SPEC, ExchangeConfig(name="kraken", base_url="https://api.kraken.com"))
    assert isinstance(real, KrakenPro)
    assert real.urls["api"]["ws"]["privateV2"] == "wss://ws-auth.kraken.com/v2"  # the real default
    cfg = ExchangeConfig(
        name="kraken",
        base_url="http://127.0.0.1:9/kraken",
        websocket_url="ws://127.0.0.1:9/kraken/v2",
        settings={"private_websocket_url": "ws://127.0.0.1:9/kraken/auth/v2"},
    )
    api = build_client(KRAKEN_SPEC, cfg).urls["api"]
    assert api["public"] == api["private"] == "http://127.0.0.1:9/kraken"
    assert api["ws"]["publicV2"] == "ws://127.0.0.1:9/kraken/v2"
    assert api["ws"]["privateV2"] == "ws://127.0.0.1:9/kraken/auth/v2"


async def test_live_book_sequence_lines_up_with_the_venue(venue: LocalVenue) -> None:
    composite = await start(venue)
    async with composite:
        await wait_for(lambda: composite.health(BTC)[0].updates >= 10)
        await assert_matches_venue(composite, venue)
        assert composite.health(BTC)[0].checksum_failures == 0


async def test_corrupt_checksum_fails_the_book_and_resyncs(venue: LocalVenue) -> None:
    composite = await start(venue)
    async with composite:
        await wait_for(lambda: composite.health(BTC)[0].updates >= 5)
        corrupt_checksum(venue, str(BTC))
        await wait_for(lambda: composite.health(BTC)[0].checksum_failures >= 1)
        await wait_for(lambda: composite.health(BTC)[0].state is BookState.LIVE)
        health = composite.health(BTC)[0]
        assert health.checksum_failures == 1 and health.resyncs == 1 and health.gaps == 0
        assert "checksum" in (health.last_error or "")
        updates = health.updates
        await wait_for(lambda: composite.health(BTC)[0].updates >= updates + 5)  # resubscribed on the same socket
        await assert_matches_venue(composite, venue)


async def test_lost_update_is_caught_by_the_checksum(venue: LocalVenue) -> None:
    composite = await start(venue)
    async with composite:
        await wait_for(lambda: composite.health(BTC)[0].updates >= 5)
        venue.skip_sequence("kraken", str(BTC))
        await wait_for(lambda: composite.health(BTC)[0].checksum_failures >= 1)
        await wait_for(lambda: composite.health(BTC)[0].state is BookState.LIVE)
        await assert_matches_venue(composite, venue)
