"""The four interfaces every exchange is seen through. Abstract and stateless: implementations hold the state."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Iterable

from arbkit.exchanges.order_checks import Rounding
from arbkit.structs import (
    AssetBalance,
    BalanceUpdate,
    BookHealth,
    BookUpdate,
    Fill,
    Order,
    OrderBook,
    OrderUpdate,
    Side,
    Symbol,
    SymbolInfo,
    Ticker,
    TimeInForce,
    Trade,
    TradingFee,
)

BookListener = Callable[[BookUpdate], None]
OrderListener = Callable[[OrderUpdate], None]
BalanceListener = Callable[[BalanceUpdate], None]


class BasePublicSpotRestInterface(ABC):
    """Public market data over REST."""

    @abstractmethod
    async def get_symbols_info(self, symbols: Iterable[Symbol] | None = None) -> dict[Symbol, SymbolInfo]: ...

    @abstractmethod
    async def get_orderbook(self, symbol: Symbol, limit: int | None = None) -> OrderBook: ...

    @abstractmethod
    async def get_recent_trades(self, symbol: Symbol, limit: int = 100) -> list[Trade]: ...

    @abstractmethod
    async def get_ticker(self, symbol: Symbol) -> Ticker: ...

    @abstractmethod
    async def close(self) -> None: ...


class BasePrivateSpotRestInterface(ABC):
    """Account and orders over signed REST."""

    @abstractmethod
    async def get_balances(self) -> dict[str, AssetBalance]:
        """Ask the exchange (no caching)."""

    @abstractmethod
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
        """Place exactly ``quantity`` at ``price`` or refuse with InvalidOrderError; ``rounding`` opts into rounding."""

    @abstractmethod
    async def place_market_order(
        self, symbol: Symbol, side: Side, quantity: float, *, rounding: Rounding | str | None = None
    ) -> Order: ...

    @abstractmethod
    async def cancel_order(self, symbol: Symbol, order_id: str) -> Order: ...

    @abstractmethod
    async def get_order(self, symbol: Symbol, order_id: str) -> Order: ...

    @abstractmethod
    async def get_open_orders(self, symbol: Symbol | None = None) -> list[Order]: ...

    @abstractmethod
    async def get_trading_fees(self, symbols: Iterable[Symbol]) -> dict[Symbol, TradingFee]: ...

    # execution: what a trading engine needs beyond placing orders

    @abstractmethod
    async def get_order_by_client_id(self, symbol: Symbol, client_order_id: str) -> Order:
        """The order with this client id (OrderNotFoundError if none): how an unclear outcome is resolved."""

    @abstractmethod
    async def cancel_all_orders(self, symbol: Symbol | None = None) -> int:
        """Cancel every open order (of ``symbol`` only, when given); returns how many."""

    @abstractmethod
    async def get_my_trades(self, symbol: Symbol, since: int | None = None) -> list[Fill]:
        """The account's fills of ``symbol`` since ``since`` (epoch ms), oldest first, with fees."""

    @abstractmethod
    async def arm_dead_man_switch(self, seconds: float) -> bool:
        """Arm (0: disarm) the exchange's cancel-all countdown; False when the exchange has none."""

    @abstractmethod
    async def validate_order(
        self, symbol: Symbol, side: Side, quantity: float, price: float, time_in_force: TimeInForce = TimeInForce.GTC
    ) -> None:
        """The exchange's validate-only path; NotSupportedError where it has none."""

    @abstractmethod
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
        """A limit order the exchange refuses if it would act on it more than ``valid_for_ms`` after sending
        (Binance/MEXC recvWindow, Kraken deadline); NotSupportedError where the exchange has no such guard."""

    @abstractmethod
    async def close(self) -> None: ...


class BasePublicSpotWebsocket(ABC):
    """Live order books. Updates reach listeners (callbacks) or the ``updates()`` async iterator."""

    @abstractmethod
    async def connect(self) -> None: ...

    @abstractmethod
    async def subscribe_orderbook(self, symbol: Symbol) -> None: ...

    @abstractmethod
    async def unsubscribe_orderbook(self, symbol: Symbol) -> None: ...

    @property
    @abstractmethod
    def is_connected(self) -> bool: ...

    @abstractmethod
    def add_listener(self, listener: BookListener) -> Callable[[], None]: ...

    @abstractmethod
    def updates(self) -> AsyncIterator[BookUpdate]: ...

    @abstractmethod
    def health(self, symbol: Symbol) -> BookHealth: ...

    @abstractmethod
    async def close(self) -> None: ...


class BasePrivateSpotWebsocket(ABC):
    """Authenticated live order and balance updates."""

    @abstractmethod
    async def connect(self) -> None: ...

    @property
    @abstractmethod
    def is_connected(self) -> bool: ...

    @abstractmethod
    def add_order_listener(self, listener: OrderListener) -> Callable[[], None]: ...

    @abstractmethod
    def add_balance_listener(self, listener: BalanceListener) -> Callable[[], None]: ...

    @abstractmethod
    async def close(self) -> None: ...
