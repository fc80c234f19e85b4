"""MEXC spot: ccxt id ``mexc``. Books come as protobuf frames; ccxt checks no version continuity, so this does.

ccxt.pro's mexc keeps the book nonce at a push's ``fromVersion`` and never compares it with the previous push's
``toVersion``: a skipped push would silently corrupt the book. ``MexcPro`` keeps the nonce at ``toVersion`` and
fails the watch with ``SequenceGap`` on a jump, so the book feed resubscribes and re-snapshots.
"""

from __future__ import annotations

from typing import Any

import ccxt
import ccxt.pro

from arbkit.errors import ConfigurationError
from arbkit.exchanges.ccxt_books import BatchedReceive, SequenceGap, fail_watch
from arbkit.exchanges.components import (
    CcxtPrivateSpotRest,
    CcxtPrivateSpotWebsocket,
    CcxtPublicSpotRest,
    CcxtPublicSpotWebsocket,
)
from arbkit.exchanges.spec import ExchangeSpec, UrlForm, UrlRoute, UrlSource
from arbkit.structs import ExchangeEnum


def require_protobuf() -> None:
    """Without ``protobuf`` ccxt only logs a decode error and every MEXC watch hangs: fail loudly instead."""
    try:
        from google.protobuf import json_format  # noqa: F401
    except ImportError:
        raise ConfigurationError(
            "exchanges.mexc: the 'protobuf' package is missing; ccxt needs it to decode MEXC websocket frames "
            "(pip install protobuf)"
        ) from None


class MexcPro(BatchedReceive, ccxt.pro.mexc):
    """ccxt.pro's mexc plus a book version check, the right ack parsing, two error/status fixes and a per-symbol
    depth UNSUBSCRIPTION, so one book resyncs while the others on the socket keep streaming."""

    def arbkit_book_hash(self, symbol: str) -> str:
        return "orderbook:" + symbol

    async def arbkit_unsubscribe_book(self, client: Any, symbol: str, subscription: Any) -> None:
        frequency = self.handle_option("watchOrderBook", "frequency", "100ms")
        channel = f"spot@public.aggre.depth.v3.api.pb@{frequency}@{self.market(symbol)['id']}"
        await client.send({"method": "UNSUBSCRIPTION", "params": [channel]})

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        require_protobuf()
        super().__init__(config or {})

    async def fetch_markets(self, params: Any = None) -> Any:
        """Spot only: ccxt's mexc always asks the swap contract list too (GET /api/v1/contract/detail)."""
        return await self.fetch_spot_markets(params or {})

    def describe(self) -> Any:
        # MEXC answers an unknown order with -2013, which ccxt leaves as a bare ExchangeError.
        return self.deep_extend(super().describe(), {"exceptions": {"exact": {"-2013": ccxt.OrderNotFound}}})

    def handle_order_book_subscription(self, client: Any, message: dict[str, Any]) -> None:
        # The ack names ``spot@public.aggre.depth.v3.api.pb@100ms@BTCUSDT``: the market id is the LAST part
        # (ccxt reads the third and never resets the book on a resubscribe).
        for channel in str(message.get("msg", "")).split(","):
            parts = channel.split("@")
            if not channel.startswith("spot@public.") or parts[-1] not in (self.markets_by_id or {}):
                continue  # a refusal or another channel: no book to reset
            symbol = self.safe_symbol(parts[-1])
            book = self.orderbooks.setdefault(symbol, self.order_book({}))
            book["nonce"] = None
            book.cache = []

    def handle_order_book(self, client: Any, message: dict[str, Any]) -> None:
        data = message.get("publicAggreDepths")
        if isinstance(data, dict):
            symbol = self.safe_symbol(message.get("symbol"))
            if symbol not in self.orderbooks and "orderbook:" + symbol not in client.subscriptions:
                return  # a push of a dropped subscription: the resubscribe's ack starts the book again
            book = self.orderbooks.get(symbol)
            nonce = None if book is None else book["nonce"]
            first = self.safe_integer(data, "fromVersion")
            if nonce is not None and first is not None and first > nonce + 1:
                gap = SequenceGap(f"mexc {symbol}: push starts at {first}, book is at {nonce}")
                fail_watch(self, client, symbol, "orderbook:" + symbol, gap)
                return
        super().handle_order_book(client, message)

    def get_cache_index(self, orderbook: Any, cache: list[Any]) -> int:
        # The first buffered push that carries changes after the snapshot (toVersion > lastUpdateId); -1 = the
        # snapshot is older than the buffer, fetch another. ccxt compares fromVersion only and so drops the
        # push whose range straddles the snapshot.
        nonce = self.safe_integer(orderbook, "nonce")
        first = self.safe_integer(cache[0], "fromVersion") if cache else None
        if nonce is None or first is None or first > nonce + 1:
            return -1
        return next((i for i, d in enumerate(cache) if (self.safe_integer(d, "toVersion") or 0) > nonce), len(cache))

    def handle_book_delta(self, orderbook: Any, delta: Any) -> None:
        first, last = self.safe_integer(delta, "fromVersion"), self.safe_integer(delta, "toVersion")
        if first is None or last is None:
            super().handle_book_delta(orderbook, delta)
            return
        before = orderbook["nonce"]
        if before is not None and last <= before:
            return  # already in the book
        if before is not None and first > before + 1:  # a gap inside the buffered pushes
            raise SequenceGap(f"mexc: buffered push starts at {first}, book is at {before}")
        # Levels carry their latest quantity over [fromVersion, toVersion]: applying a range that overlaps the book
        # is exact, and the book is then at toVersion.
        self.handle_bookside_delta(orderbook["asks"], self.safe_list(delta, "asks", []))
        self.handle_bookside_delta(orderbook["bids"], self.safe_list(delta, "bids", []))
        orderbook["nonce"] = last

    def parse_ws_order_status(self, status: Any, market: Any = None) -> Any:
        # status 5 is "partially filled, then canceled": ccxt calls it closed, which reads as filled.
        return "canceled" if str(status) == "5" else super().parse_ws_order_status(status, market)


MEXC_SPEC = ExchangeSpec(
    name="mexc",
    ccxt_id="mexc",
    exchange=ExchangeEnum.MEXC,
    urls=(
        UrlRoute("spot.public", UrlSource.REST),
        UrlRoute("spot.private", UrlSource.PRIVATE_REST),
        UrlRoute("contract.public", UrlSource.REST, "/api/v1/contract"),
        UrlRoute("contract.private", UrlSource.REST, "/api/v1/private"),
        UrlRoute("broker.private", UrlSource.REST, "/api/v3/broker"),
        UrlRoute("ws.spot", UrlSource.WS),
    ),
    # spot2 (www.mexc.com/open/api/v2) is never called for spot; on a loopback venue it is confined like any other.
    url_forms={
        UrlSource.REST: UrlForm("", ("", "/api/v3"), "https://api.mexc.com"),
        UrlSource.WS: UrlForm("/ws", ("/ws",), "wss://wbs-api.mexc.com/ws"),
    },
    api_version="v3",
    # load_markets asks spot exchangeInfo only (MexcPro.fetch_markets); a few buffered pushes are enough
    # before the REST snapshot (ccxt waits for 25 by default, 2.5 s at 100 ms).
    options={"defaultType": "spot", "fetchCurrencies": False, "watchOrderBook": {"snapshotDelay": 2}},
    pro_class=MexcPro,
    default_fees=(0.0, 0.0005),
)


class MexcPublicSpotRestInterface(CcxtPublicSpotRest):
    spec = MEXC_SPEC


class MexcPrivateSpotRestInterface(CcxtPrivateSpotRest):
    spec = MEXC_SPEC


class MexcPublicSpotWebsocket(CcxtPublicSpotWebsocket):
    spec = MEXC_SPEC


class MexcPrivateSpotWebsocket(CcxtPrivateSpotWebsocket):
    spec = MEXC_SPEC
