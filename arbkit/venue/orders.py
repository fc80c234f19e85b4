"""The venue's order, fill, balance and event Structs, its error kinds, and one api key's account.

Shared by the MatchingEngine (which mutates them) and the protocols (which render them in their wire shapes).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from enum import StrEnum

import msgspec

from arbkit.structs import OrderStatus, OrderType, Side, TimeInForce
from arbkit.venue.book import BookDelta

__all__ = [
    "Account",
    "Balance",
    "BalanceEvent",
    "BookChange",
    "EngineEvent",
    "ErrorKind",
    "ExecKind",
    "Fill",
    "OrderEvent",
    "VenueError",
    "VenueOrder",
    "clean_amount",
    "now_ms",
]


class ErrorKind(StrEnum):
    UNKNOWN_SYMBOL = "unknown_symbol"
    PRECISION = "precision"  # price off the tick or quantity off the step
    MIN_QTY = "min_qty"
    MIN_NOTIONAL = "min_notional"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    UNKNOWN_ORDER = "unknown_order"
    UNKNOWN_ACCOUNT = "unknown_account"
    INVALID = "invalid"  # missing or contradictory parameters
    WOULD_TAKE = "would_take"  # a post-only order that would cross
    DUPLICATE_ORDER = "duplicate_order"
    RATE_LIMIT = "rate_limit"  # too many orders (only from the reject-next fault: the venue counts no rate)


class VenueError(Exception):
    """An order or query the engine refuses; ``kind`` is what protocols map to exchange error codes."""

    def __init__(self, kind: ErrorKind, message: str) -> None:
        self.kind = kind
        self.message = message
        super().__init__(f"{kind}: {message}")


class ExecKind(StrEnum):
    NEW = "new"
    TRADE = "trade"
    CANCELED = "canceled"
    EXPIRED = "expired"


class Balance(msgspec.Struct):
    free: float = 0.0
    locked: float = 0.0


class VenueOrder(msgspec.Struct, kw_only=True):
    """The engine's live order (mutable); events carry frozen-by-convention copies."""

    order_id: int
    client_order_id: str
    symbol: str
    side: Side
    type: OrderType
    time_in_force: TimeInForce
    price: float | None
    quantity: float
    quote_quantity: float | None = None
    post_only: bool = False
    filled: float = 0.0
    quote_filled: float = 0.0
    fee: float = 0.0
    fee_asset: str = ""
    status: OrderStatus = OrderStatus.OPEN
    created: int = 0
    updated: int = 0
    locked: float = 0.0  # amount still locked for this order (quote for buys, base for sells)

    @property
    def remaining(self) -> float:
        return max(self.quantity - self.filled, 0.0)

    @property
    def average(self) -> float | None:
        return self.quote_filled / self.filled if self.filled > 0 else None

    @property
    def is_open(self) -> bool:
        return self.status in (OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED)


class Fill(msgspec.Struct, frozen=True):
    trade_id: int
    order_id: int
    symbol: str
    side: Side
    price: float
    qty: float
    quote_qty: float
    fee: float
    fee_asset: str
    maker: bool
    timestamp: int


class OrderEvent(msgspec.Struct, frozen=True):
    """An order changed: ``order`` is a copy taken at that moment, ``fill`` the fill that caused it if any."""

    api_key: str
    kind: ExecKind
    order: VenueOrder
    fill: Fill | None = None


class BalanceEvent(msgspec.Struct, frozen=True):
    """Balances of the assets that changed (full free/locked values)."""

    api_key: str
    balances: dict[str, Balance]
    timestamp: int


class BookChange(msgspec.Struct, frozen=True):
    """Liquidity consumed by a fill: the delta already applied to the venue book."""

    symbol: str
    delta: BookDelta


EngineEvent = OrderEvent | BalanceEvent | BookChange


def now_ms() -> int:
    return int(time.time() * 1000)


def clean_amount(value: float) -> float:
    """Round away float dust so balances and locks compare cleanly."""
    return round(value, 10)


class Account:
    """Balances and orders of one api key."""

    def __init__(self, api_key: str, balances: Mapping[str, float]) -> None:
        self.api_key = api_key
        self.balances: dict[str, Balance] = {a: Balance(free=v) for a, v in balances.items()}
        self.orders: dict[int, VenueOrder] = {}
        self.fills: list[Fill] = []
        self.touched: set[str] = set()

    def balance(self, asset: str) -> Balance:
        return self.balances.setdefault(asset, Balance())

    def move(self, asset: str, free: float = 0.0, locked: float = 0.0) -> None:
        bal = self.balance(asset)
        bal.free = max(0.0, clean_amount(bal.free + free))
        bal.locked = max(0.0, clean_amount(bal.locked + locked))
        self.touched.add(asset)

    def trades(
        self,
        symbol: str | None = None,
        order_id: int | None = None,
        start_ms: int | None = None,
        end_ms: int | None = None,
    ) -> list[Fill]:
        """This account's fills, oldest first, filtered by symbol, order and time (both ends inclusive)."""
        return [
            f
            for f in self.fills
            if (symbol is None or f.symbol == symbol)
            and (order_id is None or f.order_id == order_id)
            and (start_ms is None or f.timestamp >= start_ms)
            and (end_ms is None or f.timestamp <= end_ms)
        ]

    def pop_touched(self) -> dict[str, Balance]:
        out = {a: Balance(self.balance(a).free, self.balance(a).locked) for a in sorted(self.touched)}
        self.touched.clear()
        return out
