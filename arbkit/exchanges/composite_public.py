"""CompositePublicSpotExchange: one class for every exchange; holds a public REST and a public websocket component."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any, Self

from arbkit.config import ExchangeConfig
from arbkit.errors import ExchangeNetworkError, UnknownSymbolError
from arbkit.exchanges.ccxt_client import build_client, prepare_client, prepare_tls
from arbkit.exchanges.components import CcxtPublicSpotRest, CcxtPublicSpotWebsocket
from arbkit.exchanges.interfaces import BookListener
from arbkit.exchanges.spec import ExchangeSpec
from arbkit.structs import BookHealth, BookUpdate, ExchangeStatus, OrderBook, Symbol, SymbolInfo


class CompositePublicSpotExchange:
    """Live public market data of one exchange: symbol info, live books and their health."""

    def __init__(
        self,
        config: ExchangeConfig,
        rest_cls: type[CcxtPublicSpotRest],
        ws_cls: type[CcxtPublicSpotWebsocket],
        spec: ExchangeSpec | None = None,
    ) -> None:
        self.config = config
        self.name = config.name
        self._rest_cls = rest_cls
        self._ws_cls = ws_cls
        self._spec = spec or rest_cls.spec
        self.rest: CcxtPublicSpotRest | None = None
        self.ws: CcxtPublicSpotWebsocket | None = None
        self._client: Any = None
        self.status = ExchangeStatus.INACTIVE
        self.symbols_info: dict[Symbol, SymbolInfo] = {}
        self.unlisted: list[Symbol] = []

    async def init(self, symbols: Iterable[Symbol | str], timeout: float = 15.0, strict: bool = True) -> Self:
        """Load symbol info, subscribe the books and return once every book is live.

        ``strict=False`` leaves out symbols the exchange does not list (see ``unlisted``) instead of failing.
        """
        wanted = [Symbol.parse(s) for s in symbols]
        self.status = ExchangeStatus.CONNECTING
        if self._client is None:
            assert self._spec is not None
            await prepare_tls()
            await prepare_client(self._spec)
            self._client = build_client(self._spec, self.config, private=False)
            self.rest = self._rest_cls(self.config, client=self._client, spec=self._spec)
            self.ws = self._ws_cls(self.config, client=self._client, spec=self._spec)
        try:
            if not strict:
                markets = await self.rest.get_symbols_info() if self.rest else {}
                self.unlisted = [s for s in wanted if s not in markets]
                wanted = [s for s in wanted if s in markets]
                if not wanted:
                    raise UnknownSymbolError(None, f"lists none of {', '.join(map(str, self.unlisted))}", self.name)
            await self.add_symbols(wanted, timeout)
        except BaseException:
            self.status = ExchangeStatus.ERROR
            await self.close()
            raise
        self.status = ExchangeStatus.ACTIVE
        return self

    async def add_symbols(self, symbols: Iterable[Symbol | str], timeout: float = 15.0) -> None:
        """Subscribe more books on a running exchange without disturbing the ones already live."""
        rest, ws = self._components()
        wanted = [Symbol.parse(s) for s in symbols]
        self.symbols_info.update(await rest.get_symbols_info(wanted))
        await ws.connect()
        for symbol in wanted:
            await ws.subscribe_orderbook(symbol)
        missing = await ws.wait_live(wanted, timeout)
        if missing:
            names = ", ".join(map(str, missing))
            raise ExchangeNetworkError(None, f"books not live after {timeout:g}s: {names}", exchange=self.name)

    async def remove_symbols(self, symbols: Iterable[Symbol | str]) -> None:
        _, ws = self._components()
        for symbol in map(Symbol.parse, symbols):
            await ws.unsubscribe_orderbook(symbol)
            self.symbols_info.pop(symbol, None)

    @property
    def is_connected(self) -> bool:
        return self.ws is not None and self.ws.is_connected

    @property
    def active_symbols(self) -> list[Symbol]:
        return [] if self.ws is None else self.ws.symbols

    async def get_orderbook(self, symbol: Symbol | str) -> OrderBook:
        """The live book (no REST call)."""
        _, ws = self._components()
        sym = Symbol.parse(symbol)
        book = ws.book(sym)
        if book is None:
            raise UnknownSymbolError(None, f"no live book for {sym} (active: {self.active_symbols})", self.name)
        return book

    def book(self, symbol: Symbol | str) -> OrderBook | None:
        return None if self.ws is None else self.ws.book(Symbol.parse(symbol))

    def health(self, symbol: Symbol | str | None = None) -> list[BookHealth]:
        if self.ws is None:
            return []
        symbols = self.active_symbols if symbol is None else [Symbol.parse(symbol)]
        return [self.ws.health(s) for s in symbols]

    def add_listener(self, listener: BookListener) -> Callable[[], None]:
        return self._components()[1].add_listener(listener)

    def updates(self, maxsize: int = 1024) -> AsyncIterator[BookUpdate]:
        return self._components()[1].updates(maxsize)

    def _components(self) -> tuple[CcxtPublicSpotRest, CcxtPublicSpotWebsocket]:
        if self.rest is None or self.ws is None:
            raise ExchangeNetworkError(None, "not initialised: await init(symbols) first", exchange=self.name)
        return self.rest, self.ws

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._client is not None:
            await self._client.close()
        self._client = None
        self.rest = self.ws = None
        self.status = ExchangeStatus.CLOSED

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        symbols = ", ".join(map(str, self.active_symbols))
        return f"CompositePublicSpotExchange({self.name}, {self.status}, [{symbols}])"

    def _repr_html_(self) -> str:
        from arbkit.research.html import book_health_html

        return f"<b>{self.name}</b> ({self.status})" + book_health_html(self.health())
