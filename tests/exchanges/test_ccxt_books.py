"""``ccxt_books``' websocket client against the venue: closing a client ends a dial still waiting out ccxt's dial
backoff (ccxt leaves that task running after the exchange is closed)."""

from __future__ import annotations

import asyncio

import pytest

from arbkit.structs import Symbol
from arbkit.venue import LocalVenue
from tests.conftest import PUBLIC_EXCHANGES
from tests.exchanges.test_feed_faults import start
from tests.helpers import wait_for

BTC = Symbol.parse("BTC/USDT")


def dials() -> list[asyncio.Task[object]]:
    return [t for t in asyncio.all_tasks() if getattr(t.get_coro(), "__qualname__", "") == "Client.open"]


@pytest.mark.parametrize("name", PUBLIC_EXCHANGES)
async def test_closing_ends_a_dial_waiting_out_the_backoff(venue: LocalVenue, name: str) -> None:
    composite = await start(venue, name)
    async with composite:
        await wait_for(lambda: composite.health(BTC)[0].updates >= 2)
        exchange = composite._client
        # ccxt's own backoff after failed dials to these URLs: the next dial first sleeps 20 s
        until = exchange.milliseconds() + 20_000
        exchange.ws_dial_backoff = {url: {"attempts": 8, "until": until} for url in exchange.clients}
        await venue.drop_connections(name)
        await wait_for(lambda: len(dials()) >= 1)  # the feed's next watch dials, and waits
    await asyncio.sleep(0)  # the cancelled dial unwinds
    assert dials() == []
