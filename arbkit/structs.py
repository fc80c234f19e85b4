"""Unified data shared by every exchange: enums and msgspec Structs that cross module boundaries.

Prices and quantities are floats (as ccxt returns them); times are epoch milliseconds.
Books are lists of ``(price, quantity)`` tuples, best first.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NewType

import msgspec

from arbkit.errors import (
    AuthenticationError,
    BaseExchangeError,
    ExchangeNetworkError,
    InsufficientFundsError,
    InvalidOrderError,
    OrderNotFoundError,
    RateLimitError,
)

AssetName = NewType("AssetName", str)
Level = tuple[float, float]


class ExchangeEnum(StrEnum):
    """Exchanges with a dedicated module. The value is the config and data name of the exchange."""

    MEXC = "mexc"
    GATEIO = "gateio"
    BINANCE = "binance"
    KRAKEN = "kraken"

    @classmethod
    def parse(cls, name: str) -> ExchangeEnum:
        """Accept ``BINANCE``, ``binance`` or ``Binance``; raise ValueError otherwise."""
        try:
            return cls(name.strip().lower())
        except ValueError:
            raise ValueError(f"unknown exchange {name!r} (known: {', '.join(e.value for e in cls)})") from None


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


class OrderType(StrEnum):
    LIMIT = "limit"
    MARKET = "market"


class OrderStatus(StrEnum):
    OPEN = "open"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"

    @property
    def is_final(self) -> bool:
        return self in (OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED, OrderStatus.EXPIRED)


class TimeInForce(StrEnum):
    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"


class ExchangeStatus(StrEnum):
    """Lifecycle of a composite exchange."""

    INACTIVE = "inactive"
    CONNECTING = "connecting"
    ACTIVE = "active"
    DEGRADED = "degraded"
    CLOSED = "closed"
    ERROR = "error"


class BookState(StrEnum):
    """Health state of one live book."""

    CONNECTING = "connecting"
    LIVE = "live"
    RESYNCING = "resyncing"
    STALE = "stale"
    DISCONNECTED = "disconnected"
    CLOSED = "closed"


class Symbol(msgspec.Struct, frozen=True, order=True):
    """A spot pair in unified form; prints as ``BTC/USDT``."""

    base: AssetName
    quote: AssetName

    def __str__(self) -> str:
        return f"{self.base}/{self.quote}"

    @classmethod
    def parse(cls, text: str | Symbol) -> Symbol:
        """Parse ``BTC/USDT`` (also ``btc/usdt``); raise ValueError naming the bad input."""
        if isinstance(text, Symbol):
            return text
        base, sep, quote = str(text).strip().upper().partition("/")
        if not sep or not base or not quote or "/" in quote:
            raise ValueError(f"symbol {text!r}: expected BASE/QUOTE such as BTC/USDT")
        return cls(AssetName(base), AssetName(quote))


class OrderBook(msgspec.Struct, frozen=True, gc=False):
    """An L2 book snapshot, bids and asks best first.

    ``gc=False`` (also on ``BookHealth`` and ``BookUpdate``): one of each is made per book update, and none can be
    part of a reference cycle (levels are tuples of numbers), so the garbage collector need not track them."""

    exchange: str
    symbol: Symbol
    bids: list[Level]
    asks: list[Level]
    timestamp: int | None = None
    sequence: int | None = None
    received_ms: float = 0.0

    @property
    def best_bid(self) -> float | None:
        return self.bids[0][0] if self.bids else None

    @property
    def best_ask(self) -> float | None:
        return self.asks[0][0] if self.asks else None

    @property
    def mid(self) -> float | None:
        if not self.bids or not self.asks:
            return None
        return (self.bids[0][0] + self.asks[0][0]) / 2.0

    @property
    def spread_bps(self) -> float | None:
        mid = self.mid
        if mid is None or mid <= 0:
            return None
        return (self.asks[0][0] - self.bids[0][0]) / mid * 1e4

    @property
    def is_crossed(self) -> bool:
        return bool(self.bids and self.asks and self.bids[0][0] >= self.asks[0][0])

    def __repr__(self) -> str:
        return (
            f"OrderBook({self.exchange} {self.symbol} bid={self.best_bid} ask={self.best_ask} "
            f"levels={len(self.bids)}x{len(self.asks)} seq={self.sequence})"
        )

    def _repr_html_(self) -> str:
        from arbkit.research.html import order_book_html

        return order_book_html(self)


class Ticker(msgspec.Struct, frozen=True):
    exchange: str
    symbol: Symbol
    bid: float | None
    ask: float | None
    last: float | None
    base_volume: float | None = None
    quote_volume: float | None = None
    timestamp: int | None = None


class Trade(msgspec.Struct, frozen=True):
    exchange: str
    symbol: Symbol
    trade_id: str | None
    price: float
    quantity: float
    side: Side | None
    timestamp: int | None = None


class SymbolInfo(msgspec.Struct, frozen=True):
    """Precision, limits and fees of one spot market on one exchange."""

    exchange: str
    symbol: Symbol
    tick_size: float
    step_size: float
    min_quantity: float = 0.0
    min_notional: float = 0.0
    maker_fee: float = 0.001
    taker_fee: float = 0.001
    active: bool = True
    exchange_symbol: str = ""


class Order(msgspec.Struct, frozen=True):
    exchange: str
    symbol: Symbol
    order_id: str
    side: Side
    order_type: OrderType
    quantity: float
    price: float | None
    filled: float
    status: OrderStatus
    client_order_id: str | None = None
    average_price: float | None = None
    time_in_force: TimeInForce | None = None
    fee_cost: float | None = None
    fee_asset: str | None = None
    timestamp: int | None = None

    @property
    def remaining(self) -> float:
        return max(self.quantity - self.filled, 0.0)


class Fill(msgspec.Struct, frozen=True):
    """One execution of one of the account's orders (a trade-history row), with the fee it paid."""

    exchange: str
    symbol: Symbol
    trade_id: str
    order_id: str
    client_order_id: str | None
    side: Side
    price: float
    quantity: float
    fee_cost: float
    fee_asset: str | None
    timestamp: int
    maker: bool | None = None


class AssetBalance(msgspec.Struct, frozen=True):
    asset: AssetName
    free: float
    locked: float = 0.0

    @property
    def total(self) -> float:
        return self.free + self.locked


class TradingFee(msgspec.Struct, frozen=True):
    exchange: str
    symbol: Symbol
    maker: float
    taker: float


class BookHealth(msgspec.Struct, frozen=True, gc=False):
    """How trustworthy one live book is right now."""

    exchange: str
    symbol: Symbol
    state: BookState
    sequence: int | None
    age_ms: float | None
    updates: int
    updates_per_second: float
    gaps: int
    resyncs: int
    checksum_failures: int
    reconnects: int
    crossed: bool = False
    last_error: str | None = None

    @property
    def is_healthy(self) -> bool:
        return self.state is BookState.LIVE and not self.crossed

    def __repr__(self) -> str:
        age = "-" if self.age_ms is None else f"{self.age_ms:.0f}ms"
        error = f" last_error={self.last_error!r}" if self.last_error else ""
        return (
            f"BookHealth({self.exchange} {self.symbol} {self.state} seq={self.sequence} age={age} "
            f"updates={self.updates} gaps={self.gaps} resyncs={self.resyncs} "
            f"checksum_failures={self.checksum_failures} reconnects={self.reconnects}{error})"
        )[:199]

    def _repr_html_(self) -> str:
        from arbkit.research.html import book_health_html

        return book_health_html(self)


class BookUpdate(msgspec.Struct, frozen=True, gc=False):
    """What a public websocket hands to its consumer: the new book and its health."""

    book: OrderBook
    health: BookHealth


class OrderUpdate(msgspec.Struct, frozen=True):
    order: Order


class BalanceUpdate(msgspec.Struct, frozen=True):
    exchange: str
    balances: dict[str, AssetBalance]
    timestamp: int | None = None


__all__ = [
    "AssetBalance",
    "AssetName",
    "AuthenticationError",
    "BalanceUpdate",
    "BaseExchangeError",
    "BookHealth",
    "BookState",
    "BookUpdate",
    "ExchangeEnum",
    "ExchangeNetworkError",
    "ExchangeStatus",
    "Fill",
    "InsufficientFundsError",
    "InvalidOrderError",
    "Level",
    "Order",
    "OrderBook",
    "OrderNotFoundError",
    "OrderStatus",
    "OrderType",
    "OrderUpdate",
    "RateLimitError",
    "Side",
    "Symbol",
    "SymbolInfo",
    "Ticker",
    "TimeInForce",
    "Trade",
    "TradingFee",
]
