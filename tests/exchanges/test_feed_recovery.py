"""Per-symbol recovery on multiplexed sockets (Gate.io, MEXC, Kraken): a failed book resyncs alone, unsubscribing
and subscribing again on the shared connection, while the other symbols on it keep streaming untouched."""

from __future__ import annotations

import msgspec
import pytest

from arbkit.config import WebsocketConfig
from arbkit.exchanges import factory
from arbkit.exchanges.composite_public import CompositePublicSpotExchange
from arbkit.structs import BookState, Symbol
from arbkit.venue import LocalVenue
from tests.helpers import wait_for
from tests.loop_guard import loop_guard

BTC, ETH = Symbol.parse("BTC/USDT"), Symbol.parse("ETH/USDT")
MULTIPLEXED = ["gateio", "kraken", "mexc"]


async def start(venue: LocalVenue, name: str) -> CompositePublicSpotExchange:
    cfg = venue.exchange_config(name)
    ws = WebsocketConfig(book_depth=20, reconnect_backoff_initial=0.05, stall_timeout=3.0)
    return await factory.get_composite_implementation(msgspec.structs.replace(cfg, websocket_config=ws)).init(
        [BTC, ETH]
    )


@pytest.mark.parametrize("name", MULTIPLEXED)
async def test_a_gap_on_one_symbol_leaves_the_other_streaming(venue: LocalVenue, name: str) -> None:
    async with loop_guard(3.0):
        composite = await start(venue, name)
        async with composite:
            await wait_for(lambda: all(h.updates >= 5 for h in composite.health()))
            sockets = {id(c) for c in composite._client.clients.values()}
            assert len(sockets) == 1, "both books share one connection"
            for _ in range(3):
                failed = composite.health(BTC)[0]
                venue.skip_sequence(name, str(BTC))
                await wait_for(
                    lambda f=failed: (lambda h: h.gaps + h.checksum_failures > f.gaps + f.checksum_failures)(
                        composite.health(BTC)[0]
                    )
                )
                await wait_for(lambda: composite.health(BTC)[0].state is BookState.LIVE)
            eth = composite.health(ETH)[0]
            assert eth.state is BookState.LIVE
            assert (eth.resyncs, eth.gaps, eth.reconnects, eth.checksum_failures) == (0, 0, 0, 0), eth
            assert composite.health(BTC)[0].resyncs >= 3
            assert {id(c) for c in composite._client.clients.values()} == sockets, composite.health()
            before = eth.updates
            await wait_for(lambda: composite.health(ETH)[0].updates > before + 5)
