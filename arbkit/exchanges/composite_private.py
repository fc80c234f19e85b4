"""CompositePrivateSpotExchange: one class for every exchange; holds a private REST and a private websocket."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any, Self

from arbkit.config import ExchangeConfig
from arbkit.errors import ExchangeNetworkError, InvalidOrderError, UnknownSymbolError
from arbkit.exchanges.ccxt_client import build_client
from arbkit.exchanges.components import CcxtPrivateSpotRest, CcxtPrivateSpotWebsocket
from arbkit.exchanges.interfaces import BalanceListener, OrderListener
from arbkit.exchanges.order_checks import Rounding, check_order_id, parse_enum, parse_symbol
from arbkit.exchanges.spec import ExchangeSpec
from arbkit.masking import mask
from arbkit.structs import (
    AssetBalance,
    BalanceUpdate,
    ExchangeStatus,
    Fill,
    Order,
    OrderType,
    OrderUpdate,
    Side,
    Symbol,
    SymbolInfo,
    TimeInForce,
    TradingFee,
)


def _side(exchange: str, symbol: Symbol, side: object) -> Side:
    """``buy`` / ``sell`` (any case), or InvalidOrderError naming the field."""
    return parse_enum(exchange, str(symbol), "side", side, Side)


def _symbol_list(exchange: str, symbols: object) -> list[object]:
    """``symbols`` as a list; a lone string (``"BTC/USDT"``) would otherwise be read letter by letter."""
    if isinstance(symbols, str | Symbol) or not isinstance(symbols, Iterable):
        raise UnknownSymbolError(None, f"symbols must be a list such as ['BTC/USDT'], got {symbols!r}", exchange)
    return list(symbols)


class CompositePrivateSpotExchange:
    """Balances and orders of one account, kept current by the private websocket."""

    def __init__(
        self,
        config: ExchangeConfig,
        rest_cls: type[CcxtPrivateSpotRest],
        ws_cls: type[CcxtPrivateSpotWebsocket],
        spec: ExchangeSpec | None = None,
    ) -> None:
        config.require_credentials()
        self.config = config
        self.name = config.name
        self._rest_cls = rest_cls
        self._ws_cls = ws_cls
        self._spec = spec or rest_cls.spec
        self.rest: CcxtPrivateSpotRest | None = None
        self.ws: CcxtPrivateSpotWebsocket | None = None
        self._client: Any = None
        self.status = ExchangeStatus.INACTIVE
        self._live_balances: dict[str, AssetBalance] = {}
        self.orders: dict[str, Order] = {}
        self.symbols_info: dict[Symbol, SymbolInfo] = {}
        self.unlisted: list[Symbol] = []

    async def init(self, symbols: Iterable[Symbol | str] | None = None, strict: bool = True) -> Self:
        """Load markets (and the symbol info of ``symbols``, as the public composite's ``init`` takes them) and
        balances, then start the live order and balance streams.

        An unlisted symbol is an UnknownSymbolError; ``strict=False`` leaves it out (see ``unlisted``) instead.
        """
        wanted = None if symbols is None else [parse_symbol(self.name, s) for s in _symbol_list(self.name, symbols)]
        self.status = ExchangeStatus.CONNECTING
        assert self._spec is not None
        self._client = build_client(self._spec, self.config, private=True)
        self.rest = self._rest_cls(self.config, client=self._client, spec=self._spec)
        self.ws = self._ws_cls(self.config, client=self._client, spec=self._spec)
        self.ws.add_order_listener(self._on_order)
        self.ws.add_balance_listener(self._on_balance)
        try:
            if wanted is not None:
                await self._load_symbols(wanted, strict)
            self._live_balances = await self.rest.get_balances()
            await self.ws.connect()
        except BaseException:
            self.status = ExchangeStatus.ERROR
            await self.close()
            raise
        self.status = ExchangeStatus.ACTIVE
        return self

    def _on_order(self, update: OrderUpdate) -> None:
        self.orders[update.order.order_id] = update.order

    async def _load_symbols(self, wanted: list[Symbol], strict: bool) -> None:
        assert self.rest is not None
        markets = await self.rest.ccxt.markets()
        self.unlisted = [s for s in wanted if str(s) not in markets]
        if self.unlisted and (strict or len(self.unlisted) == len(wanted)):
            names = ", ".join(map(str, self.unlisted))
            raise UnknownSymbolError(None, f"symbol(s) not listed: {names}", self.name)
        listed = [s for s in wanted if s not in self.unlisted]
        self.symbols_info = {s: self.rest.ccxt.symbol_info(markets[str(s)]) for s in listed}

    def _on_balance(self, update: BalanceUpdate) -> None:
        """Merge: exchanges push only the assets that changed (Binance ``outboundAccountPosition``), never a reset."""
        self._live_balances = {**self._live_balances, **update.balances}

    def _rest(self) -> CcxtPrivateSpotRest:
        if self.rest is None:
            raise ExchangeNetworkError(None, "not initialised: await init() first", exchange=self.name)
        return self.rest

    @property
    def balances(self) -> dict[str, AssetBalance]:
        """The live view: balances as of the last private websocket update (or ``init``), without a request."""
        return dict(self._live_balances)

    async def get_balances(self) -> dict[str, AssetBalance]:
        """Balances as the exchange reports them now (a REST request every call, no caching)."""
        return await self._rest().get_balances()

    async def refresh_balances(self) -> dict[str, AssetBalance]:
        """Ask the exchange and reset the live view to its answer."""
        self._live_balances = await self._rest().get_balances()
        return dict(self._live_balances)

    async def place_order(
        self,
        symbol: Symbol | str,
        side: Side | str,
        order_type: OrderType | str,
        quantity: float,
        price: float | None = None,
        *,
        time_in_force: TimeInForce | str = TimeInForce.GTC,
        client_order_id: str | None = None,
        rounding: Rounding | str | None = None,
    ) -> Order:
        """A limit or market order by ``order_type`` (``"limit"`` / ``"market"``); see the two methods below."""
        kind = parse_enum(self.name, str(symbol), "order_type", order_type, OrderType)
        if kind is OrderType.MARKET:
            if price is not None:
                raise InvalidOrderError(None, f"{symbol} {side}: a market order takes no price", self.name)
            return await self.place_market_order(symbol, side, quantity, rounding=rounding)
        if price is None:
            raise InvalidOrderError(None, f"{symbol} {side}: price is required for a limit order", self.name)
        return await self.place_limit_order(
            symbol, side, quantity, price, time_in_force, client_order_id, rounding=rounding
        )

    async def place_limit_order(
        self,
        symbol: Symbol | str,
        side: Side | str,
        quantity: float,
        price: float,
        time_in_force: TimeInForce | str = TimeInForce.GTC,
        client_order_id: str | None = None,
        *,
        rounding: Rounding | str | None = None,
    ) -> Order:
        """Place exactly ``quantity`` at ``price``, or refuse with InvalidOrderError naming the field.

        An off-tick price or off-step quantity is refused unless ``rounding`` ("down", "up", "nearest") is given;
        then both are rounded that way and the Order returned shows what was placed.
        """
        order = await self._rest().place_limit_order(
            symbol,  # type: ignore[arg-type]  # parsed (with an arbkit error) by the component
            side,  # type: ignore[arg-type]
            quantity,
            price,
            time_in_force,  # type: ignore[arg-type]
            client_order_id,
            rounding=rounding,
        )
        return self._remember(order)

    async def place_market_order(
        self, symbol: Symbol | str, side: Side | str, quantity: float, *, rounding: Rounding | str | None = None
    ) -> Order:
        """A market order for ``quantity`` base units (on Gate.io sent as the quote cost at the current asks)."""
        order = await self._rest().place_market_order(symbol, side, quantity, rounding=rounding)  # type: ignore[arg-type]
        return self._remember(order)

    async def cancel_order(self, symbol: Symbol | str, order_id: str) -> Order:
        return self._remember(await self._rest().cancel_order(symbol, order_id))  # type: ignore[arg-type]

    async def get_order(self, symbol: Symbol | str, order_id: str) -> Order:
        return self._remember(await self._rest().get_order(symbol, order_id))  # type: ignore[arg-type]

    async def get_open_orders(self, symbol: Symbol | str | None = None) -> list[Order]:
        return await self._rest().get_open_orders(None if symbol is None else parse_symbol(self.name, symbol))

    async def get_trading_fees(self, symbols: Iterable[Symbol | str]) -> dict[Symbol, TradingFee]:
        return await self._rest().get_trading_fees(
            [parse_symbol(self.name, s) for s in _symbol_list(self.name, symbols)]
        )

    # ------------------------------------------------------------------ execution

    async def get_order_by_client_id(self, symbol: Symbol | str, client_order_id: str) -> Order:
        sym = parse_symbol(self.name, symbol)
        cid = check_order_id(self.name, sym, client_order_id, "client_order_id")  # before it reaches a URL
        return self._remember(await self._rest().get_order_by_client_id(sym, cid))

    async def cancel_all_orders(self, symbol: Symbol | str | None = None) -> int:
        return await self._rest().cancel_all_orders(None if symbol is None else parse_symbol(self.name, symbol))

    async def get_my_trades(self, symbol: Symbol | str, since: int | None = None) -> list[Fill]:
        if since is not None and (isinstance(since, bool) or not isinstance(since, int) or since < 0):
            raise InvalidOrderError(
                None, f"{symbol} trades: since must be epoch milliseconds, got {since!r}", self.name
            )
        return await self._rest().get_my_trades(parse_symbol(self.name, symbol), since)

    async def arm_dead_man_switch(self, seconds: float) -> bool:
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not math.isfinite(seconds):
            raise InvalidOrderError(
                None, f"dead-man switch: timeout must be a number of seconds, got {seconds!r}", self.name
            )
        return await self._rest().arm_dead_man_switch(seconds)

    async def validate_order(
        self,
        symbol: Symbol | str,
        side: Side | str,
        quantity: float,
        price: float,
        time_in_force: TimeInForce = TimeInForce.GTC,
    ) -> None:
        sym = parse_symbol(self.name, symbol)
        await self._rest().validate_order(sym, _side(self.name, sym, side), quantity, price, time_in_force)

    async def place_limit_order_within(
        self,
        symbol: Symbol | str,
        side: Side | str,
        quantity: float,
        price: float,
        valid_for_ms: int,
        time_in_force: TimeInForce = TimeInForce.IOC,
        client_order_id: str | None = None,
    ) -> Order:
        sym = parse_symbol(self.name, symbol)
        order = await self._rest().place_limit_order_within(
            sym, _side(self.name, sym, side), quantity, price, valid_for_ms, time_in_force, client_order_id
        )
        return self._remember(order)

    def _remember(self, order: Order) -> Order:
        known = self.orders.get(order.order_id)
        if known is None or order.filled >= known.filled:  # never step back to an older state
            self.orders[order.order_id] = order
        return order

    def add_order_listener(self, listener: OrderListener) -> Callable[[], None]:
        return self._ws().add_order_listener(listener)

    def add_balance_listener(self, listener: BalanceListener) -> Callable[[], None]:
        return self._ws().add_balance_listener(listener)

    def order_updates(self, maxsize: int = 1024) -> AsyncIterator[OrderUpdate]:
        return self._ws().order_updates(maxsize)

    def balance_updates(self, maxsize: int = 1024) -> AsyncIterator[BalanceUpdate]:
        return self._ws().balance_updates(maxsize)

    def _ws(self) -> CcxtPrivateSpotWebsocket:
        if self.ws is None:
            raise ExchangeNetworkError(None, "not initialised: await init() first", exchange=self.name)
        return self.ws

    @property
    def is_connected(self) -> bool:
        return self.ws is not None and self.ws.is_connected

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
        return f"CompositePrivateSpotExchange({self.name}, {self.status}, api_key={mask(self.config.api_key)!r})"
