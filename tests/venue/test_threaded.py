"""VenueThread: the local venue on its own thread and loop, reached from the caller's loop only through run/call."""

from __future__ import annotations

import threading

import pytest

from arbkit.errors import ArbkitError
from arbkit.venue import VenueThread
from tests.venue.conftest import binance_client


async def test_venue_serves_from_its_own_thread_and_loop() -> None:
    async with VenueThread(["binance"], seed=7, update_interval=0.02) as vt:
        assert vt.alive
        assert await vt.run(threading.get_ident) != threading.get_ident()
        await vt.run(vt.venue.pause)
        await vt.run(vt.venue.step, 3)  # a coroutine function: awaited on the venue's loop
        exchange = binance_client(vt)  # type: ignore[arg-type]  # exchange_config is all it reads
        try:
            book = await exchange.fetch_order_book("BTC/USDT", 5)
        finally:
            await exchange.close()
        venue_book = await vt.run(vt.venue.book, "binance", "BTC/USDT")
        assert [tuple(level) for level in book["bids"]] == list(venue_book.bids[:5])
        assert [tuple(level) for level in book["asks"]] == list(venue_book.asks[:5])
        assert book["nonce"] == venue_book.seq


async def test_faults_run_on_the_venue_loop_and_errors_come_back() -> None:
    async with VenueThread(["binance"], seed=7, update_interval=0.02) as vt:
        exchange = binance_client(vt)  # type: ignore[arg-type]
        try:
            await exchange.watch_order_book("BTC/USDT")
            assert await vt.run(vt.venue.drop_connections, "binance") == 1
            await vt.run(vt.venue.stall, "binance", 0.05)  # needs the venue's running loop (call_later)
            assert await vt.run(lambda: vt.venue.context("binance").hub.stalled)
        finally:
            await exchange.close()
        with pytest.raises(ValueError, match="'kraken' is not served"):
            await vt.run(vt.venue.context, "kraken")
        with pytest.raises(ValueError, match="'kraken' is not served"):
            vt.exchange_config("kraken")


async def test_close_ends_the_thread_and_later_calls_are_refused() -> None:
    vt = VenueThread(["binance"], seed=7, update_interval=0.02)
    with pytest.raises(ArbkitError, match="not running"):
        vt.submit(print)
    async with vt:
        port = vt.exchange_config("binance").base_url
        assert vt.origin in port
    assert not vt.alive
    await vt.close()  # twice is fine
    with pytest.raises(ArbkitError, match="not running"):
        await vt.run(print)
    with pytest.raises(ArbkitError, match="not running"):
        vt.call_soon(print)


def test_blocking_use_from_plain_code_and_no_deadlock_from_its_own_thread() -> None:
    order: list[int] = []
    with VenueThread(["binance"], seed=7, update_interval=0.02) as vt:
        assert vt.call(lambda: vt.venue.exchanges) == ["binance"]
        for n in range(5):
            vt.call_soon(order.append, n)
        vt.call(lambda: None)  # queued after the five: they have run when it returns
        with pytest.raises(ArbkitError, match="would deadlock"):
            vt.call(vt.call, lambda: None)
    assert order == [0, 1, 2, 3, 4]
    assert not vt.alive


async def test_a_venue_that_cannot_start_says_why_and_leaves_no_thread() -> None:
    vt = VenueThread(["nosuchexchange"])
    with pytest.raises(ValueError, match="nosuchexchange"):
        await vt.start()
    assert not vt.alive
