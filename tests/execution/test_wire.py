"""Both legs signed before either is written: the barrier at ccxt's fetch holds a signed leg until the other leg
is signed or has ended without reaching the wire, and never holds a request outside an execution."""

from __future__ import annotations

import asyncio
import time

from arbkit.execution.wire import LegBarrier, legs_together, released
from arbkit.structs import OrderStatus, Side
from tests.execution.desk import BTC, BUY, SELL, desk


async def test_a_signed_leg_waits_for_the_other_to_end_and_then_goes(tmp_path):
    async with desk(tmp_path) as d:
        backend = d.executor.backends[BUY]
        bid = d.venue.book(BUY, str(BTC)).bids[0][0]
        started = time.monotonic()
        with legs_together(2):
            other = asyncio.get_running_loop().create_task(released(asyncio.sleep(0.3)))  # ends off the wire
            order = asyncio.get_running_loop().create_task(
                released(backend.place_ioc(BTC, Side.BUY, 0.001, round(bid * 0.9, 2), "akwire1", guarded=False))
            )
        placed = await asyncio.wait_for(order, 10)
        await other
        assert time.monotonic() - started >= 0.3  # held, signed, until the other participant ended
        assert placed.status is OrderStatus.EXPIRED and placed.filled == 0  # an IOC below the book: sent once
        # outside an execution nothing is held
        started = time.monotonic()
        await asyncio.wait_for(backend.place_ioc(BTC, Side.BUY, 0.001, round(bid * 0.9, 2), "akwire2"), 10)
        assert time.monotonic() - started < 0.3


async def test_both_legs_of_a_pair_reach_the_venue_and_neither_waits_forever(tmp_path):
    async with desk(tmp_path) as d:
        rows = []
        for venue, side in ((BUY, Side.BUY), (SELL, Side.SELL)):
            book = d.venue.book(venue, str(BTC))
            price = round(book.bids[0][0] * 0.9, 2) if side is Side.BUY else round(book.asks[0][0] * 1.1, 2)
            rows.append((venue, side, price))
        with legs_together(2) as barrier:
            tasks = [
                asyncio.get_running_loop().create_task(
                    released(d.executor.backends[v].place_ioc(BTC, s, 0.001, p, f"akwirep{v[0]}", guarded=False))
                )
                for v, s, p in rows
            ]
        orders = await asyncio.wait_for(asyncio.gather(*tasks), 10)
        assert barrier.ready.is_set() and [o.filled for o in orders] == [0.0, 0.0]


async def test_barrier_counts_arrivals_and_departures():
    barrier = LegBarrier(2)
    waiting = asyncio.get_running_loop().create_task(barrier.arrive())
    await asyncio.sleep(0.01)
    assert not waiting.done()
    barrier._one_less()  # the other leg ended before the wire
    await asyncio.wait_for(waiting, 1)
