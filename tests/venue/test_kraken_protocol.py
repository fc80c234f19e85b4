"""The venue's Kraken protocol against the real ccxt / ccxt.pro ``kraken`` client (and a raw websocket where ccxt
hides the wire: the v2 book checksums)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
import zlib
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import aiohttp
import ccxt
import ccxt.pro as ccxtpro
import pytest
from ccxt.test.exchange.base.test_balance import test_balance as check_balance
from ccxt.test.exchange.base.test_market import test_market as check_market
from ccxt.test.exchange.base.test_order import test_order as check_order
from ccxt.test.exchange.base.test_order_book import test_order_book as check_order_book
from ccxt.test.exchange.base.test_ticker import test_ticker as check_ticker
from ccxt.test.exchange.base.test_trade import test_trade as check_trade

from arbkit.venue import LocalVenue

SYMBOL = "BTC/USD"
# What ccxt's kraken itself leaves out, against the real exchange too: market baseId holds the unified code,
# REST books carry no top-level timestamp, and parse_order keeps the fee cost as a string (checked apart).
SKIP_MARKET = {"currencyIdAndCode": True}
SKIP_BOOK = {"timestamp": True, "datetime": True}


def kraken_client(venue: LocalVenue, secret: str | None = None) -> ccxtpro.kraken:
    """A plain ccxt.pro kraken whose URL keys point at the venue."""
    cfg = venue.exchange_config("kraken")
    exchange = ccxtpro.kraken(
        {"apiKey": cfg.api_key, "secret": secret if secret is not None else cfg.secret_key, "enableRateLimit": False}
    )
    exchange.timeout_on_exit = 0
    api = exchange.urls["api"]
    api["public"] = api["private"] = cfg.base_url
    api["ws"]["publicV2"] = cfg.websocket_url
    api["ws"]["privateV2"] = api["ws"]["private"] = cfg.settings["private_websocket_url"]
    return exchange


@pytest.fixture
async def kraken_venue() -> AsyncIterator[LocalVenue]:
    async with LocalVenue(["kraken"], seed=5, update_interval=0.02) as venue:
        yield venue


@pytest.fixture
async def kraken(kraken_venue: LocalVenue) -> AsyncIterator[ccxtpro.kraken]:
    exchange = kraken_client(kraken_venue)
    try:
        await exchange.load_markets()
        yield exchange
    finally:
        await exchange.close()


def spec_checksum(book: dict[str, dict[float, float]], pd: int, qd: int) -> int:
    """Kraken's book checksum written straight from its documentation, independent of the code under test."""
    text = ""
    for side, reverse in (("asks", False), ("bids", True)):
        for price, qty in sorted(book[side].items(), reverse=reverse)[:10]:
            for value, decimals in ((price, pd), (qty, qd)):
                text += f"{value:.{decimals}f}".replace(".", "").lstrip("0")
    return zlib.crc32(text.encode())


async def test_markets_unify_kraken_names(kraken: ccxtpro.kraken) -> None:
    markets = kraken.markets
    assert {"BTC/USD", "ETH/USD", "BTC/USDT", "ETH/USDT", "DOGE/USDT", "XRP/USDT"} <= set(markets)
    assert markets["BTC/USD"]["id"] == "XXBTZUSD" and markets["BTC/USD"]["base"] == "BTC"
    assert markets["BTC/USDT"]["id"] == "XBTUSDT" and markets["BTC/USDT"]["quote"] == "USDT"
    assert markets["DOGE/USDT"]["id"] == "XDGUSDT" and markets["DOGE/USDT"]["altname"] == "XDGUSDT"
    assert markets["BTC/USD"]["taker"] == 0.004 and markets["BTC/USD"]["limits"]["cost"]["min"] == 5.0
    assert kraken.currencies["BTC"]["id"] == "XXBT"
    for symbol in ("BTC/USD", "BTC/USDT", "DOGE/USDT"):
        check_market(kraken, SKIP_MARKET, "loadMarkets", markets[symbol])


async def test_public_data_passes_ccxt_validators(kraken: ccxtpro.kraken, kraken_venue: LocalVenue) -> None:
    kraken_venue.pause()  # a still market: the fetched book is the venue's book, not a race against its next tick
    book = await kraken.fetch_order_book(SYMBOL, 10)
    check_order_book(kraken, SKIP_BOOK, "fetchOrderBook", book, SYMBOL)
    venue_book = kraken_venue.book("kraken", SYMBOL)
    assert [(p, q) for p, q, _ in book["bids"]] == venue_book.bids[:10]
    assert [(p, q) for p, q, _ in book["asks"]] == venue_book.asks[:10]
    kraken_venue.resume()
    check_ticker(kraken, {}, "fetchTicker", await kraken.fetch_ticker(SYMBOL), SYMBOL)
    trades = await kraken.fetch_trades(SYMBOL, limit=5)
    assert trades
    now = kraken.milliseconds()
    for trade in trades:
        check_trade(kraken, {}, "fetchTrades", trade, SYMBOL, now, True)
    assert abs(await kraken.fetch_time() - now) < 5000
    with pytest.raises(ccxt.BadSymbol):
        await kraken.fetch_order_book("NOPE/USD")


async def test_signed_orders_and_balances(kraken: ccxtpro.kraken, kraken_venue: LocalVenue) -> None:
    balance = await kraken.fetch_balance()
    check_balance(kraken, {}, "fetchBalance", balance)
    assert balance["BTC"]["total"] == 2.0 and balance["USD"]["free"] == 100000.0
    best_bid = kraken_venue.book("kraken", SYMBOL).bids[0][0]
    created = await kraken.create_order(SYMBOL, "limit", "buy", 0.01, round(best_bid * 0.9, 2))
    assert (
        created["id"].startswith("O") and created["symbol"] == SYMBOL and created["price"] == round(best_bid * 0.9, 2)
    )
    fetched = await kraken.fetch_order(created["id"])
    check_order(kraken, {}, "fetchOrder", {**fetched, "fee": None, "fees": []}, SYMBOL, kraken.milliseconds())
    assert float(fetched["fee"]["cost"]) == 0 and fetched["fee"]["currency"] == "BTC"
    assert fetched["status"] == "open" and fetched["filled"] == 0 and fetched["amount"] == 0.01
    assert (await kraken.fetch_balance())["USD"]["used"] == pytest.approx(0.01 * round(best_bid * 0.9, 2))
    assert [o["id"] for o in await kraken.fetch_open_orders()] == [created["id"]]
    await kraken.cancel_order(created["id"])
    assert (await kraken.fetch_order(created["id"]))["status"] == "canceled"
    market = await kraken.create_order(SYMBOL, "market", "sell", 0.001)
    filled = await kraken.fetch_order(market["id"])
    assert filled["status"] == "closed" and filled["filled"] == 0.001 and filled["average"] > 0
    fee = await kraken.fetch_trading_fee(SYMBOL)
    assert fee["maker"] == 0.0025 and fee["taker"] == 0.004


async def test_errors_map_to_ccxt_exceptions(kraken: ccxtpro.kraken, kraken_venue: LocalVenue) -> None:
    best_bid = kraken_venue.book("kraken", SYMBOL).bids[0][0]
    with pytest.raises(ccxt.InsufficientFunds):
        await kraken.create_order(SYMBOL, "limit", "buy", 100, round(best_bid * 0.99, 2))
    with pytest.raises(ccxt.OrderNotFound):
        await kraken.cancel_order("OAAAAA-AAAAA-AAAAAB")
    with pytest.raises(ccxt.OrderNotFound):
        await kraken.fetch_order("OAAAAA-AAAAA-AAAAAB")
    with pytest.raises(ccxt.InvalidOrder):
        await kraken.fetch_order("not-an-order-id")
    bad = kraken_client(kraken_venue, secret=base64.b64encode(b"w" * 64).decode())
    try:
        with pytest.raises(ccxt.AuthenticationError):
            await bad.fetch_balance()
    finally:
        await bad.close()


async def test_nonce_must_not_repeat(kraken_venue: LocalVenue) -> None:
    cfg = kraken_venue.exchange_config("kraken")
    path = "/0/private/Balance"

    async def post(session: aiohttp.ClientSession, nonce: str) -> dict[str, Any]:
        body = urlencode({"nonce": nonce}).encode()
        digest = hashlib.sha256(nonce.encode() + body).digest()
        sign = hmac.new(base64.b64decode(cfg.secret_key or ""), path.encode() + digest, hashlib.sha512).digest()
        headers = {
            "API-Key": cfg.api_key or "",
            "API-Sign": base64.b64encode(sign).decode(),
            "Content-Type": "application/x-www-form-urlencoded",
        }
        async with session.post(cfg.base_url + path, data=body, headers=headers) as resp:
            return await resp.json()

    nonce = str(int(time.time() * 1000))
    async with aiohttp.ClientSession() as session:
        assert (await post(session, nonce))["error"] == []
        assert (await post(session, nonce))["error"] == ["EAPI:Invalid nonce"]
        assert (await post(session, str(int(nonce) - 60_000)))["error"] == ["EAPI:Invalid nonce"]


async def test_every_book_message_carries_the_right_checksum(kraken_venue: LocalVenue) -> None:
    """A raw v2 client keeps its depth-10 window as Kraken says, and checks each checksum and venue_seq."""
    cfg = kraken_venue.exchange_config("kraken")
    book: dict[str, dict[float, float]] = {"bids": {}, "asks": {}}
    async with aiohttp.ClientSession() as session, session.ws_connect(cfg.websocket_url or "") as ws:
        assert (await ws.receive_json())["channel"] == "status"
        await ws.send_json({"method": "subscribe", "params": {"channel": "book", "symbol": [SYMBOL]}, "req_id": 7})
        ack = await ws.receive_json()
        assert ack["success"] and ack["req_id"] == 7 and ack["result"]["depth"] == 10
        checked = 0
        while checked < 40:
            msg = await asyncio.wait_for(ws.receive_json(), 5)
            if msg.get("channel") != "book":
                continue
            data = msg["data"][0]
            for side, reverse in (("bids", True), ("asks", False)):
                for level in data[side]:
                    if level["qty"] == 0:
                        book[side].pop(level["price"], None)
                    else:
                        book[side][level["price"]] = level["qty"]
                book[side] = dict(sorted(book[side].items(), reverse=reverse)[:10])
            assert data["checksum"] == spec_checksum(book, 2, 5), f"message {checked} ({msg['type']})"
            expected = kraken_venue.book_at("kraken", SYMBOL, data["venue_seq"])
            if expected is not None:
                assert sorted(book["bids"].items(), reverse=True) == expected.bids[:10]
                assert sorted(book["asks"].items()) == expected.asks[:10]
            checked += 1
        await ws.send_json({"method": "ping", "req_id": 8})
        await ws.send_json({"method": "subscribe", "params": {"channel": "book", "symbol": [SYMBOL], "depth": 7}})
        await ws.send_json({"method": "subscribe", "params": {"channel": "book", "symbol": ["NOPE/USD"]}})
        replies: dict[str, Any] = {}
        while len(replies) < 3:
            msg = await asyncio.wait_for(ws.receive_json(), 5)
            if msg.get("method") == "pong":
                replies["pong"] = msg
            elif "error" in msg:
                replies[msg["error"]] = msg
        assert replies["pong"]["req_id"] == 8
        assert {"Subscription depth not supported", "Currency pair not supported NOPE/USD"} <= set(replies)


async def test_watch_order_book_follows_the_venue(kraken: ccxtpro.kraken, kraken_venue: LocalVenue) -> None:
    kraken_venue.pause()
    book = await kraken.watch_order_book(SYMBOL, 25)
    for _ in range(5):
        await kraken_venue.step(3)
        book = await kraken.watch_order_book(SYMBOL, 25)
        venue_book = kraken_venue.book("kraken", SYMBOL)
        for _ in range(10):  # the step's updates may arrive as several messages
            if [tuple(r) for r in book["bids"][:25]] == venue_book.bids[:25]:
                break
            book = await asyncio.wait_for(kraken.watch_order_book(SYMBOL, 25), 0.5)
        assert [tuple(r) for r in book["bids"][:25]] == venue_book.bids[:25]
        assert [tuple(r) for r in book["asks"][:25]] == venue_book.asks[:25]


async def test_private_streams(kraken: ccxtpro.kraken, kraken_venue: LocalVenue) -> None:
    balance_watch = asyncio.ensure_future(kraken.watch_balance())
    orders_watch = asyncio.ensure_future(kraken.watch_orders())
    snapshot = await asyncio.wait_for(balance_watch, 5)
    assert snapshot["BTC"]["total"] == 2.0
    await asyncio.sleep(0.1)
    best_bid = kraken_venue.book("kraken", SYMBOL).bids[0][0]
    created = await kraken.create_order(SYMBOL, "limit", "buy", 0.01, round(best_bid * 0.9, 2))
    orders = await asyncio.wait_for(orders_watch, 5)
    assert orders[-1]["id"] == created["id"] and orders[-1]["status"] == "open" and orders[-1]["symbol"] == SYMBOL
    await kraken.cancel_order(created["id"])
    deadline = time.monotonic() + 5
    while orders[-1]["status"] != "canceled":
        assert time.monotonic() < deadline
        orders = await asyncio.wait_for(kraken.watch_orders(), 5)
    sold = asyncio.ensure_future(kraken.watch_balance())
    await kraken.create_order(SYMBOL, "market", "sell", 0.001)
    after = await asyncio.wait_for(sold, 5)
    assert after["BTC"]["total"] == pytest.approx(1.999)
