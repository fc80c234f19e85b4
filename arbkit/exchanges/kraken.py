"""Kraken spot: ccxt id ``kraken`` (websocket v2). Kraken names BTC XBT/XXBT; ccxt unifies it to BTC.

ccxt leaves Kraken's CRC32 book checksum off (and its own check crashes), so ``KrakenPro`` verifies every book
message against the local top 10 and fails the watch with ``ChecksumMismatch`` on a disagreement. It also reads the
fill (``cum_qty``) of v2 executions, which ccxt drops, so live order updates carry partial fills.
"""

from __future__ import annotations

import zlib
from datetime import datetime
from decimal import Decimal
from typing import Any

import ccxt.pro

from arbkit.exchanges.ccxt_books import BatchedReceive, ChecksumMismatch, fail_watch, send_soon
from arbkit.exchanges.components import (
    CcxtPrivateSpotRest,
    CcxtPrivateSpotWebsocket,
    CcxtPublicSpotRest,
    CcxtPublicSpotWebsocket,
)
from arbkit.exchanges.spec import ExchangeSpec, UrlForm, UrlRoute, UrlSource
from arbkit.structs import ExchangeEnum


def _decimals(step: Any) -> int:
    return max(0, -int(Decimal(str(step)).normalize().as_tuple().exponent))


def _digits(value: float, scale: int) -> str:
    """A price or quantity as Kraken's checksum writes it: no decimal point, no leading zeros (integer scaling is
    exact for values on the exchange's grid and about 3x cheaper than formatting floats)."""
    scaled = round(value * scale)
    return str(scaled) if scaled else ""


def kraken_checksum(bids: Any, asks: Any, price_decimals: int, qty_decimals: int) -> int:
    """CRC32 of the top 10 asks then bids, each price and quantity without its point and leading zeros."""
    ps, qs = 10**price_decimals, 10**qty_decimals
    rows = [*asks[:10], *bids[:10]]
    return zlib.crc32("".join(_digits(r[0], ps) + _digits(r[1], qs) for r in rows).encode())


class _Held:
    """Stands in for a ccxt client while ccxt applies a book message, holding back the result until it is checked."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.resolved: list[tuple[Any, str]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def resolve(self, result: Any, message_hash: str) -> None:
        self.resolved.append((result, message_hash))


class KrakenPro(BatchedReceive, ccxt.pro.kraken):
    """ccxt.pro's kraken plus the book checksum, a book sequence, a per-symbol book unsubscribe, and fills and
    balances on the private streams."""

    def arbkit_book_hash(self, symbol: str) -> str:
        return self.get_message_hash("orderbook", None, symbol)

    def _unsubscribe_message(self, symbol: str, subscription: Any) -> dict[str, Any]:
        params: dict[str, Any] = {"channel": "book", "symbol": [symbol]}
        limit = subscription.get("limit") if isinstance(subscription, dict) else None
        if limit:
            params["depth"] = limit
        return {"method": "unsubscribe", "params": params, "req_id": self.request_id()}

    async def arbkit_unsubscribe_book(self, client: Any, symbol: str, subscription: Any) -> None:
        await client.send(self._unsubscribe_message(symbol, subscription))

    def handle_order_book(self, client: Any, message: dict[str, Any]) -> None:
        first = (message.get("data") or [{}])[0]
        symbol = first.get("symbol")
        if message.get("type") == "update" and symbol not in self.orderbooks:
            return  # dropped after a mismatch: wait for the fresh snapshot
        held = _Held(client)
        super().handle_order_book(held, message)
        book = self.orderbooks.get(symbol)
        expected = first.get("checksum")
        if book is not None and expected is not None:
            precision = self.market(symbol)["precision"]
            pd, qd = _decimals(precision["price"]), _decimals(precision["amount"])
            local = kraken_checksum(book["bids"], book["asks"], pd, qd)
            if local != int(expected):
                self._drop_book(client, symbol, f"checksum {local} != {expected}")
                return
            book["nonce"] = _sequence(first)
        for result, message_hash in held.resolved:
            client.resolve(result, message_hash)

    def _drop_book(self, client: Any, symbol: str, reason: str) -> None:
        """Fail the watch and unsubscribe, so the next watch subscribes again and starts from a snapshot."""
        message_hash = self.get_message_hash("orderbook", None, symbol)
        subscription = fail_watch(
            self, client, symbol, message_hash, ChecksumMismatch(f"kraken {symbol}: book {reason}")
        )
        send_soon(client, self._unsubscribe_message(symbol, subscription))

    def handle_message(self, client: Any, message: dict[str, Any]) -> None:
        super().handle_message(client, message)
        if message.get("channel") == "executions" and (message.get("data") or [{}])[0].get("exec_type") == "trade":
            self.handle_orders(client, message)  # ccxt routes fills to my-trades only

    def parse_ws_order(self, order: dict[str, Any], market: Any = None) -> Any:
        parsed = super().parse_ws_order(order, market)
        filled, amount = self.safe_number(order, "cum_qty"), parsed.get("amount")
        if filled is not None:
            parsed["filled"] = filled
            parsed["remaining"] = None if amount is None else max(amount - filled, 0.0)
        return parsed

    def handle_balance(self, client: Any, message: dict[str, Any]) -> None:
        """v2 balances carry totals only, so a total counts as free here (REST BalanceEx has the hold split)."""
        super().handle_balance(client, message)
        spot = self.balance.get("spot", {})
        for code, account in list(spot.items()):
            if isinstance(account, dict) and account.get("total") is not None and account.get("free") is None:
                account["used"] = 0.0
                account["free"] = account["total"]
                spot.setdefault("free", {})[code] = account["free"]
                spot.setdefault("used", {})[code] = 0.0


def _sequence(data: dict[str, Any]) -> int | None:
    """The local venue's book sequence id when it sends one, else the update's timestamp in microseconds."""
    if data.get("venue_seq") is not None:
        return int(data["venue_seq"])
    stamp = data.get("timestamp")
    if not stamp:
        return None
    return int(datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).timestamp() * 1_000_000)


KRAKEN_SPEC = ExchangeSpec(
    name="kraken",
    ccxt_id="kraken",
    exchange=ExchangeEnum.KRAKEN,
    urls=(
        UrlRoute("public", UrlSource.REST),
        UrlRoute("private", UrlSource.PRIVATE_REST),
        UrlRoute("ws.publicV2", UrlSource.WS),
        UrlRoute("ws.privateV2", UrlSource.PRIVATE_WS),
    ),
    # ccxt.pro speaks Kraken's websocket v2: the documented host alone (the v1 endpoint) is mapped to its /v2.
    url_forms={
        UrlSource.REST: UrlForm("", ("", "/0"), "https://api.kraken.com"),
        UrlSource.WS: UrlForm("/v2", ("", "/v2"), "wss://ws.kraken.com/v2"),
        UrlSource.PRIVATE_WS: UrlForm("/v2", ("", "/v2"), "wss://ws-auth.kraken.com/v2"),
    },
    api_version="0",
    options={"adjustForTimeDifference": False},
    has_off=(),  # Assets names XXBT/XBT -> BTC, XXDG -> DOGE for every currency ccxt's table misses
    pro_class=KrakenPro,
    ws_book_limit=100,  # Kraken books come in depths 10/25/100/500/1000; 100 covers any configured book_depth
    default_fees=(0.0025, 0.004),
    default_private_ws="wss://ws-auth.kraken.com/v2",
)


class KrakenPublicSpotRestInterface(CcxtPublicSpotRest):
    spec = KRAKEN_SPEC


class KrakenPrivateSpotRestInterface(CcxtPrivateSpotRest):
    spec = KRAKEN_SPEC


class KrakenPublicSpotWebsocket(CcxtPublicSpotWebsocket):
    spec = KRAKEN_SPEC


class KrakenPrivateSpotWebsocket(CcxtPrivateSpotWebsocket):
    spec = KRAKEN_SPEC
