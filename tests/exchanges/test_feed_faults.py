"""Regression tests for the book feed's three worst failures, each driven by a real ccxt.pro client against the venue:
a loop that spins on an already-failed ccxt future, a feed task killed by a builtin ConnectionError, and a wrong book
emitted as live when a checksum fails in the same read as the update that resolved the watch."""

from __future__ import annotations

import msgspec
import pytest

from arbkit.config import WebsocketConfig
from arbkit.exchanges import factory
from arbkit.exchanges.book_feed import SequenceGap
from arbkit.exchanges.composite_public import CompositePublicSpotExchange
from arbkit.structs import BookState, BookUpdate, Symbol
from arbkit.venue import LocalVenue
from tests.conftest import PUBLIC_EXCHANGES
from tests.exchanges.test_book_sync import assert_matches_venue
from tests.helpers import wait_for
from tests.loop_guard import loop_guard

BTC = Symbol.parse("BTC/USDT")
DEPTH = 20
BOOK_HASH = {"binance": "orderbook::", "gateio": "orderbook:", "mexc": "orderbook:", "kraken": "orderbook@"}


async def start(venue: LocalVenue, name: str, **ws: float) -> CompositePublicSpotExchange:
    cfg = venue.exchange_config(name)
    settings = {"reconnect_backoff_initial": 0.05, "stall_timeout": 3.0, **ws}
    cfg = msgspec.structs.replace(cfg, websocket_config=WebsocketConfig(book_depth=DEPTH, **settings))
    return await factory.get_composite_implementation(cfg).init([BTC])


def state(composite: CompositePublicSpotExchange) -> BookState:
    return composite.health(BTC)[0].state


def failures(composite: CompositePublicSpotExchange) -> int:
    health = composite.health(BTC)[0]  # a faulty delta can also surface as a failed snapshot sync (a reconnect)
    return health.gaps + health.checksum_failures + health.reconnects


def ws_clients(composite: CompositePublicSpotExchange) -> list[object]:
    return list(composite._client.clients.values())


@pytest.mark.parametrize("name", PUBLIC_EXCHANGES)
async def test_a_failure_recorded_with_no_watch_pending_does_not_spin_the_loop(venue: LocalVenue, name: str) -> None:
    async with loop_guard(3.0):
        composite = await start(venue, name)
        async with composite:
            await wait_for(lambda: composite.health(BTC)[0].updates >= 5)
            message_hash = BOOK_HASH[name] + str(BTC)
            (ws,) = [c for c in ws_clients(composite) if message_hash in c.subscriptions]
            # the first fails the pending watch; the second finds none and is kept as a rejection by ccxt
            ws.reject(SequenceGap(f"{name} test gap 1"), message_hash)
            ws.reject(SequenceGap(f"{name} test gap 2"), message_hash)
            await wait_for(lambda: composite.health(BTC)[0].gaps >= 1)
            before = composite.health(BTC)[0].updates
            await wait_for(lambda: state(composite) is BookState.LIVE and composite.health(BTC)[0].updates > before + 5)
            assert composite.health(BTC)[0].resyncs >= 1
            await assert_matches_venue(composite, venue)


@pytest.mark.parametrize("name", PUBLIC_EXCHANGES)
async def test_a_builtin_connection_error_from_ccxt_does_not_end_the_feed(venue: LocalVenue, name: str) -> None:
    async with loop_guard(3.0):
        composite = await start(venue, name)
        async with composite:
            await wait_for(lambda: composite.health(BTC)[0].updates >= 5)
            venue.close_on_connect(name, 2)  # the reconnects after the drop die before the subscribe is sent
            await venue.drop_connections(name)
            await wait_for(lambda: state(composite) is not BookState.LIVE)
            await wait_for(lambda: venue.context(name).hub.faults.close_on_connect == 0, timeout=15)
            await wait_for(lambda: state(composite) is BookState.LIVE, timeout=15)
            await assert_matches_venue(composite, venue)
            assert composite.health(BTC)[0].reconnects >= 2


@pytest.mark.parametrize("name", PUBLIC_EXCHANGES)
async def test_no_wrong_book_is_emitted_when_a_burst_carries_faulty_deltas(venue: LocalVenue, name: str) -> None:
    wrong: list[str] = []
    compared = [0]

    def check(update: BookUpdate) -> None:
        book = update.book
        if update.health.state is not BookState.LIVE or book.sequence is None:
            return
        expected = venue.book_at(name, str(BTC), book.sequence)
        if expected is None:
            return
        compared[0] += 1
        if book.bids != list(expected.bids[:DEPTH]) or book.asks != list(expected.asks[:DEPTH]):
            wrong.append(f"seq {book.sequence}: best {book.bids[:1]} / {book.asks[:1]} vs {expected.bids[:1]}")

    async with loop_guard(3.0):
        composite = await start(venue, name)
        async with composite:
            composite.add_listener(check)
            await wait_for(lambda: composite.health(BTC)[0].updates >= 5)
            for round_ in range(3):
                # two updates then a lost one, all in one read: the first resolves the watch, the third fails the book
                venue.burst(name, str(BTC), 0.3, faulty=(2, 5))
                await wait_for(lambda r=round_: failures(composite) > r)
                await wait_for(lambda: state(composite) is BookState.LIVE)
                await wait_for(lambda n=compared[0]: compared[0] >= n + 5)
                assert not wrong, f"round {round_}: {wrong[:3]}"
    assert compared[0] >= 10 and not wrong, wrong[:3]
