"""Gate.io spot: ccxt id ``gate``. ccxt does no gap check on ``spot.obu`` deltas, so this module adds one."""

from __future__ import annotations

from typing import Any

import ccxt.pro

from arbkit.exchanges.ccxt_books import BatchedReceive, SequenceGap, fail_watch
from arbkit.exchanges.components import (
    CcxtPrivateSpotRest,
    CcxtPrivateSpotWebsocket,
    CcxtPublicSpotRest,
    CcxtPublicSpotWebsocket,
)
from arbkit.exchanges.spec import ExchangeSpec, UrlForm, UrlRoute, UrlSource
from arbkit.structs import ExchangeEnum


class GateioPro(BatchedReceive, ccxt.pro.gate):
    """ccxt.pro's gate plus a sequence check (a delta whose ``U`` skips past the book's nonce fails the watch) and a
    per-symbol ``spot.obu`` unsubscribe, so one book resyncs while the others on the socket keep streaming."""

    def arbkit_book_hash(self, symbol: str) -> str:
        return "orderbook:" + symbol

    async def arbkit_unsubscribe_book(self, client: Any, symbol: str, subscription: Any) -> None:
        limit = subscription.get("limit") if isinstance(subscription, dict) else None
        stream = f"ob.{self.market(symbol)['id']}.{'400' if limit == 400 else '50'}"
        request = {"id": self.request_id(), "time": self.seconds(), "channel": "spot.obu", "event": "unsubscribe"}
        await client.send({**request, "payload": [stream]})

    async def public_margin_get_currency_pairs(self, params: Any = None) -> list[Any]:
        """Spot only: ccxt's spot market load always asks GET /api/v4/margin/currency_pairs too (no option turns it
        off); answering "no margin pairs" here skips that request, so markets load with margin False."""
        return []

    def handle_new_spot_order_book(self, client: Any, message: dict[str, Any]) -> None:
        result = message.get("result") or {}
        first = result.get("U")
        name = result.get("s")
        if not result.get("full") and first is not None and name:
            symbol = self.safe_symbol(name.split(".")[1], None, "_", "spot")
            book = self.orderbooks.get(symbol)
            nonce = None if book is None else book["nonce"]
            if nonce is not None and int(first) > nonce + 1:
                gap = SequenceGap(f"gate {symbol}: delta starts at {first}, book is at {nonce}")
                fail_watch(self, client, symbol, "orderbook:" + symbol, gap)
                return
        super().handle_new_spot_order_book(client, message)


GATEIO_SPEC = ExchangeSpec(
    name="gateio",
    ccxt_id="gate",
    exchange=ExchangeEnum.GATEIO,
    urls=(
        UrlRoute("public.*", UrlSource.REST, "/api/v4"),
        UrlRoute("private.*", UrlSource.PRIVATE_REST, "/api/v4"),
        UrlRoute("spot", UrlSource.WS),
    ),
    url_forms={
        UrlSource.REST: UrlForm("", ("", "/api/v4"), "https://api.gateio.ws/api/v4"),
        UrlSource.WS: UrlForm("/ws/v4/", ("/ws/v4",), "wss://api.gateio.ws/ws/v4/"),
    },
    api_version="v4",
    options={"fetchMarkets": {"types": ["spot"]}, "unifiedAccount": False, "defaultType": "spot"},
    pro_class=GateioPro,
    default_fees=(0.002, 0.002),
)


class GateioPublicSpotRestInterface(CcxtPublicSpotRest):
    spec = GATEIO_SPEC


class GateioPrivateSpotRestInterface(CcxtPrivateSpotRest):
    spec = GATEIO_SPEC


class GateioPublicSpotWebsocket(CcxtPublicSpotWebsocket):
    spec = GATEIO_SPEC


class GateioPrivateSpotWebsocket(CcxtPrivateSpotWebsocket):
    spec = GATEIO_SPEC
