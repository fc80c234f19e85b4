"""MatchingEngine against a seeded market: fills, partials, IOC/FOK/market, resting fills, checks and balances."""

from __future__ import annotations

import msgspec
import pytest

from arbkit.structs import OrderStatus, OrderType, Side, TimeInForce
from arbkit.venue.engine import (
    BalanceEvent,
    BookChange,
    EngineEvent,
    ErrorKind,
    ExecKind,
    MatchingEngine,
    OrderEvent,
    VenueError,
)
from arbkit.venue.instruments import instruments
from arbkit.venue.market import SimulatedMarket

SYM = "BTC/USDT"
KEY = "k1"


@pytest.fixture
def setup() -> tuple[SimulatedMarket, MatchingEngine, list[EngineEvent]]:
    market = SimulatedMarket(["binance"], seed=7)
    engine = MatchingEngine("binance", market.books("binance"), instruments("binance"))
    engine.add_account(KEY)
    events: list[EngineEvent] = []
    engine.listeners.append(events.append)
    return market, engine, events


def test_market_buy_walks_levels_consumes_liquidity_and_charges_fee(setup) -> None:
    market, engine, events = setup
    book = market.book("binance", SYM)
    asks = book.sorted_asks()
    qty = round(asks[0][1] + asks[1][1] / 2, 5)
    order = engine.place(KEY, SYM, Side.BUY, OrderType.MARKET, quantity=qty)
    assert order.status is OrderStatus.FILLED and order.filled == qty
    cost = asks[0][0] * asks[0][1] + asks[1][0] * (qty - asks[0][1])
    assert order.quote_filled == pytest.approx(cost)
    assert asks[0][0] not in book.asks and book.asks[asks[1][0]] == pytest.approx(asks[1][1] - (qty - asks[0][1]))
    balances = engine.account(KEY).balances
    assert balances["BTC"].free == pytest.approx(2.0 + qty * (1 - 0.001))
    assert balances["USDT"].free == pytest.approx(100000.0 - cost)
    kinds = [type(e).__name__ + ":" + str(getattr(e, "kind", "")) for e in events]
    assert kinds == ["OrderEvent:new", "OrderEvent:trade", "OrderEvent:trade", "BookChange:", "BalanceEvent:"]
    change = next(e for e in events if isinstance(e, BookChange))
    assert change.delta.seq == book.seq and change.delta.asks[0] == (asks[0][0], 0.0)


def test_limit_gtc_partial_fill_rests_and_locks(setup) -> None:
    market, engine, _ = setup
    book = market.book("binance", SYM)
    best_ask, size = book.sorted_asks(1)[0]
    qty = round(size + 0.5, 5)
    order = engine.place(KEY, SYM, Side.BUY, OrderType.LIMIT, quantity=qty, price=best_ask)
    assert order.status is OrderStatus.PARTIALLY_FILLED and order.filled == size
    usdt = engine.account(KEY).balances["USDT"]
    assert usdt.locked == pytest.approx(0.5 * best_ask)
    assert engine.open_orders(KEY, SYM) == [order]
    canceled = engine.cancel(KEY, SYM, order.order_id)
    assert canceled.status is OrderStatus.CANCELED and usdt.locked == 0.0
    assert usdt.free == pytest.approx(100000.0 - size * best_ask)


def test_ioc_and_fok(setup) -> None:
    market, engine, events = setup
    book = market.book("binance", SYM)
    best_bid, size = book.sorted_bids(1)[0]
    ioc = engine.place(
        KEY,
        SYM,
        Side.SELL,
        OrderType.LIMIT,
        quantity=round(size + 0.1, 5),
        price=best_bid,
        time_in_force=TimeInForce.IOC,
    )
    assert ioc.status is OrderStatus.EXPIRED and ioc.filled == size
    assert engine.account(KEY).balances["BTC"].locked == 0.0
    best_bid, size = book.sorted_bids(1)[0]
    seq = book.seq
    fok = engine.place(
        KEY,
        SYM,
        Side.SELL,
        OrderType.LIMIT,
        quantity=round(size + 0.1, 5),
        price=best_bid,
        time_in_force=TimeInForce.FOK,
    )
    assert fok.status is OrderStatus.EXPIRED and fok.filled == 0 and book.seq == seq
    assert isinstance(events[-1], OrderEvent) and events[-1].kind is ExecKind.EXPIRED
    fok = engine.place(
        KEY, SYM, Side.SELL, OrderType.LIMIT, quantity=size, price=best_bid, time_in_force=TimeInForce.FOK
    )
    assert fok.status is OrderStatus.FILLED
    quote_fee = fok.fee
    assert fok.fee_asset == "USDT" and quote_fee == pytest.approx(size * best_bid * 0.001)


def test_market_buy_by_quote_amount(setup) -> None:
    _, engine, _ = setup
    order = engine.place(KEY, SYM, Side.BUY, OrderType.MARKET, quote_quantity=1000.0)
    assert order.status is OrderStatus.FILLED
    assert 999.0 < order.quote_filled <= 1000.0 and order.quantity == order.filled
    assert engine.account(KEY).balances["USDT"].free == pytest.approx(100000.0 - order.quote_filled)


def test_resting_order_fills_when_the_market_crosses_it(setup) -> None:
    market, engine, events = setup
    book = market.book("binance", SYM)
    price = round(book.best_bid - 30.0, 2)
    order = engine.place(KEY, SYM, Side.BUY, OrderType.LIMIT, quantity=0.01, price=price)
    assert order.status is OrderStatus.OPEN
    market.inject_dislocation("binance", SYM, bps=-40.0, steps=3)
    market.step()
    assert (book.best_ask or 0) <= price
    engine.match_resting(SYM)
    assert order.status is OrderStatus.FILLED and order.average == pytest.approx(price)
    fill = next(e.fill for e in events if isinstance(e, OrderEvent) and e.fill is not None)
    assert fill.maker and fill.fee == pytest.approx(0.01 * 0.001)
    assert isinstance(events[-1], BalanceEvent) and events[-1].balances["USDT"].locked == 0.0
    assert engine.open_orders(KEY) == []


@pytest.mark.parametrize(
    ("kwargs", "kind"),
    [
        ({"quantity": 0.01, "price": 50000.001}, ErrorKind.PRECISION),
        ({"quantity": 0.000015, "price": 50000.0}, ErrorKind.PRECISION),
        ({"quantity": 0.00005, "price": 50000.0}, ErrorKind.MIN_NOTIONAL),
        ({"quantity": 10.0, "price": 50000.0}, ErrorKind.INSUFFICIENT_FUNDS),
        ({"quantity": 0.01, "price": None}, ErrorKind.INVALID),
    ],
)
def test_order_checks(setup, kwargs, kind) -> None:
    _, engine, _ = setup
    with pytest.raises(VenueError) as err:
        engine.place(KEY, SYM, Side.BUY, OrderType.LIMIT, **kwargs)
    assert err.value.kind is kind
    assert engine.account(KEY).balances["USDT"].free == 100000.0


def test_min_quantity_unknown_symbol_order_and_account(setup) -> None:
    _, engine, _ = setup
    with pytest.raises(VenueError) as err:
        engine.place(KEY, "DOGE/USDT", Side.SELL, OrderType.LIMIT, quantity=0.0, price=0.15)
    assert err.value.kind is ErrorKind.INVALID
    engine.instruments["DOGE/USDT"]  # listed
    with pytest.raises(VenueError) as err:
        engine.place(KEY, "FOO/USDT", Side.BUY, OrderType.MARKET, quantity=1.0)
    assert err.value.kind is ErrorKind.UNKNOWN_SYMBOL
    with pytest.raises(VenueError) as err:
        engine.cancel(KEY, SYM, 42)
    assert err.value.kind is ErrorKind.UNKNOWN_ORDER
    with pytest.raises(VenueError) as err:
        engine.place("nobody", SYM, Side.BUY, OrderType.MARKET, quantity=1.0)
    assert err.value.kind is ErrorKind.UNKNOWN_ACCOUNT
    strict = dict(engine.instruments)
    strict[SYM] = msgspec.structs.replace(strict[SYM], min_qty=0.001)
    engine.instruments = strict
    with pytest.raises(VenueError) as err:
        engine.place(KEY, SYM, Side.BUY, OrderType.LIMIT, quantity=0.0005, price=50000.0)
    assert err.value.kind is ErrorKind.MIN_QTY


def test_sell_beyond_balance_and_post_only(setup) -> None:
    market, engine, _ = setup
    with pytest.raises(VenueError) as err:
        engine.place(KEY, SYM, Side.SELL, OrderType.MARKET, quantity=2.5)
    assert err.value.kind is ErrorKind.INSUFFICIENT_FUNDS
    best_ask = market.book("binance", SYM).best_ask
    with pytest.raises(VenueError) as err:
        engine.place(KEY, SYM, Side.BUY, OrderType.LIMIT, quantity=0.01, price=best_ask, post_only=True)
    assert err.value.kind is ErrorKind.WOULD_TAKE
