"""Real ccxt / ccxt.pro binance against the local venue: public and signed REST, errors, streams and faults."""

from __future__ import annotations

import asyncio

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

from arbkit.venue import LocalVenue, instruments, serve
from tests.venue.conftest import binance_client

SYM = "BTC/USDT"


def same_book(book: dict, venue: LocalVenue, symbol: str = SYM) -> bool:
    snap = venue.book_at("binance", symbol, book["nonce"])
    assert snap is not None, f"seq {book['nonce']} left the venue history"
    return [list(level) for level in snap.bids] == book["bids"] and [list(level) for level in snap.asks] == book["asks"]


async def test_public_rest_passes_ccxt_validators(binance: ccxtpro.binance, local_venue: LocalVenue) -> None:
    markets = await binance.load_markets()
    assert {"BTC/USDT", "DOGE/USDT", "ETH/USDT", "SOL/USDT", "XRP/USDT"} <= set(markets) and len(markets) >= 50
    for market in markets.values():
        check_market(binance, {}, "loadMarkets", market)
    btc = markets[SYM]
    assert btc["precision"]["price"] == 0.01 and btc["precision"]["amount"] == 0.00001
    assert btc["limits"]["cost"]["min"] == 5.0 and btc["spot"] and btc["active"]
    now = binance.milliseconds()
    book = await binance.fetch_order_book(SYM)
    # Binance's /api/v3/depth carries no time, on the real exchange too
    check_order_book(binance, {"timestamp": True, "datetime": True}, "fetchOrderBook", book, SYM)
    assert same_book(book, local_venue)
    ticker = await binance.fetch_ticker(SYM)
    check_ticker(binance, {}, "fetchTicker", ticker, SYM)
    assert ticker["bid"] < ticker["ask"]
    trades = await binance.fetch_trades(SYM)
    assert trades
    for trade in trades:
        check_trade(binance, {}, "fetchTrades", trade, SYM, now, True)
    fee = await binance.fetch_trading_fee(SYM)
    check_trading_fee(binance, {}, "fetchTradingFee", SYM, fee)
    assert (fee["maker"], fee["taker"]) == (0.001, 0.001)
    assert len(await binance.fetch_tickers()) == len(instruments("binance"))  # every listed pair
    assert (await binance.fetch_time()) == pytest.approx(now, abs=5000)


async def test_signed_order_lifecycle_and_balance(binance: ccxtpro.binance) -> None:
    now = binance.milliseconds()
    balance = await binance.fetch_balance()
    check_balance(binance, {}, "fetchBalance", balance)
    assert balance["USDT"]["free"] == 100000.0 and balance["BTC"]["total"] == 2.0
    book = await binance.fetch_order_book(SYM)
    price = binance.price_to_precision(SYM, book["bids"][0][0] * 0.98)
    order = await binance.create_order(SYM, "limit", "buy", 0.01, float(price))
    check_order(binance, {}, "createOrder", order, SYM, now)
    assert order["status"] == "open" and order["amount"] == 0.01
    fetched = await binance.fetch_order(order["id"], SYM)
    check_order(binance, {}, "fetchOrder", fetched, SYM, now)
    assert [o["id"] for o in await binance.fetch_open_orders(SYM)] == [order["id"]]
    locked = (await binance.fetch_balance())["USDT"]["used"]
    assert locked == pytest.approx(0.01 * float(price))
    canceled = await binance.cancel_order(order["id"], SYM)
    assert canceled["status"] == "canceled"
    market = await binance.create_order(SYM, "market", "sell", 0.02)
    assert market["status"] == "closed" and market["filled"] == 0.02 and market["fee"]["currency"] == "USDT"
    after = await binance.fetch_balance()
    assert after["BTC"]["free"] == pytest.approx(1.98) and after["USDT"]["used"] == 0.0
    assert after["USDT"]["free"] == pytest.approx(100000.0 + market["cost"] * 0.999)
    mine = await binance.fetch_my_trades(SYM)
    for trade in mine:
        check_trade(binance, {}, "fetchMyTrades", trade, SYM, now, False)
    assert sum(t["amount"] for t in mine) == pytest.approx(0.02)


async def test_errors_map_to_ccxt_exceptions(binance: ccxtpro.binance, local_venue: LocalVenue) -> None:
    await binance.load_markets()
    with pytest.raises(ccxt.InsufficientFunds):
        await binance.create_order(SYM, "market", "sell", 5.0)
    with pytest.raises(ccxt.OrderNotFound):
        await binance.cancel_order("999", SYM)
    with pytest.raises(ccxt.OrderNotFound):
        await binance.fetch_order("999", SYM)
    with pytest.raises(ccxt.InvalidOrder):  # bypass ccxt's own rounding: the venue checks the tick itself
        await binance.private_post_order(
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "LIMIT",
                "timeInForce": "GTC",
                "quantity": "0.01",
                "price": "50000.005",
            }
        )
    with pytest.raises(ccxt.BadSymbol):
        await binance.public_get_depth({"symbol": "NOPEUSDT"})
    wrong = binance_client(local_venue, secret="not-the-secret")
    try:
        with pytest.raises(ccxt.AuthenticationError):
            await wrong.fetch_balance()
    finally:
        await wrong.close()


async def test_watch_order_book_matches_venue_history(binance: ccxtpro.binance, local_venue: LocalVenue) -> None:
    first = await binance.watch_order_book(SYM)
    assert same_book(first, local_venue)
    first_nonce = first["nonce"]  # ccxt hands back the same (mutated) book object each time
    for _ in range(40):
        book = await binance.watch_order_book(SYM)
    assert book["nonce"] > first_nonce + 20
    assert same_book(book, local_venue)


async def test_skip_sequence_raises_checksum_error_then_resyncs(
    paused_binance: ccxtpro.binance, paused_venue: LocalVenue
) -> None:
    ex, venue = paused_binance, paused_venue
    watch = asyncio.create_task(ex.watch_order_book(SYM))
    while not watch.done():
        await venue.step()
        await asyncio.sleep(0.01)
    assert same_book(watch.result(), venue)
    venue.skip_sequence("binance", SYM)
    watch = asyncio.create_task(ex.watch_order_book(SYM))
    await asyncio.sleep(0.01)
    await venue.step(2)
    with pytest.raises(ccxt.ChecksumError):
        await asyncio.wait_for(watch, 2)
    watch = asyncio.create_task(ex.watch_order_book(SYM))
    while not watch.done():
        await venue.step()
        await asyncio.sleep(0.01)
    book = watch.result()
    assert book["nonce"] == venue.book("binance", SYM).seq or same_book(book, venue)
    assert same_book(book, venue)


async def test_drop_connections_then_reconnect(binance: ccxtpro.binance, local_venue: LocalVenue) -> None:
    await asyncio.wait_for(binance.watch_order_book(SYM), 2)
    assert await asyncio.wait_for(local_venue.drop_connections("binance"), 2) >= 1
    book = None
    for _ in range(5):
        try:
            book = await asyncio.wait_for(binance.watch_order_book(SYM), 2)
            break
        except ccxt.NetworkError:
            await asyncio.sleep(0.02)
    assert book is not None and same_book(book, local_venue)
    for _ in range(5):
        book = await asyncio.wait_for(binance.watch_order_book(SYM), 2)
    assert same_book(book, local_venue)


async def test_stall_holds_book_messages_without_a_gap(binance: ccxtpro.binance, local_venue: LocalVenue) -> None:
    before = await binance.watch_order_book(SYM)
    nonce = before["nonce"]
    local_venue.stall("binance", 0.3)
    await asyncio.sleep(0.05)
    latest = binance.orderbooks[SYM]["nonce"]
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(asyncio.shield(binance.watch_order_book(SYM)), 0.15)
    assert latest >= nonce
    book = await asyncio.wait_for(binance.watch_order_book(SYM), 2)
    assert book["nonce"] > latest and same_book(book, local_venue)


async def test_watch_orders_and_balance_see_fills(binance: ccxtpro.binance, local_venue: LocalVenue) -> None:
    await binance.load_markets()
    orders = asyncio.create_task(binance.watch_orders(SYM))
    balance = asyncio.create_task(binance.watch_balance())
    await asyncio.sleep(0.1)
    created = await binance.create_order(SYM, "market", "buy", 0.01)
    seen = await asyncio.wait_for(orders, 2)
    assert seen[-1]["id"] == created["id"]
    while seen[-1]["status"] != "closed":
        seen = await asyncio.wait_for(binance.watch_orders(SYM), 2)
    assert seen[-1]["filled"] == 0.01
    bal = await asyncio.wait_for(balance, 2)
    assert bal["BTC"]["free"] == pytest.approx(2.0 + 0.01 * 0.999)
    # a resting order filled later by a market move (a dislocation pushes the asks through it)
    price = float(binance.price_to_precision(SYM, local_venue.book("binance", SYM).best_bid * 0.999))
    resting = await binance.create_order(SYM, "limit", "buy", 0.01, price)
    local_venue.inject_dislocation("binance", SYM, bps=-40.0, seconds=0.2)
    for _ in range(20):
        update = await asyncio.wait_for(binance.watch_orders(SYM), 2)
        if update[-1]["id"] == resting["id"] and update[-1]["status"] == "closed":
            break
    assert update[-1]["status"] == "closed" and update[-1]["average"] == pytest.approx(price)


async def test_user_stream_rejects_bad_signature(local_venue: LocalVenue) -> None:
    """Checked on the wire: ccxt 4.5.90 maps the -1022 answer to AuthenticationError, then its own cleanup
    raises KeyError('spot') (a double delete in ensure_user_data_stream_ws_subscribe_signature)."""
    url = local_venue.exchange_config("binance").settings["private_websocket_url"]
    api_key, _ = local_venue.credentials("binance")
    params = {"apiKey": api_key, "timestamp": 1, "signature": "00" * 32}
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        await ws.send_json({"id": "7", "method": "userDataStream.subscribe.signature", "params": params})
        answer = await asyncio.wait_for(ws.receive_json(), 2)
    assert answer == {
        "id": "7",
        "status": 401,
        "error": {"code": -1022, "msg": "Signature for this request is not valid."},
    }
    wrong = binance_client(local_venue, secret="not-the-secret")
    try:
        await wrong.load_markets()
        with pytest.raises((ccxt.AuthenticationError, KeyError)):
            await asyncio.wait_for(wrong.watch_balance(), 2)
    finally:
        await wrong.close()


async def test_unknown_exchange_and_missing_protocol_are_named() -> None:
    with pytest.raises(ValueError, match="nasdaq"):
        LocalVenue(["nasdaq"])


async def test_serve_prints_urls_and_runs_until_cancelled(capsys: pytest.CaptureFixture[str]) -> None:
    task = asyncio.create_task(serve(["binance"], seed=1, port=0, update_interval=0.05))
    for _ in range(100):
        await asyncio.sleep(0.01)
        out = capsys.readouterr().out
        if out:
            break
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert out.startswith("binance: rest=http://127.0.0.1:") and "/binance/stream/ws" in out
    assert "private_ws=ws://127.0.0.1:" in out and "/binance/ws-api/v3" in out
