"""Wire protocols of the local venue: one module per exchange, looked up from ``PROTOCOLS``.

A protocol class is built as ``cls(ctx)`` with the exchange's :class:`ExchangeContext` (books, engine, hub,
market, credentials) and must satisfy :class:`VenueProtocol`. Its routes are mounted under ``/<name>``; the
server calls its async hooks, in order, for every book delta, public trade, order event and balance event.
Faults (skip a sequence, stall, drop sockets) are applied by the core before or around the hooks.
"""

from __future__ import annotations

import hashlib
import importlib
from base64 import b64encode
from typing import Protocol

from aiohttp import web

from arbkit.venue.book import BookDelta, VenueBook
from arbkit.venue.engine import BalanceEvent, ErrorKind, MatchingEngine, OrderEvent, VenueError
from arbkit.venue.hub import Hub
from arbkit.venue.instruments import Instrument
from arbkit.venue.market import PublicTrade, SimulatedMarket

__all__ = ["PROTOCOLS", "ExchangeContext", "VenueProtocol", "load_protocol"]

# exchange name -> "module:Class" (imported lazily, so a missing module only fails for its own exchange)
PROTOCOLS: dict[str, str] = {
    "binance": "arbkit.venue.protocols.binance:BinanceProtocol",
    "gateio": "arbkit.venue.protocols.gateio:GateioProtocol",
    "mexc": "arbkit.venue.protocols.mexc:MexcProtocol",
    "kraken": "arbkit.venue.protocols.kraken:KrakenProtocol",
}


class ExchangeContext:
    """Everything a protocol may use for its exchange: the core's slice for that exchange."""

    def __init__(
        self,
        name: str,
        instruments: dict[str, Instrument],
        market: SimulatedMarket,
        engine: MatchingEngine,
        hub: Hub,
        api_key: str,
        secret: str,
    ) -> None:
        self.name = name
        self.instruments = instruments
        self.market = market
        self.engine = engine
        self.hub = hub
        self.api_key = api_key
        self.secret = secret
        self.clock_skew_ms = 0  # the exchange's clock is off by this much (LocalVenue.set_clock_skew)
        self.key_revoked = False  # the test key was revoked (LocalVenue.revoke_key): signed calls are refused

    def book(self, symbol: str) -> VenueBook:
        """The live venue book of a unified symbol; VenueError(UNKNOWN_SYMBOL) if not listed."""
        if symbol not in self.instruments:
            raise VenueError(ErrorKind.UNKNOWN_SYMBOL, f"{self.name}: unknown symbol {symbol!r}")
        return self.market.book(self.name, symbol)

    def trades(self, symbol: str, limit: int = 500) -> list[PublicTrade]:
        """Recent public trades of a unified symbol, oldest first."""
        self.book(symbol)
        return self.market.trades(self.name, symbol, limit)

    def secret_for(self, api_key: str | None) -> str | None:
        """The secret of a known api key, or None (the protocol answers with its auth error)."""
        return self.secret if api_key == self.api_key and not self.key_revoked else None


def make_credentials(name: str) -> tuple[str, str]:
    """Deterministic test credentials of a venue exchange (not secrets: they only open the local venue).

    The secret is base64 so it also suits exchanges (kraken) that require one.
    """
    digest = hashlib.sha256(f"arbkit-local-venue/{name}".encode()).digest()
    api_key = f"venue{name}" + hashlib.sha256(digest).hexdigest()[:32]
    secret = b64encode(digest + hashlib.sha256(b"secret" + digest).digest()).decode()
    return api_key, secret


class VenueProtocol(Protocol):
    """What the server needs from a protocol object."""

    name: str

    def routes(self) -> list[web.RouteDef]:
        """aiohttp routes, with paths relative to ``/<name>``."""
        ...

    def urls(self, origin: str) -> dict[str, str]:
        """``base_url``, ``websocket_url`` and, where the exchange has one, ``private_websocket_url``."""
        ...

    async def on_book_delta(self, symbol: str, delta: BookDelta) -> None: ...

    async def on_trade(self, symbol: str, trade: PublicTrade) -> None: ...

    async def on_order_event(self, event: OrderEvent) -> None: ...

    async def on_balance_event(self, event: BalanceEvent) -> None: ...


def load_protocol(name: str) -> type[VenueProtocol]:
    """The protocol class of an exchange; a clear ValueError when it has none (yet)."""
    target = PROTOCOLS.get(name)
    if target is None:
        raise ValueError(f"local venue: no protocol for exchange {name!r} (known: {', '.join(PROTOCOLS)})")
    module_name, _, class_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise ValueError(f"local venue: the {name} protocol is not implemented yet ({module_name} missing)") from None
    try:
        return getattr(module, class_name)
    except AttributeError:
        raise ValueError(f"local venue: {module_name} has no class {class_name} for exchange {name!r}") from None
