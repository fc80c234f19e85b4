"""CompositePrivateSpotExchange: one class for every exchange; holds a private REST and a private websocket."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any, Self

from arbkit.config import ExchangeConfig
from arbkit.errors import ExchangeNetworkError
from arbkit.exchanges.ccxt_client import build_client
from arbkit.exchanges.components import CcxtPrivateSpotRest, CcxtPrivateSpotWebsocket
from arbkit.exchanges.interfaces import BalanceListener, OrderListener
from arbkit.exchanges.spec import ExchangeSpec
from arbkit.masking import mask
from arbkit.structs import (
    AssetBalance,
    BalanceUpdate,
    ExchangeStatus,
    Fill,
    Order,
    OrderUpdate,
    Side,
    Symbol,
    TimeInForce,
    TradingFee,
)


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
        self.balances: dict[str, AssetBalance] = {}
        self.orders: dict[str, Order] = {}

    async def init(self) -> Self:
        """Load markets and balances, then start the live order and balance streams."""
        self.status = ExchangeStatus.CONNECTING
        assert self._spec is not None
        self._client = build_client(self._spec, self.config, private=True)
        self.rest = self._rest_cls(self.config, client=self._client, spec=self._spec)
        self.ws = self._ws_cls(self.config, client=self._client, spec=self._spec)
        self.ws.add_order_listener(self._on_order)
        self.ws.add_balance_listener(self._on_balance)
        try:
            self.balances = await self.rest.get_balances()
            await self.ws.connect()
        except BaseException:
            self.status = ExchangeStatus.ERROR
            await self.close()
            raise
        self.status = ExchangeStatus.ACTIVE
        return self

    def _on_order(self, update: OrderUpdate) -> None:
        self.orders[update.order.order_id] = update.order

    def _on_balance(self, update: BalanceUpdate) -> None:
        self.balances = dict(update.balances)

    def _rest(self) -> CcxtPrivateSpotRest:
        if self.rest is None:
            raise ExchangeNetworkError(None, "not initialised: await init() first", exchange=self.name)
        return self.rest

    def get_balances(self) -> dict[str, AssetBalance]:
        """The live balances (updated by the websocket)."""
        return dict(self.balances)

    async def refresh_balances(self) -> dict[str, AssetBalance]:
        self.balances = await self._rest().get_balances()
        return dict(self.balances)

    async def place_limit_order(
        self,
        symbol: Symbol | str,
        side: Side | str,
        quantity: float,
        price: float,
        time_in_force: TimeInForce = TimeInForce.GTC,
        client_order_id: str | None = None,
    ) -> Order:
        order = await self._rest().place_limit_order(
            Symbol.parse(symbol), Side(side), quantity, price, time_in_force, client_order_id
        )
        return self._remember(order)

    async def place_market_order(self, symbol: Symbol | str, side: Side | str, quantity: float) -> Order:
        return self._remember(await self._rest().place_market_order(Symbol.parse(symbol), Side(side), quantity))

    async def cancel_order(self, symbol: Symbol | str, order_id: str) -> Order:
        return self._remember(await self._rest().cancel_order(Symbol.parse(symbol), order_id))

    async def get_order(self, symbol: Symbol | str, order_id: str) -> Order:
        return self._remember(await self._rest().get_order(Symbol.parse(symbol), order_id))

    async def get_open_orders(self, symbol: Symbol | str | None = None) -> list[Order]:
        return await self._rest().get_open_orders(None if symbol is None else Symbol.parse(symbol))

    async def get_trading_fees(self, symbols: Iterable[Symbol | str]) -> dict[Symbol, TradingFee]:
        return await self._rest().get_trading_fees([Symbol.parse(s) for s in symbols])

    # ------------------------------------------------------------------ execution

    async def get_order_by_client_id(self, symbol: Symbol | str, client_order_id: str) -> Order:
        return self._remember(await self._rest().get_order_by_client_id(Symbol.parse(symbol), client_order_id))

    async def cancel_all_orders(self, symbol: Symbol | str | None = None) -> int:
        return await self._rest().cancel_all_orders(None if symbol is None else Symbol.parse(symbol))

    async def get_my_trades(self, symbol: Symbol | str, since: int | None = None) -> list[Fill]:
        return await self._rest().get_my_trades(Symbol.parse(symbol), since)

    async def arm_dead_man_switch(self, seconds: float) -> bool:
        return await self._rest().arm_dead_man_switch(seconds)

    async def validate_order(
        self,
        symbol: Symbol | str,
        side: Side | str,
        quantity: float,
        price: float,
        time_in_force: TimeInForce = TimeInForce.GTC,
    ) -> None:
        await self._rest().validate_order(Symbol.parse(symbol), Side(side), quantity, price, time_in_force)

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
        order = await self._rest().place_limit_order_within(
            Symbol.parse(symbol), Side(side), quantity, price, valid_for_ms, time_in_force, client_order_id
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
