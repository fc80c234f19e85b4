"""The venue's execution endpoints and faults as each exchange answers them, driven by ccxt's own calls (and the
engine directly where the rule is exchange-independent): validate-only paths, cancel-all, trade history filters,
dead-man switches, staleness guards, and the fault API's own checks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import ccxt
import pytest

from arbkit.exchanges.ccxt_client import build_client
from arbkit.exchanges.factory import EXCHANGE_REST_MAP
from arbkit.structs import ExchangeEnum, OrderStatus, OrderType, Side, TimeInForce
from arbkit.venue import LocalVenue
from arbkit.venue.engine import ErrorKind, VenueError
from arbkit.venue.protocols.kraken_payloads import to_txid

EXCHANGES = ("binance", "gateio", "mexc", "kraken")


@pytest.fixture
async def venue() -> AsyncIterator[LocalVenue]:
    async with LocalVenue(list(EXCHANGES), seed=11, update_interval=0.02) as running:
        running.pause()
        yield running


async def client_for(venue: LocalVenue, name: str) -> Any:
    """ccxt's own client for ``name`` pointed at the venue, with markets loaded."""
    spec = EXCHANGE_REST_MAP[(ExchangeEnum(name), True)].spec
    client = build_client(spec, venue.exchange_config(name), private=True)
    await client.load_markets()
    return client


@pytest.fixture
async def clients(venue: LocalVenue) -> AsyncIterator[dict[str, Any]]:
    made = {name: await client_for(venue, name) for name in EXCHANGES}
    try:
        yield made
    finally:
        for client in made.values():
            await client.close()


def account(venue: LocalVenue, name: str) -> Any:
    return venue.engine(name).account(venue.credentials(name)[0])


def far_bid(venue: LocalVenue, name: str) -> float:
    inst = venue.engine(name).instrument("BTC/USDT")
    return inst.round_price(venue.book(name, "BTC/USDT").bids[0][0] * 0.9)


# ---------------------------------------------------------------------------------------------- engine rules


async def test_partial_fault_fills_a_fraction_of_what_the_book_gives(venue: LocalVenue) -> None:
    engine, key = venue.engine("binance"), venue.credentials("binance")[0]
    ask, size = venue.book("binance", "BTC/USDT").asks[0]
    inst = engine.instrument("BTC/USDT")
    qty = inst.round_qty(min(size, 0.04))
    venue.partial_fill_next("binance", 0.25)
    order = engine.place(key, "BTC/USDT", Side.BUY, OrderType.LIMIT, qty, ask, TimeInForce.IOC)
    assert order.filled == pytest.approx(inst.round_qty(int(qty * 0.25 / inst.step_size + 1e-9) * inst.step_size))
    assert order.status is OrderStatus.EXPIRED and order.locked == 0
    assert engine.faults.take_partial() is None  # one-shot: spent by that order


async def test_partial_fault_leaves_gtc_orders_alone(venue: LocalVenue) -> None:
    engine, key = venue.engine("binance"), venue.credentials("binance")[0]
    ask, size = venue.book("binance", "BTC/USDT").asks[0]
    qty = engine.instrument("BTC/USDT").round_qty(min(size, 0.04))
    venue.partial_fill_next("binance", 0.5)
    gtc = engine.place(key, "BTC/USDT", Side.BUY, OrderType.LIMIT, qty, ask)  # GTC: untouched, fault still armed
    assert gtc.filled == pytest.approx(qty)
    assert engine.faults.take_partial() == 0.5


async def test_reject_fault_is_one_shot_and_places_nothing(venue: LocalVenue) -> None:
    engine, key = venue.engine("gateio"), venue.credentials("gateio")[0]
    venue.reject_next_order("gateio", "rate_limit")
    with pytest.raises(VenueError) as info:
        engine.place(key, "BTC/USDT", Side.BUY, OrderType.LIMIT, 0.01, far_bid(venue, "gateio"))
    assert info.value.kind is ErrorKind.RATE_LIMIT and account(venue, "gateio").orders == {}
    engine.place(key, "BTC/USDT", Side.BUY, OrderType.LIMIT, 0.01, far_bid(venue, "gateio"))


async def test_fault_api_refuses_bad_arguments(venue: LocalVenue) -> None:
    with pytest.raises(ValueError, match="reject reason 'nope' unknown"):
        venue.reject_next_order("binance", "nope")
    with pytest.raises(ValueError, match=r"fraction must be in \(0, 1\)"):
        venue.partial_fill_next("binance", 1.5)
    with pytest.raises(ValueError, match="latency must be >= 0"):
        venue.set_order_latency("binance", -1)
    with pytest.raises(ValueError, match="'silent' is not a valid AckDrop"):
        venue.drop_next_ack("binance", "silent")
    with pytest.raises(ValueError, match="not served"):
        venue.set_order_latency("okx", 1)


async def test_lookup_by_reused_client_id_names_the_latest_order(venue: LocalVenue) -> None:
    engine, key = venue.engine("binance"), venue.credentials("binance")[0]
    first = engine.place(
        key, "BTC/USDT", Side.BUY, OrderType.LIMIT, 0.01, far_bid(venue, "binance"), client_order_id="r"
    )
    engine.cancel(key, "BTC/USDT", first.order_id)
    second = engine.place(
        key, "BTC/USDT", Side.BUY, OrderType.LIMIT, 0.01, far_bid(venue, "binance"), client_order_id="r"
    )
    assert engine.get_order(key, "BTC/USDT", client_order_id="r").order_id == second.order_id


# ---------------------------------------------------------------------------------------------- validate-only paths


@pytest.mark.parametrize(("name", "params"), [("binance", {"test": True}), ("mexc", {"test": True}),
                                              ("kraken", {"validate": True})])  # fmt: skip
async def test_validate_only_checks_filters_not_funds(
    venue: LocalVenue, clients: dict[str, Any], name: str, params: dict[str, Any]
) -> None:
    client, symbol = clients[name], "BTC/USDT"
    price = far_bid(venue, name)
    answer = await client.create_order(symbol, "limit", "buy", 500, price, params)  # far more than the balance
    assert answer["id"] is None and account(venue, name).orders == {}
    with pytest.raises(ccxt.ExchangeError, match="(?i)notional|minimum"):
        await client.create_order(symbol, "limit", "buy", 0.00001, price, params)  # below the minimum notional
    assert account(venue, name).orders == {}


async def test_binance_test_order_can_report_commission(venue: LocalVenue, clients: dict[str, Any]) -> None:
    params = {"test": True, "computeCommissionRates": True}
    answer = await clients["binance"].create_order("BTC/USDT", "limit", "buy", 0.01, far_bid(venue, "binance"), params)
    rates = answer["info"]["standardCommissionForOrder"]
    assert float(rates["taker"]) == venue.engine("binance").instrument("BTC/USDT").taker_fee


# ---------------------------------------------------------------------------------------------- cancel-all


@pytest.mark.parametrize("name", EXCHANGES)
async def test_cancel_all_orders_through_ccxt(venue: LocalVenue, clients: dict[str, Any], name: str) -> None:
    client, engine, key = clients[name], venue.engine(name), venue.credentials(name)[0]
    engine.place(key, "BTC/USDT", Side.BUY, OrderType.LIMIT, 0.01, far_bid(venue, name))
    engine.place(key, "ETH/USDT", Side.BUY, OrderType.LIMIT, 0.1, engine.instrument("ETH/USDT").round_price(1000))
    await client.cancel_all_orders("BTC/USDT")
    left = engine.open_orders(key)
    if name == "kraken":  # CancelAll spans every pair, as on Kraken
        assert left == []
    else:
        assert [o.symbol for o in left] == ["ETH/USDT"]
    if name == "binance":
        with pytest.raises(ccxt.OrderNotFound):  # -2011 when the symbol has nothing open
            await client.cancel_all_orders("BTC/USDT")


async def test_gate_cancel_all_by_side(venue: LocalVenue, clients: dict[str, Any]) -> None:
    engine, key = venue.engine("gateio"), venue.credentials("gateio")[0]
    engine.place(key, "BTC/USDT", Side.BUY, OrderType.LIMIT, 0.01, far_bid(venue, "gateio"))
    ask = engine.instrument("BTC/USDT").round_price(venue.book("gateio", "BTC/USDT").asks[0][0] * 1.1)
    engine.place(key, "BTC/USDT", Side.SELL, OrderType.LIMIT, 0.01, ask)
    cancelled = await clients["gateio"].cancel_all_orders("BTC/USDT", {"side": "sell"})
    assert [o["side"] for o in cancelled] == ["sell"]
    assert [o.side for o in engine.open_orders(key)] == [Side.BUY]


# ---------------------------------------------------------------------------------------------- trade history


@pytest.mark.parametrize("name", EXCHANGES)
async def test_trade_history_with_fees_per_fill(venue: LocalVenue, clients: dict[str, Any], name: str) -> None:
    engine, key = venue.engine(name), venue.credentials(name)[0]
    first = engine.place(key, "BTC/USDT", Side.BUY, OrderType.MARKET, 0.02)
    await asyncio.sleep(0.01)
    second = engine.place(key, "BTC/USDT", Side.SELL, OrderType.MARKET, 0.01)
    trades = await clients[name].fetch_my_trades("BTC/USDT")
    fills = account(venue, name).fills
    assert len(trades) == len(fills) == len({t["id"] for t in trades})
    wire_id = (lambda n: to_txid("O", n)) if name == "kraken" else str
    assert {t["order"] for t in trades} == {wire_id(first.order_id), wire_id(second.order_id)}
    total = {t["side"]: 0.0 for t in trades}
    for t in trades:
        total[t["side"]] += t["amount"]
        assert t["fee"]["cost"] > 0 and t["fee"]["currency"] in ("BTC", "USDT")
    assert total == pytest.approx({"buy": first.filled, "sell": second.filled})
    since = max(f.timestamp for f in fills if f.order_id == second.order_id)
    later = await clients[name].fetch_my_trades("BTC/USDT", since)
    assert {t["side"] for t in later} == {"sell"}


async def test_binance_trade_history_by_order(venue: LocalVenue, clients: dict[str, Any]) -> None:
    engine, key = venue.engine("binance"), venue.credentials("binance")[0]
    engine.place(key, "BTC/USDT", Side.BUY, OrderType.MARKET, 0.02)
    second = engine.place(key, "BTC/USDT", Side.SELL, OrderType.MARKET, 0.01)
    trades = await clients["binance"].fetch_my_trades("BTC/USDT", None, None, {"orderId": second.order_id})
    assert {t["order"] for t in trades} == {str(second.order_id)}


async def test_kraken_trade_history_pages_by_offset(venue: LocalVenue, clients: dict[str, Any]) -> None:
    engine, key = venue.engine("kraken"), venue.credentials("kraken")[0]
    for i in range(60):
        engine.place(key, "BTC/USDT", Side.BUY if i % 2 else Side.SELL, OrderType.MARKET, 0.001)
    first = await clients["kraken"].fetch_my_trades()
    rest = await clients["kraken"].fetch_my_trades(None, None, None, {"ofs": 50})
    ids = {t["id"] for t in first} | {t["id"] for t in rest}
    assert len(first) == 50 and len(ids) == len(account(venue, "kraken").fills)


# ---------------------------------------------------------------------------------------------- dead-man switches


async def test_kraken_cancel_all_orders_after_fires_and_resets(venue: LocalVenue, clients: dict[str, Any]) -> None:
    engine, key, kraken = venue.engine("kraken"), venue.credentials("kraken")[0], clients["kraken"]
    engine.place(key, "BTC/USDT", Side.BUY, OrderType.LIMIT, 0.01, far_bid(venue, "kraken"))
    answer = await kraken.cancel_all_orders_after(1000)
    assert answer["result"]["triggerTime"] > answer["result"]["currentTime"]
    await asyncio.sleep(0.6)
    await kraken.cancel_all_orders_after(1000)  # reset: the countdown starts again
    await asyncio.sleep(0.6)
    assert engine.open_orders(key)
    await asyncio.sleep(0.6)
    assert engine.open_orders(key) == []
    with pytest.raises(ccxt.ExchangeError, match="Invalid arguments:timeout"):  # a day at most
        await kraken.private_post_cancelallordersafter({"timeout": 86401})


async def test_gate_countdown_cancels_only_its_pair(venue: LocalVenue, clients: dict[str, Any]) -> None:
    engine, key, gate = venue.engine("gateio"), venue.credentials("gateio")[0], clients["gateio"]
    engine.place(key, "BTC/USDT", Side.BUY, OrderType.LIMIT, 0.01, far_bid(venue, "gateio"))
    engine.place(key, "ETH/USDT", Side.BUY, OrderType.LIMIT, 0.1, engine.instrument("ETH/USDT").round_price(1000))
    answer = await gate.private_spot_post_countdown_cancel_all({"timeout": 30, "currency_pair": "BTC_USDT"})
    assert answer["triggerTime"] > 0
    with pytest.raises(ccxt.BadRequest):
        await gate.private_spot_post_countdown_cancel_all({"timeout": 3})
    protocol: Any = venue.protocol("gateio")
    protocol.private.timers.arm(key, 0.05, "BTC/USDT")  # the same countdown, shortened for the test
    await asyncio.sleep(0.2)
    assert [o.symbol for o in engine.open_orders(key)] == ["ETH/USDT"]


# ---------------------------------------------------------------------------------------------- staleness guards


@pytest.mark.parametrize(("name", "code"), [("binance", "-1021"), ("mexc", "700003")])
async def test_recv_window_refuses_an_old_request(
    venue: LocalVenue, clients: dict[str, Any], name: str, code: str
) -> None:
    client = clients[name]
    client.options["timeDifference"] = 12_000  # the request's timestamp lies 12 s in the past
    with pytest.raises(ccxt.InvalidNonce, match=code):
        await client.create_order("BTC/USDT", "limit", "buy", 0.01, far_bid(venue, name))
    assert account(venue, name).orders == {}


async def test_binance_recv_window_is_checked_when_the_exchange_acts(
    venue: LocalVenue, clients: dict[str, Any]
) -> None:
    venue.set_order_latency("binance", 0.6)
    with pytest.raises(ccxt.InvalidNonce, match="-1021"):
        await clients["binance"].create_order("BTC/USDT", "limit", "buy", 0.01, far_bid(venue, "binance"),
                                              {"recvWindow": 300})  # fmt: skip
    assert account(venue, "binance").orders == {}


async def test_kraken_deadline(venue: LocalVenue, clients: dict[str, Any]) -> None:
    kraken, price = clients["kraken"], far_bid(venue, "kraken")
    with pytest.raises(ccxt.ExchangeError, match="Invalid arguments:deadline"):
        await kraken.create_order("BTC/USDT", "limit", "buy", 0.01, price, {"deadline": "2999-01-01T00:00:00Z"})
    venue.set_order_latency("kraken", 0.5)
    soon = _rfc3339(0.2)
    with pytest.raises(ccxt.ExchangeError, match="EOrder:Deadline elapsed"):
        await kraken.create_order("BTC/USDT", "limit", "buy", 0.01, price, {"deadline": soon})
    assert account(venue, "kraken").orders == {}
    venue.set_order_latency("kraken", 0)
    placed = await kraken.create_order("BTC/USDT", "limit", "buy", 0.01, price, {"deadline": _rfc3339(5)})
    assert placed["id"].startswith("O")


def _rfc3339(seconds_ahead: float) -> str:
    from datetime import UTC, datetime, timedelta

    return (datetime.now(UTC) + timedelta(seconds=seconds_ahead)).isoformat(timespec="milliseconds")


# ---------------------------------------------------------------------------------------------- private stream cut


async def test_disconnect_private_leaves_market_streams(venue: LocalVenue, clients: dict[str, Any]) -> None:
    binance = clients["binance"]
    orders = asyncio.ensure_future(binance.watch_orders())
    book = await binance.watch_order_book("BTC/USDT")
    assert book["bids"]
    hub = venue.context("binance").hub
    for _ in range(200):
        if any(c.state.get("private") for c in hub.connections):
            break
        await asyncio.sleep(0.01)
    public_before = [c for c in hub.connections if not c.state.get("private")]
    assert await venue.disconnect_private("binance") == 1
    with pytest.raises(ccxt.NetworkError):
        await orders
    assert public_before and all(c in hub.connections for c in public_before)


# ---------------------------------------------------------------------------------------------- dropped acknowledgement


@pytest.mark.parametrize("name", EXCHANGES)
async def test_dropped_ack_spares_refusals_and_hits_the_next_accepted_order(
    venue: LocalVenue, clients: dict[str, Any], name: str
) -> None:
    client, price = clients[name], far_bid(venue, name)
    venue.drop_next_ack(name)
    with pytest.raises(ccxt.ExchangeError, match="(?i)notional|minimum"):  # refused: answered as usual
        await client.create_order("BTC/USDT", "limit", "buy", 0.00001, price)
    concurrent = [client.create_order("BTC/USDT", "limit", "buy", 0.01, price) for _ in range(2)]
    results = await asyncio.gather(*concurrent, return_exceptions=True)
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(lost) == 1 and isinstance(lost[0], ccxt.NetworkError)
    assert len(venue.engine(name).open_orders(venue.credentials(name)[0])) == 2  # both exist, one answer lost
