"""Real ccxt / ccxt.pro mexc against the local venue: public and signed REST, errors, protobuf streams and gaps."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import ccxt
import ccxt.pro as ccxtpro
import pytest
from ccxt.test.exchange.base import test_balance as check_balance
from ccxt.test.exchange.base import test_market as check_market
from ccxt.test.exchange.base import test_order as check_order
from ccxt.test.exchange.base import test_order_book as check_order_book
from ccxt.test.exchange.base import test_ticker as check_ticker
from ccxt.test.exchange.base import test_trade as check_trade
from ccxt.test.exchange.base import test_trading_fee as check_trading_fee

from arbkit.exchanges.book_feed import SequenceGap
from arbkit.exchanges.mexc import MexcPro
from arbkit.venue import LocalVenue, instruments

SYM = "BTC/USDT"


def mexc_client(venue: LocalVenue, cls: type = ccxtpro.mexc, secret: str | None = None) -> Any:
    """A real ccxt.pro mexc (or arbkit's MexcPro) whose URL keys point at the venue, rate limiter off."""
    cfg = venue.exchange_config("mexc")
    exchange = cls(
        {
            "apiKey": cfg.api_key,
            "secret": secret if secret is not None else cfg.secret_key,
            "enableRateLimit": False,
            "options": {"watchOrderBook": {"snapshotDelay": 2}},
        }
    )
    exchange.has["fetchCurrencies"] = False
    exchange.timeout_on_exit = 0
    api = exchange.urls["api"]
    api["spot"] = {"public": cfg.base_url, "private": cfg.base_url}
    api["contract"] = {"public": f"{cfg.base_url}/api/v1/contract", "private": f"{cfg.base_url}/api/v1/private"}
    api["ws"]["spot"] = cfg.websocket_url
    return exchange


def same_book(book: Any, venue: LocalVenue, depth: int | None = None) -> bool:
    snap = venue.book_at("mexc", SYM, book["nonce"])
    assert snap is not None, f"seq {book['nonce']} left the venue history"
    bids, asks = book["bids"][:depth], book["asks"][:depth]
    # plain ccxt keeps levels as lists, arbkit's exchange classes as (price, size) tuples: compare the values
    return [tuple(x) for x in snap.bids[:depth]] == [tuple(x) for x in bids] and [
        tuple(x) for x in snap.asks[:depth]
    ] == [tuple(x) for x in asks]


@pytest.fixture
async def mexc_venue() -> AsyncIterator[LocalVenue]:
    async with LocalVenue(["mexc"], seed=7, update_interval=0.02) as venue:
        yield venue


@pytest.fixture
async def mexc(mexc_venue: LocalVenue) -> AsyncIterator[Any]:
    exchange = mexc_client(mexc_venue)
    try:
        yield exchange
    finally:
        await exchange.close()


async def test_public_rest_passes_ccxt_validators(mexc: Any, mexc_venue: LocalVenue) -> None:
    markets = await mexc.load_markets()
    assert {"BTC/USDT", "DOGE/USDT", "ETH/USDT", "SOL/USDT", "XRP/USDT"} <= set(markets) and len(markets) >= 50
    for market in markets.values():
        check_market(mexc, {}, "loadMarkets", market)
    btc = markets[SYM]
    assert btc["precision"] == {"amount": 0.00001, "price": 0.01}
    assert btc["limits"]["amount"]["min"] == 0.00001 and btc["limits"]["cost"]["min"] == 1.0
    assert (btc["maker"], btc["taker"]) == (0.0, 0.0005) and btc["active"]
    assert markets["DOGE/USDT"]["precision"]["amount"] == 1
    now = mexc.milliseconds()
    book = await mexc.fetch_order_book(SYM)
    check_order_book(mexc, {}, "fetchOrderBook", book, SYM)
    assert same_book(book, mexc_venue)
    ticker = await mexc.fetch_ticker(SYM)
    check_ticker(mexc, {}, "fetchTicker", ticker, SYM)
    assert ticker["bid"] < ticker["ask"]
    await asyncio.sleep(0.2)  # a few synthetic trades
    trades = await mexc.fetch_trades(SYM)
    assert trades
    for trade in trades:
        check_trade(mexc, {}, "fetchTrades", trade, SYM, now, True)
    raw = await mexc.fetch_trades(SYM, params={"method": "spotPublicGetTrades"})
    assert [t["price"] for t in raw][: len(trades)] == [t["price"] for t in trades]  # newer trades may follow
    assert len(await mexc.fetch_tickers()) == len(instruments("mexc"))  # every listed pair
    assert (await mexc.fetch_time()) == pytest.approx(now, abs=5000)


async def test_signed_order_lifecycle_and_balance(mexc: Any) -> None:
    now = mexc.milliseconds()
    balance = await mexc.fetch_balance()
    check_balance(mexc, {}, "fetchBalance", balance)
    assert balance["USDT"]["free"] == 100000.0 and balance["BTC"]["total"] == 2.0
    fee = await mexc.fetch_trading_fee(SYM)
    check_trading_fee(mexc, {}, "fetchTradingFee", SYM, fee)
    assert (fee["maker"], fee["taker"]) == (0.0, 0.0005)
    book = await mexc.fetch_order_book(SYM)
    price = float(mexc.price_to_precision(SYM, book["bids"][0][0] * 0.98))
    order = await mexc.create_order(SYM, "limit", "buy", 0.01, price, {"clientOrderId": "arb-1"})
    check_order(mexc, {}, "createOrder", order, SYM, now)
    fetched = await mexc.fetch_order(order["id"], SYM)
    check_order(mexc, {}, "fetchOrder", fetched, SYM, now)
    assert fetched["status"] == "open" and fetched["clientOrderId"] == "arb-1" and fetched["amount"] == 0.01
    assert [o["id"] for o in await mexc.fetch_open_orders(SYM)] == [order["id"]]
    assert (await mexc.fetch_balance())["USDT"]["used"] == pytest.approx(0.01 * price)
    canceled = await mexc.cancel_order(order["id"], SYM)
    assert canceled["status"] == "canceled" and canceled["side"] == "buy"
    market = await mexc.create_order(SYM, "market", "sell", 0.02)
    done = await mexc.fetch_order(market["id"], SYM)
    assert done["status"] == "closed" and done["filled"] == 0.02 and done["type"] == "market"
    after = await mexc.fetch_balance()
    assert after["BTC"]["free"] == pytest.approx(1.98) and after["USDT"]["used"] == 0.0
    assert after["USDT"]["free"] == pytest.approx(100000.0 + done["cost"] * (1 - 0.0005))


async def test_errors_map_to_ccxt_exceptions(mexc: Any, mexc_venue: LocalVenue) -> None:
    await mexc.load_markets()
    price = mexc_venue.book("mexc", SYM).bids[0][0]
    with pytest.raises(ccxt.InsufficientFunds):
        await mexc.create_order(SYM, "limit", "buy", 100, price)
    with pytest.raises(ccxt.InvalidOrder):  # 0.00002 BTC is far below the 1 USDT minimum notional
        await mexc.create_order(SYM, "limit", "buy", 0.00002, 1000.0)
    with pytest.raises(ccxt.BadSymbol):
        await mexc.spotPublicGetDepth({"symbol": "NOPEUSDT"})
    # ccxt maps no MEXC code to OrderNotFound: plain ccxt says ExchangeError, arbkit's MexcPro says OrderNotFound
    with pytest.raises(ccxt.ExchangeError, match="-2013"):
        await mexc.fetch_order("424242", SYM)
    pro = mexc_client(mexc_venue, MexcPro)
    bad = mexc_client(mexc_venue, secret="wrong-secret-0123456789")
    try:
        with pytest.raises(ccxt.OrderNotFound):
            await pro.cancel_order("424242", SYM)
        with pytest.raises(ccxt.AuthenticationError, match="700002"):
            await bad.fetch_balance()
    finally:
        await pro.close()
        await bad.close()


async def test_raw_signature_checks_and_ws_control(mexc_venue: LocalVenue) -> None:
    cfg = mexc_venue.exchange_config("mexc")
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{cfg.base_url}/api/v3/account?timestamp=1&signature=00") as resp:
            assert resp.status == 401 and (await resp.json())["code"] == 700001
        headers = {"X-MEXC-APIKEY": cfg.api_key}
        async with http.get(f"{cfg.base_url}/api/v3/account?timestamp=1&signature=00", headers=headers) as resp:
            assert (await resp.json())["code"] == 700002
        async with http.ws_connect(f"{cfg.websocket_url}?listenKey=nope") as ws:
            assert (await ws.receive_str()) == "Invalid listen key"
        async with http.ws_connect(cfg.websocket_url) as ws:
            await ws.send_json({"method": "PING"})
            assert (await ws.receive_json()) == {"id": 0, "code": 0, "msg": "PONG"}
            await ws.send_json({"method": "SUBSCRIPTION", "params": ["spot@private.orders.v3.api.pb"]})
            assert "Not Subscribed" in (await ws.receive_json())["msg"]


async def test_watch_order_book_equals_venue_history(mexc: Any, mexc_venue: LocalVenue) -> None:
    book = await asyncio.wait_for(mexc.watch_order_book(SYM), 5)
    seen = set()
    for _ in range(15):
        book = await asyncio.wait_for(mexc.watch_order_book(SYM), 5)
        assert same_book(book, mexc_venue)
        seen.add(book["nonce"])
    assert len(seen) > 5


async def test_plain_ccxt_misses_a_gap_and_mexc_pro_raises_it(mexc_venue: LocalVenue) -> None:
    plain, pro = mexc_client(mexc_venue), mexc_client(mexc_venue, MexcPro)
    try:
        await asyncio.wait_for(asyncio.gather(plain.watch_order_book(SYM), pro.watch_order_book(SYM)), 5)
        skipped = mexc_venue.book("mexc", SYM).seq + 1  # the next push (or one still queued) is not sent
        mexc_venue.skip_sequence("mexc", SYM)
        with pytest.raises(SequenceGap, match="push starts at"):
            for _ in range(50):
                await asyncio.wait_for(pro.watch_order_book(SYM), 5)
        book = await asyncio.wait_for(plain.watch_order_book(SYM), 5)
        assert book["nonce"] > skipped, "plain ccxt applied pushes past the gap without noticing"
        # the next watch resubscribes and re-snapshots: MexcPro's book equals the venue's again
        for _ in range(5):
            book = await asyncio.wait_for(pro.watch_order_book(SYM), 5)
            assert same_book(book, mexc_venue)
    finally:
        await plain.close()
        await pro.close()


async def test_watch_orders_and_balance_decode_protobuf_pushes(mexc_venue: LocalVenue) -> None:
    client = mexc_client(mexc_venue, MexcPro)
    try:
        await client.load_markets()
        orders = asyncio.ensure_future(client.watch_orders(SYM))
        balance = asyncio.ensure_future(client.watch_balance())
        await asyncio.sleep(0.2)  # both subscriptions are live
        price = mexc_venue.book("mexc", SYM).bids[0][0] * 0.9
        placed = await client.create_order(SYM, "limit", "buy", 0.01, float(client.price_to_precision(SYM, price)))
        [pushed] = await asyncio.wait_for(orders, 5)
        assert (pushed["id"], pushed["status"], pushed["side"], pushed["amount"]) == (placed["id"], "open", "buy", 0.01)
        usdt = (await asyncio.wait_for(balance, 5))["USDT"]
        assert usdt["used"] == pytest.approx(0.01 * float(client.price_to_precision(SYM, price)))
        await client.cancel_order(placed["id"], SYM)
        pushed = (await asyncio.wait_for(client.watch_orders(SYM), 5))[-1]
        assert pushed["status"] == "canceled"
    finally:
        await client.close()
