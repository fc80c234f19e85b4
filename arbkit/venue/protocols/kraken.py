"""Kraken spot on the local venue: REST ``/0/public|private/...`` and websocket v2 (``/v2``, ``/auth/v2``), as ccxt's
``kraken`` and ccxt.pro's ``kraken`` speak them. Private calls are verified exactly as Kraken signs them.

Books go out on the v2 ``book`` channel: a snapshot, then updates that keep each subscriber's top-``depth`` window
(levels entering the window are sent, levels pushed out are left for the client to truncate), each with Kraken's CRC32
``checksum`` of the true top 10. Kraken has no sequence ids: every book message also carries ``venue_seq`` (the venue
book's sequence id, a venue-only field ccxt ignores) so tests can compare a client's book with ``book_at(seq)``.
A skipped delta (core fault) reaches the client as a lost update with a failing checksum; ``corrupt_checksum``
sends one wrong checksum. Layout: ``kraken_auth`` (signing, nonces, tokens), ``kraken_payloads`` (names, JSON
shapes, errors), ``kraken_rest`` (REST handlers), ``kraken_book`` (book channel), ``kraken_ws`` (websockets).
"""

from __future__ import annotations

import weakref
from typing import Any

from aiohttp import web

from arbkit.venue.book import BookDelta
from arbkit.venue.engine import BalanceEvent, OrderEvent
from arbkit.venue.market import PublicTrade
from arbkit.venue.protocols import ExchangeContext
from arbkit.venue.protocols.kraken_auth import WsTokens, rest_signature
from arbkit.venue.protocols.kraken_book import KrakenBooks, book_checksum
from arbkit.venue.protocols.kraken_payloads import KrakenPairs
from arbkit.venue.protocols.kraken_rest import KrakenPrivateRest, KrakenPublicRest
from arbkit.venue.protocols.kraken_ws import KrakenStream

__all__ = ["KrakenProtocol", "book_checksum", "corrupt_checksum", "rest_signature"]

# id(context) -> its protocol, for the corrupt_checksum fault (weak: a closed venue leaves nothing behind)
_PROTOCOLS: weakref.WeakValueDictionary[int, KrakenProtocol] = weakref.WeakValueDictionary()


def corrupt_checksum(venue: Any, symbol: str) -> None:
    """Fault: the next book message of ``symbol`` on the venue's kraken carries a wrong checksum."""
    ctx = venue.context("kraken")
    ctx.book(symbol)
    protocol = _PROTOCOLS.get(id(ctx))
    if protocol is None or protocol.ctx is not ctx:
        raise ValueError("local venue: kraken is not served by this venue")
    protocol.books.corrupt.add(symbol)


class KrakenProtocol:
    """The Kraken wire protocol over one exchange context: wires the REST handlers, book channel and websockets."""

    name = "kraken"

    def __init__(self, ctx: ExchangeContext) -> None:
        self.ctx = ctx
        pairs, tokens = KrakenPairs(ctx.instruments), WsTokens()
        self.public = KrakenPublicRest(ctx, pairs)
        self.private = KrakenPrivateRest(ctx, pairs, tokens)
        self.books = KrakenBooks(ctx)
        self.stream = KrakenStream(ctx, self.books, tokens)
        _PROTOCOLS[id(ctx)] = self

    @property
    def credentials(self) -> tuple[str, str]:
        return self.ctx.api_key, self.ctx.secret

    def urls(self, origin: str) -> dict[str, str]:
        ws = "ws" + origin.removeprefix("http")
        return {
            "base_url": f"{origin}/kraken",
            "websocket_url": f"{ws}/kraken/v2",
            "private_websocket_url": f"{ws}/kraken/auth/v2",
        }

    def routes(self) -> list[web.RouteDef]:
        ws = [web.get("/v2", self.stream.handle_public), web.get("/auth/v2", self.stream.handle_private)]
        return [*self.public.routes(), *self.private.routes(), *ws]

    def close(self) -> None:
        """Disarm the dead-man switch countdowns (the venue is shutting down)."""
        self.private.timers.close()

    async def on_book_delta(self, symbol: str, delta: BookDelta) -> None:
        await self.books.on_book_delta(symbol, delta)

    async def on_trade(self, symbol: str, trade: PublicTrade) -> None:
        await self.stream.on_trade(symbol, trade)

    async def on_order_event(self, event: OrderEvent) -> None:
        await self.stream.on_order_event(event)

    async def on_balance_event(self, event: BalanceEvent) -> None:
        await self.stream.on_balance_event(event)
