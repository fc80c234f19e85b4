"""The venue answers malformed order ids, numbers and websocket messages the way each exchange does: its own error
shape and code, never an HTTP 500 and never a websocket handler that raises (and so leaves the client unanswered)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import ccxt
import msgspec
import pytest

from arbkit.exchanges import factory
from arbkit.venue import LocalVenue


@pytest.fixture
async def served() -> AsyncIterator[LocalVenue]:
    async with LocalVenue(["binance", "gateio", "mexc", "kraken"], seed=7, update_interval=0.05) as venue:
        venue.pause()
        yield venue


@pytest.fixture
def server_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Error records of the venue's server and websocket hub: a 500 or a handler that raised."""
    caplog.set_level(logging.ERROR)
    return caplog.messages  # type: ignore[return-value]


async def _refusal(call: Any) -> str:
    """The text of ccxt's exception for a refused request; never ExchangeNotAvailable (how ccxt reads a 500)."""
    with pytest.raises(ccxt.BaseError) as info:
        await call
    assert not isinstance(info.value, ccxt.ExchangeNotAvailable), f"the venue failed: {info.value}"
    return str(info.value)


@pytest.fixture
async def clients(served: LocalVenue) -> AsyncIterator[dict[str, Any]]:
    """Signed ccxt clients of each exchange, configured by arbkit for the venue."""
    opened = {
        name: factory.get_composite_implementation(served.exchange_config(name), is_private=True)
        for name in ("binance", "gateio", "mexc", "kraken")
    }
    for private in opened.values():
        await private.init()
    try:
        yield {name: private.rest.ccxt.client for name, private in opened.items()}  # type: ignore[union-attr]
    finally:
        for private in opened.values():
            await private.close()


async def test_binance_rest_malformed_ids_and_numbers(clients: dict[str, Any], server_errors: list[str]) -> None:
    binance = clients["binance"]
    text = await _refusal(binance.private_get_order({"symbol": "BTCUSDT", "orderId": "../x"}))
    assert '"code": -1100' in text and "Illegal characters found in parameter 'orderId'" in text
    text = await _refusal(binance.private_delete_order({"symbol": "BTCUSDT", "orderId": "abc"}))
    assert '"code": -1100' in text
    text = await _refusal(binance.private_get_order({"symbol": "BTCUSDT", "orderId": ""}))
    assert '"code": -1102' in text
    order = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "price": "50000"}
    for bad in ("nan", "inf", "-1", "1e-3"):
        text = await _refusal(binance.private_post_order({**order, "quantity": bad}))
        assert "Illegal characters found in parameter 'quantity'" in text, bad
    text = await _refusal(binance.public_get_depth({"symbol": "BTCUSDT", "limit": "ten"}))
    assert "Illegal characters found in parameter 'limit'" in text
    text = await _refusal(binance.private_get_account({"recvWindow": "-1"}))  # ccxt signs an integer it is given
    assert '"code": -1100' in text and "Illegal characters found in parameter 'recvWindow'" in text
    text = await _refusal(binance.private_get_account({"recvWindow": "60001"}))
    assert '"code": -1131' in text and "recvWindow must be less than 60000" in text
    assert "balances" in await binance.private_get_account({"recvWindow": "60000"})
    assert server_errors == []


async def test_binance_refuses_a_signed_recv_window_that_is_no_integer(served: LocalVenue) -> None:
    # ccxt replaces a recvWindow it cannot read as an integer by its own, so this one goes on the wire by hand
    config = served.exchange_config("binance")
    query = f"recvWindow=abc&timestamp={int(time.time() * 1000)}"
    signature = hmac.new(str(config.secret_key).encode(), query.encode(), hashlib.sha256).hexdigest()
    async with aiohttp.ClientSession() as session:
        url = f"{config.base_url}/api/v3/account?{query}&signature={signature}"
        async with session.get(url, headers={"X-MBX-APIKEY": str(config.api_key)}) as response:
            assert response.status == 400
            assert await response.json() == {
                "code": -1100,
                "msg": "Illegal characters found in parameter 'recvWindow'; legal range is '^[0-9]{1,20}$'.",
            }


async def test_gate_rest_escaped_and_malformed_ids(clients: dict[str, Any], server_errors: list[str]) -> None:
    gate = clients["gateio"]
    for escaped in ("a%2Fb", "%2E%2E", "x%3Fy"):  # what a client sends after escaping 'a/b', '..', 'x?y'
        text = await _refusal(gate.fetch_order(escaped, "BTC/USDT"))
        assert '"label": "INVALID_PARAM_VALUE"' in text and "order_id" in text, text
    text = await _refusal(gate.fetch_order("abc", "BTC/USDT"))
    assert '"label": "ORDER_NOT_FOUND"' in text
    body = {"currency_pair": "BTC_USDT", "side": "buy", "type": "limit", "price": "50000", "account": "spot"}
    for bad in ("nan", "inf", "-1"):
        text = await _refusal(gate.private_spot_post_orders({**body, "amount": bad}))
        assert '"label": "INVALID_PARAM_VALUE"' in text and "amount" in text, bad
    assert server_errors == []


async def test_kraken_rest_malformed_ids_and_numbers(clients: dict[str, Any], server_errors: list[str]) -> None:
    kraken = clients["kraken"]
    for txid in ("../x", "", "OABCDE"):
        assert "EOrder:Invalid order" in await _refusal(kraken.private_post_cancelorder({"txid": txid}))
    assert "EOrder:Invalid order" in await _refusal(kraken.private_post_queryorders({"txid": "../x"}))
    order = {"pair": "XXBTZUSD", "type": "buy", "ordertype": "limit", "price": "50000"}
    for bad in ("nan", "inf", "-1"):
        text = await _refusal(kraken.private_post_addorder({**order, "volume": bad}))
        assert "EGeneral:Invalid arguments:volume" in text, bad
    assert "EGeneral:Invalid arguments:count" in await _refusal(
        kraken.public_get_depth({"pair": "XXBTZUSD", "count": "x"})
    )
    order = {**order, "volume": "0.001", "validate": "true"}
    for bad in ("abc", "1.5", "2147483648"):  # userref is a signed 32-bit integer
        text = await _refusal(kraken.private_post_addorder({**order, "userref": bad}))
        assert "EGeneral:Invalid arguments:userref" in text, bad
    assert "descr" in (await kraken.private_post_addorder({**order, "userref": "-2147483648"}))["result"]
    assert server_errors == []


async def test_mexc_rest_malformed_numbers(clients: dict[str, Any], server_errors: list[str]) -> None:
    mexc = clients["mexc"]
    order = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "price": "50000"}
    for bad in ("nan", "inf", "-1"):
        text = await _refusal(mexc.spot_private_post_order({**order, "quantity": bad}))
        assert '"code": 700008' in text, bad
    assert '"code": 700008' in await _refusal(mexc.spot_public_get_depth({"symbol": "BTCUSDT", "limit": "x"}))
    assert server_errors == []


async def _answers(url: str, message: Any) -> list[dict[str, Any]]:
    """Every JSON reply (skipping status and heartbeat pushes) within a short while after sending ``message``."""
    out: list[dict[str, Any]] = []
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        await ws.send_str(msgspec.json.encode(message).decode())
        try:
            while True:
                frame = await asyncio.wait_for(ws.receive(), 0.3)
                if frame.type is not aiohttp.WSMsgType.TEXT:
                    break
                reply = msgspec.json.decode(frame.data)
                if reply.get("channel") not in ("status", "heartbeat"):
                    out.append(reply)
        except TimeoutError:
            pass
    return out


BAD_SHAPES: list[tuple[str, str, Any, str]] = [
    # (exchange, which socket, message, what the exchange's refusal contains)
    ("binance", "public", {"method": "SUBSCRIBE", "params": 5, "id": 1}, '"code":2'),
    ("binance", "public", {"method": "SUBSCRIBE", "params": [{"a": 1}], "id": 1}, '"code":2'),
    ("binance", "private", {"method": "userDataStream.subscribe.signature", "params": [1], "id": "1"}, '"code":-1102'),
    ("gateio", "public", {"channel": "spot.obu", "event": "subscribe", "payload": 5, "id": 1}, '"status":"fail"'),
    ("gateio", "public", {"channel": "spot.trades", "event": "subscribe", "payload": 5, "id": 1}, '"status":"fail"'),
    ("mexc", "public", {"method": "SUBSCRIPTION", "params": 5}, "Not Subscribed successfully"),
    ("mexc", "public", {"method": "SUBSCRIPTION", "params": [{"x": 1}]}, "Not Subscribed successfully"),
    ("kraken", "public", {"method": "subscribe", "params": [1], "req_id": 1}, '"success":false'),
    ("kraken", "public", {"method": "subscribe", "params": {"channel": "book", "symbol": 5}}, '"success":false'),
    ("kraken", "public", {"method": "subscribe", "params": {"channel": "book", "symbol": [[1]]}}, '"success":false'),
    ("kraken", "private", {"method": "subscribe", "params": [1], "req_id": 1}, '"success":false'),
]


@pytest.mark.parametrize(("name", "socket", "message", "refusal"), BAD_SHAPES)
async def test_websocket_handlers_refuse_bad_shapes_in_the_exchanges_form(
    served: LocalVenue, server_errors: list[str], name: str, socket: str, message: Any, refusal: str
) -> None:
    config = served.exchange_config(name)
    url = config.websocket_url if socket == "public" else config.settings["private_websocket_url"]
    assert url is not None
    if name == "binance" and socket == "public":
        url += "/1"
    replies = await _answers(url, message)
    assert any(refusal in msgspec.json.encode(r).decode() for r in replies), replies
    assert server_errors == [], server_errors
