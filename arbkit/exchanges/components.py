"""Generic ccxt-backed implementations of the four interfaces.

An exchange module subclasses each once, setting ``spec``; the generic fallback passes a spec at construction.
Components may share one ccxt.pro instance (the composites do): the one that created it closes it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any, ClassVar

import ccxt

from arbkit.config import ExchangeConfig
from arbkit.errors import UnknownSymbolError
from arbkit.exchanges import convert
from arbkit.exchanges.book_feed import BookFeed
from arbkit.exchanges.ccxt_client import build_client
from arbkit.exchanges.ccxt_errors import guarded
from arbkit.exchanges.execution_calls import CcxtExecutionCalls
from arbkit.exchanges.interfaces import (
    BalanceListener,
    BasePrivateSpotRestInterface,
    BasePrivateSpotWebsocket,
    BasePublicSpotRestInterface,
    BasePublicSpotWebsocket,
    BookListener,
    OrderListener,
)
from arbkit.exchanges.listeners import Listeners
from arbkit.exchanges.order_checks import Rounding, check_order_id, parse_enum, parse_symbol
from arbkit.exchanges.order_wire import market_params, prepare, submit
from arbkit.exchanges.spec import ExchangeSpec
from arbkit.structs import (
    AssetBalance,
    BalanceUpdate,
    BookHealth,
    BookState,
    BookUpdate,
    Fill,
    Order,
    OrderBook,
    OrderType,
    OrderUpdate,
    Side,
    Symbol,
    SymbolInfo,
    Ticker,
    TimeInForce,
    Trade,
    TradingFee,
)

log = logging.getLogger(__name__)


class CcxtHandle:
    """A ccxt.pro instance with its spec and config: markets, calls with error translation, ownership."""

    def __init__(self, spec: ExchangeSpec, config: ExchangeConfig, private: bool, client: Any = None) -> None:
        self.spec = spec
        self.config = config
        self.name = config.name
        self.owns = client is None
        self.client = build_client(spec, config, private) if client is None else client
        self._secrets = [config.api_key, config.secret_key]

    async def call(self, action: str, coro: Any) -> Any:
        return await guarded(coro, self.name, action, self._secrets)

    async def markets(self) -> dict[str, Any]:
        return await self.call("load markets", self.client.load_markets())

    async def market(self, symbol: Symbol) -> dict[str, Any]:
        markets = await self.markets()
        market = markets.get(str(symbol))
        if market is None or market.get("spot") is False:
            raise UnknownSymbolError(None, f"symbol {symbol} is not listed ({len(markets)} spot markets)", self.name)
        return market

    def symbol_info(self, market: dict[str, Any]) -> SymbolInfo:
        return convert.symbol_info(self.name, market, self.client.precisionMode, self.spec.default_fees)

    async def close(self) -> None:
        if self.owns:
            await self.client.close()


def _handle(cls: Any, config: ExchangeConfig, private: bool, client: Any, spec: ExchangeSpec | None) -> CcxtHandle:
    chosen = spec or getattr(cls, "spec", None)
    if chosen is None:
        raise TypeError(f"{cls.__name__} needs an ExchangeSpec")
    return CcxtHandle(chosen, config, private, client)


class CcxtPublicSpotRest(BasePublicSpotRestInterface):
    spec: ClassVar[ExchangeSpec | None] = None

    def __init__(self, config: ExchangeConfig, *, client: Any = None, spec: ExchangeSpec | None = None) -> None:
        self.ccxt = _handle(type(self), config, False, client, spec)

    async def get_symbols_info(self, symbols: Iterable[Symbol] | None = None) -> dict[Symbol, SymbolInfo]:
        h = self.ccxt
        if symbols is None:
            markets = await h.markets()
            infos = [h.symbol_info(m) for m in markets.values() if m.get("spot") is not False]
            return {info.symbol: info for info in infos}
        return {s: h.symbol_info(await h.market(s)) for s in symbols}

    async def get_orderbook(self, symbol: Symbol, limit: int | None = None) -> OrderBook:
        await self.ccxt.market(symbol)
        raw = await self.ccxt.call(f"order book {symbol}", self.ccxt.client.fetch_order_book(str(symbol), limit))
        return convert.order_book(self.ccxt.name, symbol, raw, limit)

    async def get_recent_trades(self, symbol: Symbol, limit: int = 100) -> list[Trade]:
        await self.ccxt.market(symbol)
        raw = await self.ccxt.call(f"trades {symbol}", self.ccxt.client.fetch_trades(str(symbol), None, limit))
        return [convert.trade(self.ccxt.name, symbol, t) for t in raw]

    async def get_ticker(self, symbol: Symbol) -> Ticker:
        await self.ccxt.market(symbol)
        raw = await self.ccxt.call(f"ticker {symbol}", self.ccxt.client.fetch_ticker(str(symbol)))
        return convert.ticker(self.ccxt.name, symbol, raw)

    async def close(self) -> None:
        await self.ccxt.close()


class CcxtPrivateSpotRest(BasePrivateSpotRestInterface):
    spec: ClassVar[ExchangeSpec | None] = None

    def __init__(self, config: ExchangeConfig, *, client: Any = None, spec: ExchangeSpec | None = None) -> None:
        config.require_credentials()
        self.ccxt = _handle(type(self), config, True, client, spec)
        self.execution = CcxtExecutionCalls(self.ccxt)

    async def get_balances(self) -> dict[str, AssetBalance]:
        raw = await self.ccxt.call("fetch balance", self.ccxt.client.fetch_balance())
        return convert.balances(raw)

    async def place_limit_order(
        self,
        symbol: Symbol,
        side: Side,
        quantity: float,
        price: float,
        time_in_force: TimeInForce = TimeInForce.GTC,
        client_order_id: str | None = None,
        *,
        rounding: Rounding | str | None = None,
    ) -> Order:
        checked = await prepare(self.ccxt, symbol, side, OrderType.LIMIT, quantity, price, rounding)
        name, where = self.ccxt.name, f"{checked.symbol} {checked.side}"
        tif = parse_enum(name, where, "time_in_force", time_in_force, TimeInForce)
        params: dict[str, Any] = {}
        if tif is not TimeInForce.GTC:
            params["timeInForce"] = tif.value
        if client_order_id is not None:
            params["clientOrderId"] = check_order_id(name, checked.symbol, client_order_id, "client_order_id")
        return await submit(self.ccxt, checked, params)

    async def place_market_order(
        self, symbol: Symbol, side: Side, quantity: float, *, rounding: Rounding | str | None = None
    ) -> Order:
        """A market order for ``quantity`` base units; where the exchange sizes market buys in the quote currency
        (Gate.io), the cost of ``quantity`` at the current asks is sent instead (see ``order_wire``)."""
        checked = await prepare(self.ccxt, symbol, side, OrderType.MARKET, quantity, None, rounding)
        return await submit(self.ccxt, checked, await market_params(self.ccxt, checked))

    async def cancel_order(self, symbol: Symbol, order_id: str) -> Order:
        sym = parse_symbol(self.ccxt.name, symbol)
        oid = check_order_id(self.ccxt.name, sym, order_id)
        raw = await self.ccxt.call(f"cancel {oid} {sym}", self.ccxt.client.cancel_order(oid, str(sym)))
        if not raw.get("symbol") or not raw.get("side"):  # some venues answer a cancel with a bare id
            return await self.get_order(sym, oid)
        return convert.order(self.ccxt.name, raw)

    async def get_order(self, symbol: Symbol, order_id: str) -> Order:
        sym = parse_symbol(self.ccxt.name, symbol)
        oid = check_order_id(self.ccxt.name, sym, order_id)
        raw = await self.ccxt.call(f"fetch order {oid} {sym}", self.ccxt.client.fetch_order(oid, str(sym)))
        return convert.order(self.ccxt.name, raw)

    async def get_open_orders(self, symbol: Symbol | None = None) -> list[Order]:
        target = None if symbol is None else str(symbol)
        raw = await self.ccxt.call(f"open orders {target or 'all'}", self.ccxt.client.fetch_open_orders(target))
        return [convert.order(self.ccxt.name, o) for o in raw]

    async def get_trading_fees(self, symbols: Iterable[Symbol]) -> dict[Symbol, TradingFee]:
        wanted = list(symbols)
        client = self.ccxt.client
        fallback = self.ccxt.spec.default_fees
        out: dict[Symbol, TradingFee] = {}
        if client.has.get("fetchTradingFees"):
            raw = await self.ccxt.call("trading fees", client.fetch_trading_fees())
            for s in wanted:
                out[s] = convert.trading_fee(self.ccxt.name, s, raw.get(str(s)) or {}, fallback)
            return out
        for s in wanted:
            if client.has.get("fetchTradingFee"):
                raw = await self.ccxt.call(f"trading fee {s}", client.fetch_trading_fee(str(s)))
            else:
                market = await self.ccxt.market(s)
                raw = {"maker": market.get("maker"), "taker": market.get("taker")}
            out[s] = convert.trading_fee(self.ccxt.name, s, raw, fallback)
        return out

    # ------------------------------------------------------------------ execution (see execution_calls)

    async def get_order_by_client_id(self, symbol: Symbol, client_order_id: str) -> Order:
        return await self.execution.order_by_client_id(symbol, client_order_id)

    async def cancel_all_orders(self, symbol: Symbol | None = None) -> int:
        return await self.execution.cancel_all(symbol)

    async def get_my_trades(self, symbol: Symbol, since: int | None = None) -> list[Fill]:
        return await self.execution.my_trades(symbol, since)

    async def arm_dead_man_switch(self, seconds: float) -> bool:
        return await self.execution.arm_dead_man_switch(seconds)

    async def validate_order(
        self, symbol: Symbol, side: Side, quantity: float, price: float, time_in_force: TimeInForce = TimeInForce.GTC
    ) -> None:
        await self.execution.validate(symbol, side, quantity, price, time_in_force)

    async def place_limit_order_within(
        self,
        symbol: Symbol,
        side: Side,
        quantity: float,
        price: float,
        valid_for_ms: int,
        time_in_force: TimeInForce = TimeInForce.IOC,
        client_order_id: str | None = None,
    ) -> Order:
        return await self.execution.place_within(
            symbol, side, quantity, price, valid_for_ms, time_in_force, client_order_id
        )

    async def close(self) -> None:
        await self.ccxt.close()


class CcxtPublicSpotWebsocket(BasePublicSpotWebsocket):
    """Live books, one BookFeed per symbol, and a watchdog for stalled streams."""

    spec: ClassVar[ExchangeSpec | None] = None

    def __init__(self, config: ExchangeConfig, *, client: Any = None, spec: ExchangeSpec | None = None) -> None:
        self.ccxt = _handle(type(self), config, False, client, spec)
        self._feeds: dict[Symbol, BookFeed] = {}
        self._listeners: Listeners[BookUpdate] = Listeners(f"{config.name} books")
        self._watchdog: asyncio.Task[None] | None = None
        self._connected = False

    async def connect(self) -> None:
        await self.ccxt.markets()
        self._connected = True
        if self._watchdog is None:
            self._watchdog = asyncio.get_running_loop().create_task(
                self._watch_stalls(), name=f"arbkit-watchdog-{self.ccxt.name}"
            )

    async def subscribe_orderbook(self, symbol: Symbol) -> None:
        if not self._connected:
            await self.connect()
        if symbol in self._feeds:
            return
        await self.ccxt.market(symbol)
        feed = BookFeed(
            self.ccxt.client,
            self.ccxt.name,
            symbol,
            self.ccxt.config.websocket_config,
            self._listeners.emit,
            limit=self.ccxt.spec.ws_book_limit,
        )
        self._feeds[symbol] = feed
        feed.start()

    async def wait_live(self, symbols: Iterable[Symbol], timeout: float) -> list[Symbol]:
        """Wait until every symbol's book is live; return the ones that are not after ``timeout``."""
        wanted = [s for s in symbols if s in self._feeds]
        done = await asyncio.gather(*(self._feeds[s].wait_live(timeout) for s in wanted))
        return [s for s, ok in zip(wanted, done, strict=True) if not ok]

    async def unsubscribe_orderbook(self, symbol: Symbol) -> None:
        feed = self._feeds.pop(symbol, None)
        if feed is not None:
            await feed.stop()
            unwatch = getattr(self.ccxt.client, "un_watch_order_book", None)
            if unwatch is not None and self.ccxt.client.has.get("unWatchOrderBook"):
                try:
                    await unwatch(str(symbol))
                except Exception as exc:  # the book is already dropped locally; the venue may not support it
                    log.debug("%s: unwatch %s failed: %s", self.ccxt.name, symbol, exc)

    @property
    def is_connected(self) -> bool:
        if not self._connected:
            return False
        return not self._feeds or any(f.state is BookState.LIVE for f in self._feeds.values())

    @property
    def symbols(self) -> list[Symbol]:
        return list(self._feeds)

    def book(self, symbol: Symbol) -> OrderBook | None:
        feed = self._feeds.get(symbol)
        return None if feed is None else feed.book

    def health(self, symbol: Symbol) -> BookHealth:
        feed = self._feeds.get(symbol)
        if feed is None:
            raise UnknownSymbolError(None, f"no live book for {symbol} (subscribe it first)", self.ccxt.name)
        return feed.health()

    def add_listener(self, listener: BookListener) -> Callable[[], None]:
        return self._listeners.add(listener)

    def updates(self, maxsize: int = 1024) -> AsyncIterator[BookUpdate]:
        return self._listeners.stream(maxsize)

    async def _watch_stalls(self) -> None:
        interval = max(0.05, min(1.0, self.ccxt.config.websocket_config.stall_timeout / 4.0))
        while True:
            await asyncio.sleep(interval)
            now_ms = time.time() * 1000.0
            for feed in list(self._feeds.values()):
                feed.check_stall(now_ms)

    async def close(self) -> None:
        self._connected = False
        if self._watchdog is not None:
            self._watchdog.cancel()
            await asyncio.gather(self._watchdog, return_exceptions=True)
            self._watchdog = None
        await asyncio.gather(*(f.stop() for f in self._feeds.values()))
        self._feeds.clear()
        self._listeners.close()
        await self.ccxt.close()


class CcxtPrivateSpotWebsocket(BasePrivateSpotWebsocket):
    """Order and balance updates from ccxt.pro's watch_orders / watch_balance, reconnecting with backoff."""

    spec: ClassVar[ExchangeSpec | None] = None

    def __init__(self, config: ExchangeConfig, *, client: Any = None, spec: ExchangeSpec | None = None) -> None:
        config.require_credentials()
        self.ccxt = _handle(type(self), config, True, client, spec)
        self._orders: Listeners[OrderUpdate] = Listeners(f"{config.name} orders")
        self._balances: Listeners[BalanceUpdate] = Listeners(f"{config.name} balances")
        self._tasks: list[asyncio.Task[None]] = []

    async def connect(self) -> None:
        if self._tasks:
            return
        await self.ccxt.markets()
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._loop("orders", self._watch_orders), name=f"arbkit-orders-{self.ccxt.name}"),
            loop.create_task(self._loop("balance", self._watch_balance), name=f"arbkit-balance-{self.ccxt.name}"),
        ]
        await self.ccxt.call("subscribe private streams", self._subscribed(self.ccxt.config.request_timeout))

    async def _subscribed(self, timeout: float) -> None:
        """Wait until ccxt's private connection is open with its subscriptions sent, so no later event is missed."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            known = (getattr(self.ccxt.client, "clients", None) or {}).values()
            clients = [c for c in known if c.connecting or c.connection is not None]  # ones ccxt actually dialled
            if clients and all(c.connected.done() and not c.connected.exception() and c.subscriptions for c in clients):
                await asyncio.sleep(0.05)  # the server handles the subscribe message
                return
            failed = next((t for t in self._tasks if t.done()), None)
            if failed is not None:
                failed.result()  # a stream that died at once says why
            await asyncio.sleep(0.01)
        raise ccxt.RequestTimeout("private websocket did not connect in time")

    @property
    def is_connected(self) -> bool:
        return bool(self._tasks) and all(not t.done() for t in self._tasks)

    def add_order_listener(self, listener: OrderListener) -> Callable[[], None]:
        return self._orders.add(listener)

    def add_balance_listener(self, listener: BalanceListener) -> Callable[[], None]:
        return self._balances.add(listener)

    def order_updates(self, maxsize: int = 1024) -> AsyncIterator[OrderUpdate]:
        return self._orders.stream(maxsize)

    def balance_updates(self, maxsize: int = 1024) -> AsyncIterator[BalanceUpdate]:
        return self._balances.stream(maxsize)

    async def _watch_orders(self) -> None:
        for raw in await self.ccxt.client.watch_orders():
            self._orders.emit(OrderUpdate(convert.order(self.ccxt.name, raw)))

    async def _watch_balance(self) -> None:
        raw = await self.ccxt.client.watch_balance()
        self._balances.emit(BalanceUpdate(self.ccxt.name, convert.balances(raw), raw.get("timestamp")))

    async def _loop(self, what: str, step: Callable[[], Any]) -> None:
        cfg = self.ccxt.config.websocket_config
        failures = 0
        while True:
            try:
                await step()
                failures = 0
            except asyncio.CancelledError:
                raise
            except ccxt.BaseError as exc:
                failures += 1
                log.warning("%s private %s stream: %s; reconnecting", self.ccxt.name, what, str(exc)[:200])
                cap = min(cfg.reconnect_backoff_max, cfg.reconnect_backoff_initial * 2 ** (failures - 1))
                await asyncio.sleep(cap)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        self._orders.close()
        self._balances.close()
        await self.ccxt.close()
