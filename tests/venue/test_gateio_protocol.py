"""The venue's Gate.io v4 protocol against the real ccxt / ccxt.pro ``gate`` client (and a raw socket where ccxt
hides the wire: the obu sequence ids)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import ccxt
import ccxt.pro as ccxtpro
import pytest
from ccxt.test.exchange.base.test_market import test_market as check_market
from ccxt.test.exchange.base.test_order import test_order as check_order
from ccxt.test.exchange.base.test_order_book import test_order_book as check_order_book
from ccxt.test.exchange.base.test_ticker import test_ticker as check_ticker
from ccxt.test.exchange.base.test_trade import test_trade as check_trade

from arbkit.venue import LocalVenue
from arbkit.venue.instruments import instrument
from arbkit.venue.protocols.gateio import rest_signature, ws_signature

SYMBOL = "BTC/USDT"
OPTIONS = {"fetchMarkets": {"types": ["spot"]}, "unifiedAccount": False}


def gate_client(venue: LocalVenue, secret: str | None = None, api_key: str | None = None) -> ccxtpro.gate:
    """A real ccxt.pro gate pointed at the venue: every REST area at /api/v4, the spot websocket at /ws/v4/."""
    cfg = venue.exchange_config("gateio")
    exchange = ccxtpro.gate(
        {
            "apiKey": api_key or cfg.api_key,
            "secret": secret if secret is not None else cfg.secret_key,
            "enableRateLimit": False,
            "options": dict(OPTIONS),
        }
    )
    exchange.has["fetchCurrencies"] = False
    exchange.timeout_on_exit = 0
    for access in ("public", "private"):
        for area in exchange.urls["api"][access]:
            exchange.urls["api"][access][area] = f"{cfg.base_url}/api/v4"
    exchange.urls["api"]["spot"] = cfg.websocket_url
    return exchange


@pytest.fixture
async def gate_venue() -> AsyncIterator[LocalVenue]:
    async with LocalVenue(["gateio"], seed=11, update_interval=0.02) as venue:
        yield venue


@pytest.fixture
async def gate(gate_venue: LocalVenue) -> AsyncIterator[ccxtpro.gate]:
    exchange = gate_client(gate_venue)
    try:
        await exchange.load_markets()
        yield exchange
    finally:
        await exchange.close()


def _levels(side: list[list[float]]) -> list[tuple[float, float]]:
    return [(float(p), float(q)) for p, q in side]


async def test_load_markets_carries_venue_precision_and_limits(gate: ccxtpro.gate) -> None:
    inst = instrument("gateio", SYMBOL)
    market = gate.market(SYMBOL)
    check_market(gate, {}, "loadMarkets", market)
    assert market["id"] == "BTC_USDT" and market["spot"] and market["active"]
    assert market["precision"]["amount"] == inst.step_size and market["precision"]["price"] == inst.tick_size
    assert market["limits"]["amount"]["min"] == inst.min_qty
    assert market["limits"]["cost"]["min"] == inst.min_notional
    assert market["taker"] == inst.taker_fee and market["maker"] == inst.maker_fee
    assert {"BTC/USDT", "ETH/USDT", "SOL/USDT", "XRP/USDT", "DOGE/USDT"} <= set(gate.symbols) and len(
        gate.symbols
    ) >= 50


async def test_public_rest_passes_ccxt_validators(gate_venue: LocalVenue, gate: ccxtpro.gate) -> None:
    gate_venue.pause()
    await gate_venue.step(30)
    book = await gate.fetch_order_book(SYMBOL, 20)
    check_order_book(gate, {}, "fetchOrderBook", book, SYMBOL)
    venue_book = gate_venue.book("gateio", SYMBOL)
    assert book["nonce"] == venue_book.seq
    assert _levels(book["bids"]) == venue_book.bids[:20] and _levels(book["asks"]) == venue_book.asks[:20]
    assert len((await gate.fetch_order_book(SYMBOL))["bids"]) == 10  # Gate's default depth
    ticker = await gate.fetch_ticker(SYMBOL)
    check_ticker(gate, {}, "fetchTicker", ticker, SYMBOL)
    assert ticker["bid"] == venue_book.best_bid and ticker["ask"] == venue_book.best_ask
    tickers = await gate.fetch_tickers()
    assert set(tickers) == set(gate.symbols)
    trades = await gate.fetch_trades(SYMBOL)
    assert trades, "the simulated tape should hold trades after 30 steps"
    for trade in trades:
        check_trade(gate, {}, "fetchTrades", trade, SYMBOL, int(time.time() * 1000), True)
    assert abs(await gate.fetch_time() - time.time() * 1000) < 5000
    with pytest.raises(ccxt.BadSymbol):
        await gate.publicSpotGetOrderBook({"currency_pair": "NOPE_USDT"})


async def test_signed_balance_fee_and_order_lifecycle(gate_venue: LocalVenue, gate: ccxtpro.gate) -> None:
    gate_venue.pause()
    balance = await gate.fetch_balance()
    assert balance["BTC"]["free"] == 2.0 and balance["USDT"]["total"] == 100000.0
    fee = await gate.fetch_trading_fee(SYMBOL)
    assert fee["maker"] == 0.002 and fee["taker"] == 0.002
    bid = gate_venue.book("gateio", SYMBOL).best_bid
    order = await gate.create_order(SYMBOL, "limit", "buy", 0.01, round(bid * 0.99, 2), {"clientOrderId": "rest1"})
    check_order(gate, {}, "createOrder", order, SYMBOL, int(time.time() * 1000))
    assert order["status"] == "open" and order["filled"] == 0 and order["clientOrderId"] == "t-rest1"
    locked = (await gate.fetch_balance())["USDT"]["used"]
    assert locked == pytest.approx(0.01 * round(bid * 0.99, 2))
    assert [o["id"] for o in await gate.fetch_open_orders(SYMBOL)] == [order["id"]]
    fetched = await gate.fetch_order(order["id"], SYMBOL)
    assert fetched["status"] == "open" and fetched["price"] == round(bid * 0.99, 2)
    assert (await gate.fetch_order("", SYMBOL, {"clientOrderId": "rest1"}))["id"] == order["id"]
    canceled = await gate.cancel_order(order["id"], SYMBOL)
    assert canceled["status"] == "canceled"
    assert await gate.fetch_open_orders(SYMBOL) == []
    assert (await gate.fetch_balance())["USDT"]["used"] == 0
    assert [o["status"] for o in await gate.fetch_closed_orders(SYMBOL)] == ["canceled"]
    with pytest.raises(ccxt.OrderNotFound):
        await gate.cancel_order(order["id"], SYMBOL)
    with pytest.raises(ccxt.OrderNotFound):
        await gate.fetch_order("999", SYMBOL)


async def test_crossing_limit_partially_fills_then_rests(gate_venue: LocalVenue, gate: ccxtpro.gate) -> None:
    gate_venue.pause()
    ask, ask_qty = gate_venue.book("gateio", SYMBOL).asks[0]
    amount = round(ask_qty + 0.001, 5)
    order = await gate.create_order(SYMBOL, "limit", "buy", amount, ask)
    assert order["status"] == "open"
    assert order["filled"] == pytest.approx(ask_qty) and order["remaining"] == pytest.approx(0.001)
    assert order["average"] == pytest.approx(ask)
    assert gate_venue.book("gateio", SYMBOL).best_ask > ask  # the level was consumed
    full = await gate.create_order(SYMBOL, "limit", "sell", 0.01, round(ask * 0.99, 2))
    assert full["status"] == "closed" and full["filled"] == 0.01
    market = await gate.create_order(SYMBOL, "market", "sell", 0.002)
    assert market["status"] == "closed" and market["filled"] == 0.002
    mine = await gate.fetch_my_trades(SYMBOL)
    assert {t["order"] for t in mine} == {order["id"], full["id"], market["id"]}
    for trade in mine:
        check_trade(gate, {}, "fetchMyTrades", trade, SYMBOL, int(time.time() * 1000), False)


async def test_time_in_force_variants(gate_venue: LocalVenue, gate: ccxtpro.gate) -> None:
    gate_venue.pause()
    book = gate_venue.book("gateio", SYMBOL)
    far = round(book.best_bid * 0.98, 2)
    ioc = await gate.create_order(SYMBOL, "limit", "buy", 0.01, far, {"timeInForce": "IOC"})
    assert ioc["status"] == "canceled" and ioc["filled"] == 0 and ioc["timeInForce"] == "IOC"
    ask, ask_qty = book.asks[0]
    fok = await gate.create_order(SYMBOL, "limit", "buy", round(ask_qty * 2, 5), ask, {"timeInForce": "FOK"})
    assert fok["status"] == "canceled" and fok["filled"] == 0
    with pytest.raises(ccxt.OrderImmediatelyFillable):
        await gate.create_order(SYMBOL, "limit", "buy", 0.01, ask, {"postOnly": True})
    resting = await gate.create_order(SYMBOL, "limit", "buy", 0.01, far, {"postOnly": True})
    assert resting["status"] == "open" and resting["postOnly"] is True
    assert (await gate.fetch_balance())["USDT"]["used"] == pytest.approx(0.01 * far)


async def test_auth_and_funds_errors_map_to_ccxt_exceptions(gate_venue: LocalVenue) -> None:
    cfg = gate_venue.exchange_config("gateio")
    cases: list[tuple[ccxtpro.gate, type[Exception]]] = [
        (gate_client(gate_venue, secret="wrong-secret"), ccxt.AuthenticationError),
        (gate_client(gate_venue, api_key="unknown-key"), ccxt.AuthenticationError),
        (gate_client(gate_venue), ccxt.AuthenticationError),  # stale Timestamp, below
    ]
    cases[2][0].options["timeDifference"] = 120_000
    for exchange, error in cases:
        try:
            with pytest.raises(error):
                await exchange.fetch_balance()
        finally:
            await exchange.close()
    exchange = gate_client(gate_venue)
    try:
        await exchange.load_markets()
        bid = gate_venue.book("gateio", SYMBOL).best_bid
        with pytest.raises(ccxt.InsufficientFunds):
            await exchange.create_order(SYMBOL, "limit", "buy", 100, round(bid * 0.9, 2))
        with pytest.raises(ccxt.InvalidOrder):  # off the amount step: INVALID_PRECISION
            body = {"currency_pair": "BTC_USDT", "type": "limit", "account": "spot", "side": "buy"}
            await exchange.privateSpotPostOrders({**body, "amount": "0.0000011", "price": str(bid)})
    finally:
        await exchange.close()
    assert cfg.secret_key not in str(cases)


def test_rest_signature_matches_ccxt_sign() -> None:
    exchange = ccxt.gate({"apiKey": "k", "secret": "s", "options": {"timeDifference": 0}})
    signed = exchange.sign("orders", ["private", "spot"], "POST", {"currency_pair": "BTC_USDT", "amount": "1"})
    headers = signed["headers"]
    expected = rest_signature("s", "POST", "/api/v4/spot/orders", "", signed["body"].encode(), headers["Timestamp"])
    assert headers["SIGN"] == expected
    assert ws_signature("s", "spot.orders", "subscribe", 1) != ws_signature("s", "spot.orders", "subscribe", 2)


async def test_watch_order_book_equals_venue_book(gate_venue: LocalVenue, gate: ccxtpro.gate) -> None:
    book = await gate.watch_order_book(SYMBOL)
    first = book["nonce"]
    deadline = time.monotonic() + 3.0
    while book["nonce"] < first + 25 and time.monotonic() < deadline:
        book = await gate.watch_order_book(SYMBOL)
    assert book["nonce"] >= first + 25
    snap = gate_venue.book_at("gateio", SYMBOL, book["nonce"])
    assert snap is not None
    assert _levels(book["bids"]) == snap.bids and _levels(book["asks"]) == snap.asks


async def _recv(ws: aiohttp.ClientWebSocketResponse, channel: str, timeout: float = 2.0) -> dict[str, Any]:
    while True:
        message = await asyncio.wait_for(ws.receive_json(), timeout)
        if message.get("channel") == channel:
            return message


async def test_obu_deltas_carry_sequence_ids_and_show_a_skipped_one(gate_venue: LocalVenue) -> None:
    gate_venue.pause()
    await gate_venue.settle()
    cfg = gate_venue.exchange_config("gateio")
    async with aiohttp.ClientSession() as session, session.ws_connect(cfg.websocket_url) as ws:
        await ws.send_json({"time": int(time.time()), "channel": "spot.ping"})
        assert (await _recv(ws, "spot.pong"))["channel"] == "spot.pong"
        sub = {"id": 7, "time": int(time.time()), "channel": "spot.obu", "event": "subscribe"}
        await ws.send_json({**sub, "payload": ["ob.BTC_USDT.50"]})
        ack = await _recv(ws, "spot.obu")
        assert ack["event"] == "subscribe" and ack["id"] == 7 and ack["result"] == {"status": "success"}
        snapshot = (await _recv(ws, "spot.obu"))["result"]
        assert snapshot["full"] is True and snapshot["u"] == gate_venue.book("gateio", SYMBOL).seq
        last = snapshot["u"]
        for _ in range(3):
            await gate_venue.step()
            delta = (await _recv(ws, "spot.obu"))["result"]
            assert "full" not in delta and delta["U"] == last + 1 and delta["u"] == delta["U"]
            last = delta["u"]
        gate_venue.skip_sequence("gateio", SYMBOL)
        await gate_venue.step(2)
        delta = (await _recv(ws, "spot.obu"))["result"]
        assert delta["U"] > last + 1, "the skipped sequence must show as a gap in U"
        await ws.send_json({**sub, "payload": ["ob.NOPE_USDT.50"]})
        refused = await _recv(ws, "spot.obu")
        assert refused["error"]["code"] == 2


async def test_private_streams_receive_a_fill(gate_venue: LocalVenue, gate: ccxtpro.gate) -> None:
    orders_task = asyncio.create_task(gate.watch_orders(SYMBOL))
    balance_task = asyncio.create_task(gate.watch_balance())
    trades_task = asyncio.create_task(gate.watch_my_trades(SYMBOL))
    await asyncio.sleep(0.2)  # let the three subscriptions reach the venue before acting
    ask = gate_venue.book("gateio", SYMBOL).best_ask
    placed = await gate.create_order(SYMBOL, "limit", "buy", 0.001, round(ask * 1.001, 2))
    orders = await asyncio.wait_for(orders_task, 2.0)
    assert orders[-1]["id"] == placed["id"]
    deadline = time.monotonic() + 2.0
    while orders[-1]["status"] != "closed" and time.monotonic() < deadline:
        orders = await asyncio.wait_for(gate.watch_orders(SYMBOL), 2.0)
    assert orders[-1]["status"] == "closed" and orders[-1]["filled"] == 0.001
    balance = await asyncio.wait_for(balance_task, 2.0)
    assert "USDT" in balance or "BTC" in balance
    venue_btc = gate_venue.engine("gateio").account(gate.apiKey).balance("BTC")
    deadline = time.monotonic() + 2.0
    while balance.get("BTC", {}).get("free") != pytest.approx(venue_btc.free) and time.monotonic() < deadline:
        balance = await asyncio.wait_for(gate.watch_balance(), 2.0)
    assert balance["BTC"]["free"] == pytest.approx(venue_btc.free)
    trades = await asyncio.wait_for(trades_task, 2.0)
    assert trades[-1]["order"] == placed["id"] and trades[-1]["takerOrMaker"] == "taker"


async def test_private_stream_with_bad_signature_is_refused(gate_venue: LocalVenue) -> None:
    exchange = gate_client(gate_venue, secret="wrong-secret")
    try:
        await exchange.load_markets()
        with pytest.raises(ccxt.AuthenticationError):
            await asyncio.wait_for(exchange.watch_balance(), 2.0)
    finally:
        await exchange.close()


async def test_stall_and_drop_faults_reach_gate_sockets(gate_venue: LocalVenue) -> None:
    gate_venue.pause()
    await gate_venue.settle()
    cfg = gate_venue.exchange_config("gateio")
    async with aiohttp.ClientSession() as session, session.ws_connect(cfg.websocket_url) as ws:
        sub = {"id": 1, "time": int(time.time()), "channel": "spot.obu", "event": "subscribe"}
        await ws.send_json({**sub, "payload": ["ob.BTC_USDT.50"]})
        await _recv(ws, "spot.obu")
        last = (await _recv(ws, "spot.obu"))["result"]["u"]
        gate_venue.stall("gateio", 0.3)
        await gate_venue.step(3)
        with pytest.raises(asyncio.TimeoutError):
            await _recv(ws, "spot.obu", timeout=0.15)
        delta = (await _recv(ws, "spot.obu", timeout=1.0))["result"]  # held deltas arrive once the stall ends
        assert delta["U"] == last + 1
        assert await gate_venue.drop_connections("gateio") == 1
        message = await asyncio.wait_for(ws.receive(), 1.0)
        while message.type is aiohttp.WSMsgType.TEXT:  # the released deltas still in flight
            message = await asyncio.wait_for(ws.receive(), 1.0)
        assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)
