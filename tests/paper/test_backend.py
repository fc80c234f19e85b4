"""PaperBackend: latency against a moving book, consumed depth across orders, balances, refusals, lookups."""

from __future__ import annotations

import asyncio

import pytest

from arbkit.errors import InsufficientFundsError, InvalidOrderError, OrderNotFoundError
from arbkit.structs import OrderStatus, Side
from tests.paper.helpers import BTC, Books, StepClock, backend, info

ASKS = [(100.0, 0.5), (100.5, 0.5), (101.0, 1.0)]
BIDS = [(99.5, 0.5), (99.0, 1.0)]


async def test_second_order_in_the_same_window_sees_what_the_first_consumed() -> None:
    books = Books()
    books.set("binance", BIDS, ASKS)
    paper = backend("binance", books, StepClock())
    first = await paper.place_ioc(BTC, Side.BUY, 0.75, 101.0, "c1")
    assert first.status is OrderStatus.FILLED and first.average_price == pytest.approx((50 + 25.125) / 0.75)
    second = await paper.place_ioc(BTC, Side.BUY, 0.5, 100.5, "c2")  # only 0.25 left at 100.5
    assert second.status is OrderStatus.EXPIRED and second.filled == pytest.approx(0.25)
    third = await paper.place_ioc(BTC, Side.BUY, 0.5, 100.0, "c3")  # 100.0 is used up
    assert third.filled == 0 and third.average_price is None


async def test_balances_move_with_every_fill() -> None:
    books = Books()
    books.set("binance", BIDS, ASKS)
    fee = 0.001
    paper = backend("binance", books, StepClock(), balances={"USDT": 1000.0, "BTC": 1.0})
    await paper.place_ioc(BTC, Side.BUY, 0.5, 100.0, "b1")
    balances = paper.balances()
    assert balances["USDT"].free == pytest.approx(1000.0 - 50.0)
    assert balances["BTC"].free == pytest.approx(1.0 + 0.5 * (1 - fee))  # fee in the asset received
    await paper.place_ioc(BTC, Side.SELL, 1.0, 99.0, "s1")
    balances = await paper.refresh_balances()
    assert balances["BTC"].free == pytest.approx(0.5 - 0.0005)
    assert balances["USDT"].free == pytest.approx(950.0 + (49.75 + 49.5) * (1 - fee))


async def test_refusals_are_the_exchange_errors_and_leave_no_order() -> None:
    books = Books()
    books.set("binance", BIDS, ASKS)
    paper = backend("binance", books, StepClock(), balances={"USDT": 10.0, "BTC": 0.0})
    with pytest.raises(InsufficientFundsError, match="needs 50"):
        await paper.place_ioc(BTC, Side.BUY, 0.5, 100.0, "r1")
    with pytest.raises(InvalidOrderError, match="tick size"):
        await paper.place_ioc(BTC, Side.BUY, 0.01, 100.001, "r2")
    with pytest.raises(InvalidOrderError, match="below the minimum"):
        await paper.place_ioc(BTC, Side.BUY, 0.0001, 100.0, "r3")
    assert await paper.find_order(BTC, "r1") is None and paper.records == []
    assert paper.balances()["USDT"].free == 10.0
    with pytest.raises(InvalidOrderError, match="duplicate"):  # a refused client id is not reusable either
        await paper.place_ioc(BTC, Side.BUY, 0.01, 100.0, "r1")


async def test_duplicate_client_id_is_refused_and_lookups_agree() -> None:
    books = Books()
    books.set("binance", BIDS, ASKS)
    paper = backend("binance", books, StepClock())
    order = await paper.place_ioc(BTC, Side.SELL, 0.25, 99.5, "d1")
    with pytest.raises(InvalidOrderError, match="duplicate"):
        await paper.place_ioc(BTC, Side.SELL, 0.25, 99.5, "d1")
    assert len(paper.records) == 1
    assert await paper.find_order(BTC, "d1") == order == await paper.get_order(BTC, order.order_id)
    fills = await paper.order_fills(BTC, order.order_id, 0)
    assert [(f.price, f.quantity) for f in fills] == [(99.5, 0.25)]
    assert fills[0].fee_quote == pytest.approx(order.fee_cost)
    await paper.cancel(BTC, order.order_id)  # final: nothing to cancel, no error
    with pytest.raises(OrderNotFoundError):
        await paper.get_order(BTC, "nope")
    assert await paper.open_orders() == [] and await paper.cancel_all() == 0
    assert await paper.arm_dead_man(60) is False and paper.stream_up


async def test_book_moves_during_the_latency_window_partial_then_empty() -> None:
    books = Books()
    books.set("mexc", BIDS, ASKS)
    clock = StepClock()
    paper = backend("mexc", books, clock, latency_ms=70)
    sending = asyncio.ensure_future(paper.place_ioc(BTC, Side.BUY, 1.0, 100.5, "m1"))
    await asyncio.sleep(0)
    assert await paper.find_order(BTC, "m1") is None  # in flight: the exchange does not know it yet
    # during the window the best ask is lifted and a better ask appears: neither helps the order
    books.set("mexc", BIDS, [(99.9, 5.0), (100.5, 0.3), (101.0, 1.0)])
    await clock.advance(69)
    assert not sending.done()
    await clock.advance(1)
    order = await sending
    assert order.status is OrderStatus.EXPIRED and order.filled == pytest.approx(0.3)
    assert order.average_price == 100.5 and paper.record("m1").acted_ms - paper.record("m1").sent_ms == 70
    books.set("mexc", BIDS, [(101.5, 2.0)])  # everything within the limit is gone by the time it arrives
    sending = asyncio.ensure_future(paper.place_ioc(BTC, Side.BUY, 1.0, 101.0, "m2"))
    await asyncio.sleep(0)
    books.set("mexc", BIDS, [(100.0, 2.0)])
    await clock.advance(70)
    assert (await sending).filled == 0


async def test_an_order_still_lands_when_the_caller_stops_waiting() -> None:
    books = Books()
    books.set("kraken", BIDS, ASKS)
    clock = StepClock()
    paper = backend("kraken", books, clock, latency_ms=120, symbol_info=info("kraken"))
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(paper.place_ioc(BTC, Side.SELL, 0.5, 99.5, "k1"), 0.01)
    assert await paper.find_order(BTC, "k1") is None
    await clock.advance(120)
    found = await paper.find_order(BTC, "k1")
    assert found is not None and found.filled == pytest.approx(0.5)
    await paper.close()


async def test_latency_sampled_from_measured_round_trips_is_seeded() -> None:
    from arbkit.paper.config import LatencySampler

    draws = [LatencySampler([10, 20, 30, 40], "7:binance").next_ms() for _ in range(3)]
    again = [LatencySampler([10, 20, 30, 40], "7:binance").next_ms() for _ in range(3)]
    assert draws == again and set(draws) <= {10.0, 20.0, 30.0, 40.0}
    sampler = LatencySampler([10, 20, 30, 40], 3)
    assert len({sampler.next_ms() for _ in range(50)}) > 1


async def test_same_seed_books_and_clock_give_the_same_orders() -> None:
    """Deterministic: sampled latencies, fills and balances repeat exactly for the same inputs."""
    from arbkit.paper.backend import PaperBackend
    from arbkit.paper.config import LatencySampler

    async def trade() -> list:
        books = Books()
        books.set("gateio", BIDS, ASKS)
        clock = StepClock()
        sampler = LatencySampler([10, 40, 90], "5:gateio")
        paper = PaperBackend("gateio", books, {BTC: info("gateio")}, clock, sampler, {"USDT": 1e4, "BTC": 1.0})
        for n in range(6):
            sending = asyncio.ensure_future(paper.place_ioc(BTC, Side.BUY if n % 2 else Side.SELL, 0.3,
                                                           101.0 if n % 2 else 99.0, f"o{n}"))  # fmt: skip
            await asyncio.sleep(0)
            books.set("gateio", BIDS[n % 2 :], ASKS[n % 3 :])  # the book moves during every window
            while not sending.done():
                await clock.advance(10)
        return [(r.order, r.fills, r.sent_ms, r.acted_ms, r.latency_ms) for r in paper.records] + [paper.balances()]

    first, second = await trade(), await trade()
    assert first == second and len({row[4] for row in first[:-1]}) > 1
