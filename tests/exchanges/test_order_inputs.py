"""Order inputs: exact tick/step checks, explicit rounding, bad values as arbkit errors, order ids checked before any
request, market orders on every exchange, and the seed template's ``await get_balances()``, against the venue."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from arbkit.errors import ArbkitError, InvalidOrderError, UnknownSymbolError
from arbkit.exchanges import factory
from arbkit.exchanges.composite_private import CompositePrivateSpotExchange
from arbkit.exchanges.order_checks import CheckedOrder, check_order
from arbkit.exchanges.order_wire import wire_values
from arbkit.structs import OrderStatus, OrderType, Side, Symbol, SymbolInfo
from arbkit.venue import LocalVenue
from arbkit.venue.engine import VenueOrder
from tests.conftest import PRIVATE_EXCHANGES

BTC = Symbol.parse("BTC/USDT")
BTC_TICK_01 = SymbolInfo("binance", BTC, tick_size=0.1, step_size=0.00001, min_quantity=0.00001, min_notional=5.0)
DOGE = SymbolInfo("binance", Symbol.parse("DOGE/USDT"), tick_size=0.00001, step_size=1.0, min_quantity=1.0)


# ---------------------------------------------------------------- the checks alone (no exchange)


def test_an_off_tick_price_is_refused_whatever_its_size() -> None:
    with pytest.raises(InvalidOrderError) as info:
        check_order(BTC_TICK_01, Side.BUY, 0.001, 53994.60333)
    assert str(info.value) == (
        "binance: BTC/USDT buy: price 53994.60333 is not a multiple of the tick size 0.1 "
        "(nearest valid: 53994.6 or 53994.7; pass rounding='down', 'up' or 'nearest' to round)"
    )


def test_an_off_step_quantity_is_refused_whatever_its_size() -> None:
    with pytest.raises(
        InvalidOrderError,
        match=r"^binance: DOGE/USDT sell: quantity 600000\.5 is not a multiple of the step size 1 \(nearest valid: 600000 or 600001",
    ):
        check_order(DOGE, Side.SELL, 600000.5, None)


def test_values_on_the_grid_with_float_noise_are_accepted_as_the_decimal_they_stand_for() -> None:
    assert 0.1 + 0.2 != 0.3
    checked = check_order(BTC_TICK_01, Side.BUY, 0.1 + 0.2, 54000 + 0.1 + 0.2)
    assert checked.quantity == Decimal("0.3") and checked.price == Decimal("54000.3")
    many = sum([0.00001] * 100)  # 0.0010000000000000002
    assert check_order(BTC_TICK_01, Side.BUY, many, 54000.0).quantity == Decimal("0.001")


@pytest.mark.parametrize(
    ("rounding", "price", "quantity"),
    [("down", "53994.6", "0.00123"), ("up", "53994.7", "0.00124"), ("nearest", "53994.6", "0.00123")],
)
def test_rounding_only_when_asked(rounding: str, price: str, quantity: str) -> None:
    checked = check_order(BTC_TICK_01, Side.BUY, 0.001234, 53994.60333, rounding=rounding)
    assert (checked.price, checked.quantity) == (Decimal(price), Decimal(quantity))


@pytest.mark.parametrize(
    ("quantity", "price", "message"),
    [
        (math.nan, 54000.0, "quantity must be a finite number, got nan"),
        (math.inf, 54000.0, "quantity must be a finite number, got inf"),
        (0.001, math.nan, "price must be a finite number, got nan"),
        (0.001, -math.inf, "price must be a finite number, got -inf"),
        ("0.001", 54000.0, "quantity must be a number, got str '0.001'"),
        (0.001, "54000", "price must be a number, got str '54000'"),
        (True, 54000.0, "quantity must be a number, got bool True"),
        (0.001, None, "price is required for a limit order"),
        (0.0, 54000.0, "quantity must be positive, got 0.0"),
        (0.001, -1.0, "price must be positive, got -1.0"),
        (0.000001, 54000.0, "quantity 0.000001 is not a multiple of the step size 0.00001"),
        (0.00009, 54000.0, "notional 4.86 is below the minimum 5"),
    ],
)
def test_bad_values_name_the_field(quantity: object, price: object, message: str) -> None:
    with pytest.raises(InvalidOrderError) as info:
        check_order(BTC_TICK_01, Side.BUY, quantity, price, order_type=OrderType.LIMIT)
    assert str(info.value).startswith(f"binance: BTC/USDT buy: {message}")


def test_a_bad_rounding_mode_is_refused() -> None:
    with pytest.raises(InvalidOrderError, match="rounding 'sideways' is not valid"):
        check_order(BTC_TICK_01, Side.BUY, 0.001, 54000.0, rounding="sideways")


# ---------------------------------------------------------------- through the private composite, on the venue


@pytest.fixture(params=PRIVATE_EXCHANGES)
async def private(venue: LocalVenue, request: pytest.FixtureRequest) -> AsyncIterator[CompositePrivateSpotExchange]:
    """An initialised private composite of each exchange, on a paused venue (books hold still)."""
    venue.pause()
    async with factory.get_composite_implementation(venue.exchange_config(request.param), is_private=True) as opened:
        yield await opened.init([BTC])


def venue_orders(venue: LocalVenue, name: str) -> list[VenueOrder]:
    """Every order the venue's engine holds for the test account, oldest first."""
    api_key, _ = venue.credentials(name)
    return sorted(venue.engine(name).account(api_key).orders.values(), key=lambda o: o.order_id)


async def test_the_seed_template_awaits_balances_from_the_exchange(
    venue: LocalVenue, private: CompositePrivateSpotExchange
) -> None:
    private_exchange, name = private, private.name
    balances = await private_exchange.get_balances()  # the seed's template, verbatim
    assert balances["USDT"].free == 100000.0
    api_key, _ = venue.credentials(name)
    venue.engine(name).account(api_key).balances["USDT"].free -= 1.0  # changed on the exchange only
    assert (await private_exchange.get_balances())["USDT"].free == 99999.0, "no caching"
    assert private_exchange.balances["USDT"].free == 100000.0, "the live view waits for the stream"
    assert private_exchange.symbols_info[BTC].tick_size == 0.01


async def test_init_takes_the_symbols_like_the_public_composite(venue: LocalVenue) -> None:
    private = factory.get_composite_implementation(venue.exchange_config("binance"), is_private=True)
    with pytest.raises(UnknownSymbolError, match="^binance: symbol\\(s\\) not listed: NOPE/USDT$"):
        await private.init(["BTC/USDT", "NOPE/USDT"])
    async with factory.get_composite_implementation(venue.exchange_config("binance"), is_private=True) as private:
        await private.init(["BTC/USDT", "NOPE/USDT"], strict=False)
        assert list(private.symbols_info) == [BTC] and private.unlisted == [Symbol.parse("NOPE/USDT")]
    with pytest.raises(InvalidOrderError, match="^binance: symbol 'BTCUSDT' is malformed"):
        await factory.get_composite_implementation(venue.exchange_config("binance"), is_private=True).init(["BTCUSDT"])


async def test_off_grid_orders_are_refused_before_the_venue_and_rounded_only_when_asked(
    venue: LocalVenue, private: CompositePrivateSpotExchange
) -> None:
    name = private.name
    bid = venue.book(name, "BTC/USDT").bids[0][0]
    price = math.floor(bid * 0.9) + 0.60333  # off the 0.01 tick, far below the market
    before = len(venue_orders(venue, name))
    with pytest.raises(
        InvalidOrderError,
        match=rf"^{name}: BTC/USDT buy: price {price} is not a multiple of the tick size 0\.01 \(nearest valid: ",
    ):
        await private.place_limit_order(BTC, Side.BUY, 0.001, price)
    with pytest.raises(
        InvalidOrderError,
        match=rf"^{name}: BTC/USDT buy: quantity 0\.0012345 is not a multiple of the step size 0\.00001",
    ):
        await private.place_limit_order(BTC, Side.BUY, 0.0012345, math.floor(bid * 0.9))
    assert len(venue_orders(venue, name)) == before, "a refused order never reaches the venue"

    placed = await private.place_limit_order(BTC, Side.BUY, 0.0012345, price, rounding="down")
    sent = venue_orders(venue, name)[-1]
    expected_price = math.floor(bid * 0.9) + 0.60
    assert (sent.price, sent.quantity) == (round(expected_price, 2), 0.00123)
    assert (placed.price, placed.quantity) == (sent.price, sent.quantity), "the Order shows what was placed"
    await private.cancel_order(BTC, placed.order_id)

    noisy = await private.place_limit_order(BTC, Side.BUY, 0.1 + 0.2, math.floor(bid * 0.9) + 0.1 + 0.2)
    sent = venue_orders(venue, name)[-1]
    assert (sent.quantity, sent.price) == (0.3, round(math.floor(bid * 0.9) + 0.3, 2))
    await private.cancel_order(BTC, noisy.order_id)


async def test_bad_order_inputs_are_arbkit_errors_naming_exchange_symbol_and_field(
    venue: LocalVenue, private: CompositePrivateSpotExchange
) -> None:
    name = private.name
    cases: list[tuple[dict[str, object], str]] = [
        ({"quantity": math.nan}, "BTC/USDT buy: quantity must be a finite number, got nan"),
        ({"price": math.inf}, "BTC/USDT buy: price must be a finite number, got inf"),
        ({"quantity": "0.001"}, "BTC/USDT buy: quantity must be a number, got str '0.001'"),
        ({"symbol": "BTCUSDT"}, "symbol 'BTCUSDT' is malformed: expected BASE/QUOTE such as BTC/USDT"),
        ({"symbol": 42}, "symbol must be a string such as 'BTC/USDT', got int 42"),
        ({"side": "sideways"}, "BTC/USDT: side 'sideways' is not valid (expected one of 'buy', 'sell')"),
        ({"order_type": "stop"}, "BTC/USDT: order_type 'stop' is not valid (expected one of 'limit', 'market')"),
        ({"time_in_force": "GTD"}, "BTC/USDT buy: time_in_force 'GTD' is not valid"),
        ({"client_order_id": "../x"}, "BTC/USDT order: client_order_id '../x' is malformed"),
    ]
    before = len(venue_orders(venue, name))
    for change, message in cases:
        args: dict[str, object] = {
            "symbol": "BTC/USDT",
            "side": "buy",
            "order_type": "limit",
            "quantity": 0.001,
            "price": 50000.0,
            **change,
        }
        with pytest.raises(ArbkitError) as info:
            await private.place_order(**args)  # type: ignore[arg-type]
        assert isinstance(info.value, InvalidOrderError), f"{change}: {info.value!r}"
        assert str(info.value).startswith(f"{name}: {message}"), str(info.value)
    assert len(venue_orders(venue, name)) == before


async def test_execution_calls_refuse_bad_inputs_before_any_request(
    venue: LocalVenue, private: CompositePrivateSpotExchange
) -> None:
    """The executor's calls (client-id lookup, cancel-all, trades, dead-man, validate, staleness-guarded orders)
    check symbol, side, ids and numbers as place_order does: an arbkit error, nothing sent."""
    client = private.rest.ccxt.client  # type: ignore[union-attr]
    last = client.last_request_url
    cases: list[tuple[Any, str]] = [
        (private.get_order_by_client_id("BTCUSDT", "abc"), "symbol 'BTCUSDT' is malformed"),
        (private.get_order_by_client_id("BTC/USDT", "../x"), "BTC/USDT order: client_order_id '../x' is malformed"),
        (private.get_order_by_client_id("BTC/USDT", ""), "BTC/USDT order: client_order_id '' is malformed"),
        (private.cancel_all_orders("BTCUSDT"), "symbol 'BTCUSDT' is malformed"),
        (private.get_my_trades("BTCUSDT"), "symbol 'BTCUSDT' is malformed"),
        (private.get_my_trades("BTC/USDT", since=-1), "BTC/USDT trades: since must be epoch milliseconds, got -1"),
        (private.arm_dead_man_switch(math.nan), "dead-man switch: timeout must be a number of seconds, got nan"),
        (private.validate_order("BTC/USDT", "sideways", 0.001, 50000.0), "BTC/USDT: side 'sideways' is not valid"),
        (private.validate_order(42, "buy", 0.001, 50000.0), "symbol must be a string"),  # type: ignore[arg-type]
        (
            private.place_limit_order_within("BTC/USDT", "sideways", 0.001, 50000.0, 1000),
            "BTC/USDT: side 'sideways' is not valid",
        ),
    ]
    for call, message in cases:
        with pytest.raises(InvalidOrderError) as info:
            await call
        assert str(info.value).startswith(f"{private.name}: {message}"), str(info.value)
    assert client.last_request_url == last, "nothing was sent"


async def test_malformed_order_ids_are_refused_before_any_request(private: CompositePrivateSpotExchange) -> None:
    client = private.rest.ccxt.client  # type: ignore[union-attr]
    last = client.last_request_url
    for order_id in ["", " ", "../x", "?", "/", "a/b", "12 3", "..", "%2F", "x" * 65, 123, None]:
        for call in (private.get_order, private.cancel_order):
            with pytest.raises(InvalidOrderError, match=rf"^{private.name}: BTC/USDT order: order_id .*"):
                await call(BTC, order_id)  # type: ignore[arg-type]
    assert client.last_request_url == last, "nothing was sent"


async def test_market_buy_and_sell_fill_on_every_exchange(
    venue: LocalVenue, private: CompositePrivateSpotExchange
) -> None:
    name = private.name
    for side in (Side.BUY, Side.SELL):
        order = await private.place_market_order(BTC, side, 0.001)
        fetched = await private.get_order(BTC, order.order_id)
        assert fetched.status is OrderStatus.FILLED, f"{name} {side}: {fetched}"
        assert fetched.filled == 0.001, f"{name} {side}: filled {fetched.filled}"
        assert venue_orders(venue, name)[-1].filled == 0.001


async def test_a_value_ccxt_would_reformat_is_refused_rather_than_changed(
    private: CompositePrivateSpotExchange,
) -> None:
    """The last guard: ccxt's own create_order formatting (truncate amounts, round prices) must leave values alone."""
    client = private.rest.ccxt.client  # type: ignore[union-attr]
    off_grid = CheckedOrder(BTC, Side.BUY, OrderType.LIMIT, Decimal("0.0012345"), Decimal("50000"))
    with pytest.raises(
        InvalidOrderError, match=rf"^{private.name}: BTC/USDT buy: quantity 0.0012345 would be sent as 0.00123 by ccxt"
    ):
        wire_values(private.name, client, off_grid)
    off_tick = CheckedOrder(BTC, Side.BUY, OrderType.LIMIT, Decimal("0.001"), Decimal("50000.004"))
    with pytest.raises(InvalidOrderError, match=r"price 50000.004 would be sent as 50000(\.0+)? by ccxt"):
        wire_values(private.name, client, off_tick)
    assert wire_values(
        private.name, client, CheckedOrder(BTC, Side.BUY, OrderType.LIMIT, Decimal("0.3"), Decimal("50000.3"))
    ) == (0.3, 50000.3)
