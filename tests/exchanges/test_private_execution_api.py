"""The private components' execution calls against the local venue, through ccxt's real requests, on every exchange:
lookup by client id, cancel-all, trade history, dead-man switches, validate-only orders, staleness guards, and the
venue's execution faults (dropped acknowledgement, latency, rejection, partial IOC, private stream cut)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from arbkit.errors import (
    ExchangeNetworkError,
    InsufficientFundsError,
    InvalidOrderError,
    NotSupportedError,
    OrderNotFoundError,
    RateLimitError,
)
from arbkit.exchanges import factory
from arbkit.exchanges.composite_private import CompositePrivateSpotExchange
from arbkit.structs import OrderStatus, OrderUpdate, Side, Symbol, TimeInForce
from arbkit.venue import LocalVenue
from tests.conftest import PRIVATE_EXCHANGES
from tests.helpers import wait_for

BTC = Symbol.parse("BTC/USDT")
DEAD_MAN = {"kraken": True, "gateio": True, "binance": False, "mexc": False}
VALIDATE = {"kraken", "binance", "mexc"}  # Gate.io has no validate-only order path
STALENESS = {"kraken", "binance"}  # MEXC: ccxt signs recvWindow from its options only


def round_to(value: float, step: float) -> float:
    return round(round(value / step) * step, 10)


async def private_for(venue: LocalVenue, name: str, timeout_ms: int | None = None) -> CompositePrivateSpotExchange:
    """An initialised private composite; ``timeout_ms`` then shortens its REST timeout (after the streams connect)."""
    private = factory.get_composite_implementation(venue.exchange_config(name), is_private=True)
    assert isinstance(private, CompositePrivateSpotExchange)
    await private.init()
    if timeout_ms is not None:
        private.rest.ccxt.client.timeout = timeout_ms  # type: ignore[union-attr]
    return private


@pytest.fixture
async def trading(venue: LocalVenue, request: pytest.FixtureRequest) -> AsyncIterator[CompositePrivateSpotExchange]:
    private = await private_for(venue, request.param)
    try:
        yield private
    finally:
        await private.close()


async def grid(private: CompositePrivateSpotExchange) -> tuple[float, float]:
    precision = (await private.rest.ccxt.market(BTC))["precision"]  # type: ignore[union-attr]
    return float(precision["price"]), float(precision["amount"])


async def far_bid(venue: LocalVenue, private: CompositePrivateSpotExchange) -> tuple[float, float]:
    """(quantity, price) of a small buy that rests far below the market."""
    tick, step = await grid(private)
    return round_to(0.01, step), round_to(venue.book(private.name, str(BTC)).bids[0][0] * 0.9, tick)


def venue_orders(venue: LocalVenue, name: str, client_order_id: str) -> int:
    """How many orders with this client id the venue holds (ccxt's Gate.io adds the ``t-`` prefix)."""
    account = venue.engine(name).account(venue.credentials(name)[0])
    return sum(o.client_order_id in (client_order_id, f"t-{client_order_id}") for o in account.orders.values())


@pytest.mark.parametrize("trading", PRIVATE_EXCHANGES, indirect=True)
async def test_lookup_by_client_id(venue: LocalVenue, trading: CompositePrivateSpotExchange) -> None:
    qty, price = await far_bid(venue, trading)
    placed = await trading.place_limit_order(BTC, Side.BUY, qty, price, client_order_id="look1")
    found = await trading.get_order_by_client_id(BTC, "look1")
    assert found.order_id == placed.order_id and found.status is OrderStatus.OPEN
    assert found.client_order_id in ("look1", "t-look1")
    await trading.cancel_order(BTC, placed.order_id)
    assert (await trading.get_order_by_client_id(BTC, "look1")).status is OrderStatus.CANCELED
    with pytest.raises(OrderNotFoundError, match=trading.name):
        await trading.get_order_by_client_id(BTC, "never-sent")


@pytest.mark.parametrize("trading", PRIVATE_EXCHANGES, indirect=True)
async def test_dropped_ack_leaves_exactly_one_order(venue: LocalVenue, trading: CompositePrivateSpotExchange) -> None:
    qty, price = await far_bid(venue, trading)
    venue.drop_next_ack(trading.name)
    with pytest.raises(ExchangeNetworkError, match=trading.name):
        await trading.place_limit_order(BTC, Side.BUY, qty, price, client_order_id="ack1")
    found = await trading.get_order_by_client_id(BTC, "ack1")
    assert found.status is OrderStatus.OPEN and found.quantity == pytest.approx(qty)
    assert venue_orders(venue, trading.name, "ack1") == 1
    # the fault is spent: the next order is answered
    again = await trading.place_limit_order(BTC, Side.BUY, qty, price, client_order_id="ack2")
    assert again.order_id != found.order_id
    assert await trading.cancel_all_orders(BTC) == 2


async def test_silent_ack_times_out_and_the_order_exists(venue: LocalVenue) -> None:
    private = await private_for(venue, "binance", timeout_ms=500)
    try:
        qty, price = await far_bid(venue, private)
        venue.drop_next_ack("binance", "silence")
        with pytest.raises(ExchangeNetworkError, match="RequestTimeout"):
            await private.place_limit_order(BTC, Side.BUY, qty, price, client_order_id="quiet1")
        assert (await private.get_order_by_client_id(BTC, "quiet1")).status is OrderStatus.OPEN
        assert venue_orders(venue, "binance", "quiet1") == 1
    finally:
        await private.close()


@pytest.mark.parametrize("name", PRIVATE_EXCHANGES)
async def test_order_latency_outlasts_the_client_timeout(venue: LocalVenue, name: str) -> None:
    private = await private_for(venue, name, timeout_ms=300)
    try:
        qty, price = await far_bid(venue, private)
        venue.set_order_latency(name, 1.5)
        with pytest.raises(ExchangeNetworkError, match="RequestTimeout"):
            await private.place_limit_order(BTC, Side.BUY, qty, price, client_order_id="slow1")
        assert venue_orders(venue, name, "slow1") == 0  # the exchange has not acted yet
        await wait_for(lambda: venue_orders(venue, name, "slow1") == 1, timeout=5)
        venue.set_order_latency(name, 0)
        assert (await private.get_order_by_client_id(BTC, "slow1")).status is OrderStatus.OPEN
    finally:
        await private.close()


@pytest.mark.parametrize("trading", PRIVATE_EXCHANGES, indirect=True)
@pytest.mark.parametrize(
    ("reason", "error"),
    [("insufficient_funds", InsufficientFundsError), ("rate_limit", RateLimitError), ("invalid", InvalidOrderError)],
)
async def test_reject_next_order_with_the_exchange_error(
    venue: LocalVenue, trading: CompositePrivateSpotExchange, reason: str, error: type[Exception]
) -> None:
    qty, price = await far_bid(venue, trading)
    venue.reject_next_order(trading.name, reason)
    with pytest.raises(error, match=trading.name):
        await trading.place_limit_order(BTC, Side.BUY, qty, price, client_order_id="rej1")
    assert venue_orders(venue, trading.name, "rej1") == 0
    placed = await trading.place_limit_order(BTC, Side.BUY, qty, price, client_order_id="rej2")
    assert placed.status is OrderStatus.OPEN


@pytest.mark.parametrize("trading", PRIVATE_EXCHANGES, indirect=True)
async def test_partial_ioc_and_trade_history(venue: LocalVenue, trading: CompositePrivateSpotExchange) -> None:
    _, step = await grid(trading)
    venue.pause()
    ask, size = venue.book(trading.name, str(BTC)).asks[0]
    qty = round_to(min(size, 0.05) * 0.8, step)
    venue_fills = venue.engine(trading.name).account(venue.credentials(trading.name)[0]).fills
    before = len(venue_fills)
    venue.partial_fill_next(trading.name, 0.5)
    placed = await trading.place_limit_order(BTC, Side.BUY, qty, ask, TimeInForce.IOC, client_order_id="ioc1")
    order = await trading.get_order_by_client_id(BTC, "ioc1")
    assert order.order_id == placed.order_id
    assert order.filled == pytest.approx(int(qty * 0.5 / step + 1e-9) * step)
    assert 0 < order.filled < qty and order.status in (OrderStatus.CANCELED, OrderStatus.EXPIRED)
    venue.resume()
    fills = await trading.get_my_trades(BTC)
    mine = [f for f in fills if f.order_id == order.order_id]
    assert len(venue_fills) == before + 1 and len(mine) == 1
    fill = mine[0]
    assert fill.side is Side.BUY and fill.quantity == pytest.approx(order.filled) and fill.price == pytest.approx(ask)
    assert fill.fee_cost > 0 and fill.fee_asset in ("BTC", "USDT")
    assert fill.symbol == BTC and fill.exchange == trading.name and fill.maker is False
    assert not await trading.get_my_trades(BTC, since=fill.timestamp + 1)


@pytest.mark.parametrize("trading", PRIVATE_EXCHANGES, indirect=True)
async def test_cancel_all_orders(venue: LocalVenue, trading: CompositePrivateSpotExchange) -> None:
    qty, price = await far_bid(venue, trading)
    for i in range(2):
        await trading.place_limit_order(BTC, Side.BUY, qty, price, client_order_id=f"all{i}")
    assert await trading.cancel_all_orders(BTC) == 2
    assert await trading.get_open_orders(BTC) == []
    assert await trading.cancel_all_orders(BTC) == 0
    await trading.place_limit_order(BTC, Side.BUY, qty, price, client_order_id="all3")
    assert await trading.cancel_all_orders() == 1
    assert venue.engine(trading.name).open_orders(venue.credentials(trading.name)[0]) == []


@pytest.mark.parametrize("trading", PRIVATE_EXCHANGES, indirect=True)
async def test_validate_only_places_nothing(venue: LocalVenue, trading: CompositePrivateSpotExchange) -> None:
    qty, price = await far_bid(venue, trading)
    account = venue.engine(trading.name).account(venue.credentials(trading.name)[0])
    if trading.name not in VALIDATE:
        with pytest.raises(NotSupportedError, match=f"{trading.name}: validate"):
            await trading.validate_order(BTC, Side.BUY, qty, price)
        return
    await trading.validate_order(BTC, Side.BUY, qty, price, TimeInForce.IOC)
    assert account.orders == {}
    venue.reject_next_order(trading.name, "invalid")  # the exchange refuses the test order as it would the real one
    with pytest.raises(InvalidOrderError):
        await trading.validate_order(BTC, Side.BUY, qty, price)
    await trading.validate_order(BTC, Side.BUY, qty, price)  # the fault was used up; still nothing placed
    assert account.orders == {}
    with pytest.raises(InvalidOrderError, match="step"):
        await trading.validate_order(BTC, Side.BUY, qty * 1.5 + 1e-7, price)


@pytest.mark.parametrize("trading", PRIVATE_EXCHANGES, indirect=True)
async def test_staleness_guard(venue: LocalVenue, trading: CompositePrivateSpotExchange) -> None:
    qty, price = await far_bid(venue, trading)
    if trading.name not in STALENESS:
        with pytest.raises(NotSupportedError, match="staleness guard"):
            await trading.place_limit_order_within(BTC, Side.BUY, qty, price, 5000)
        return
    fresh = await trading.place_limit_order_within(BTC, Side.BUY, qty, price, 5000, TimeInForce.GTC, "fresh1")
    assert fresh.status is OrderStatus.OPEN
    venue.set_order_latency(trading.name, 1.3)
    with pytest.raises(InvalidOrderError, match="stale"):
        await trading.place_limit_order_within(BTC, Side.BUY, qty, price, 1000, TimeInForce.GTC, "stale1")
    venue.set_order_latency(trading.name, 0)
    assert venue_orders(venue, trading.name, "stale1") == 0
    with pytest.raises(InvalidOrderError, match="out of range"):
        await trading.place_limit_order_within(BTC, Side.BUY, qty, price, 120_000)


@pytest.mark.parametrize("trading", PRIVATE_EXCHANGES, indirect=True)
async def test_dead_man_switch(venue: LocalVenue, trading: CompositePrivateSpotExchange) -> None:
    qty, price = await far_bid(venue, trading)
    if not DEAD_MAN[trading.name]:
        assert await trading.arm_dead_man_switch(30) is False
        return
    api_key = venue.credentials(trading.name)[0]
    await trading.place_limit_order(BTC, Side.BUY, qty, price, client_order_id="dms1")
    assert await trading.arm_dead_man_switch(60) is True
    assert await trading.arm_dead_man_switch(0) is True  # disarmed: nothing fires
    with pytest.raises(InvalidOrderError, match="dead-man switch"):
        await trading.arm_dead_man_switch(1.5)
    seconds = 5 if trading.name == "gateio" else 1  # Gate.io's countdown is at least 5 s
    assert await trading.arm_dead_man_switch(seconds) is True
    assert venue.engine(trading.name).open_orders(api_key)
    await wait_for(lambda: not venue.engine(trading.name).open_orders(api_key), timeout=seconds + 3)
    assert (await trading.get_order_by_client_id(BTC, "dms1")).status is OrderStatus.CANCELED


@pytest.mark.parametrize("trading", PRIVATE_EXCHANGES, indirect=True)
async def test_private_stream_disconnect_and_recovery(venue: LocalVenue, trading: CompositePrivateSpotExchange) -> None:
    qty, price = await far_bid(venue, trading)
    updates: list[OrderUpdate] = []
    trading.add_order_listener(updates.append)
    assert await venue.disconnect_private(trading.name) >= 1
    assert await venue.disconnect_private(trading.name) == 0  # nothing private left until the client redials

    async def redialled() -> None:
        await wait_for(lambda: any(c.state.get("private") for c in venue.context(trading.name).hub.connections))

    await redialled()
    placed = await trading.place_limit_order(BTC, Side.BUY, qty, price, client_order_id="ws1")
    await wait_for(lambda: any(u.order.order_id == placed.order_id for u in updates))
    await trading.cancel_order(BTC, placed.order_id)
