"""Binance spot: ccxt id ``binance``. Spot markets only; ccxt's own U/u sequence check raises on a gap."""

from __future__ import annotations

import ccxt.pro

from arbkit.exchanges.ccxt_books import BatchedReceive
from arbkit.exchanges.components import (
    CcxtPrivateSpotRest,
    CcxtPrivateSpotWebsocket,
    CcxtPublicSpotRest,
    CcxtPublicSpotWebsocket,
)
from arbkit.exchanges.spec import ExchangeSpec, UrlForm, UrlRoute, UrlSource
from arbkit.structs import ExchangeEnum


class BinancePro(BatchedReceive, ccxt.pro.binance):
    """ccxt.pro's binance with burst-batched websocket receives (one connection per book: no unsubscribe needed)."""

    def arbkit_book_hash(self, symbol: str) -> str:
        return "orderbook::" + symbol


BINANCE_SPEC = ExchangeSpec(
    name="binance",
    ccxt_id="binance",
    exchange=ExchangeEnum.BINANCE,
    urls=(
        UrlRoute("public", UrlSource.REST, "/api/v3"),
        UrlRoute("private", UrlSource.PRIVATE_REST, "/api/v3"),
        UrlRoute("v1", UrlSource.REST, "/api/v1"),
        UrlRoute("sapi", UrlSource.REST, "/sapi/v1"),  # spot trading fees (asset/tradeFee)
        UrlRoute("ws.spot", UrlSource.WS),
        UrlRoute("ws.ws-api.spot", UrlSource.PRIVATE_WS),
    ),
    url_forms={
        UrlSource.REST: UrlForm("", ("", "/api", "/api/v3"), "https://api.binance.com"),
        UrlSource.WS: UrlForm("/ws", ("", "/ws"), "wss://stream.binance.com:9443/ws"),
        UrlSource.PRIVATE_WS: UrlForm("/ws-api/v3", ("/ws-api/v3",), "wss://ws-api.binance.com:443/ws-api/v3"),
    },
    api_version="v3",
    # Only GET /api/v3/exchangeInfo on load_markets: no futures, margin or currency calls.
    options={
        "defaultType": "spot",
        "fetchMarkets": {"types": ["spot"]},
        "fetchCurrencies": False,
        "fetchMargins": False,
    },
    pro_class=BinancePro,
    default_fees=(0.001, 0.001),
    default_private_ws="wss://ws-api.binance.com:443/ws-api/v3",
)


class BinancePublicSpotRestInterface(CcxtPublicSpotRest):
    spec = BINANCE_SPEC


class BinancePrivateSpotRestInterface(CcxtPrivateSpotRest):
    spec = BINANCE_SPEC


class BinancePublicSpotWebsocket(CcxtPublicSpotWebsocket):
    spec = BINANCE_SPEC


class BinancePrivateSpotWebsocket(CcxtPrivateSpotWebsocket):
    spec = BINANCE_SPEC
