"""Where orders go: the ``OrderBackend`` protocol and ``PrivateBackend`` over a private composite.

The executor talks only to this protocol, so the paper back-end of the next step slots in beside the real one.
Errors keep arbkit's meaning: an ``InvalidOrderError`` / ``InsufficientFundsError`` / ``AuthenticationError`` /
``RateLimitError`` is a definite refusal (the order does not exist); a timeout or ``ExchangeNetworkError`` is an
unclear outcome that must be looked up by client order id before anything is retried.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

import msgspec

from arbkit.errors import NotSupportedError, OrderNotFoundError
from arbkit.execution.wire import hold_at_wire
from arbkit.structs import AssetBalance, Order, Side, Symbol, TimeInForce

__all__ = ["LegFill", "OrderBackend", "PrivateBackend", "client_order_id"]


class LegFill(msgspec.Struct, frozen=True):
    """One fill of an order from the exchange's trade history; the fee in the quote asset."""

    price: float
    quantity: float
    fee_quote: float


class OrderBackend(Protocol):
    """One venue's account as the executor sees it."""

    name: str

    async def place_ioc(
        self, symbol: Symbol, side: Side, quantity: float, price: float, client_id: str, guarded: bool = True
    ) -> Order:
        """An IOC limit; ``guarded`` asks for the exchange's staleness guard where it has one (legs, not hedges)."""
        ...

    async def find_order(self, symbol: Symbol, client_id: str) -> Order | None:
        """The order with this client id, or None when the exchange never received it."""
        ...

    async def get_order(self, symbol: Symbol, order_id: str) -> Order: ...

    async def order_fills(self, symbol: Symbol, order_id: str, since_ms: int) -> list[LegFill]:
        """The fills of one order from the exchange's trade history (for its true average price and fees)."""
        ...

    async def cancel(self, symbol: Symbol, order_id: str) -> None: ...

    async def open_orders(self) -> list[Order]: ...

    async def cancel_all(self) -> int:
        """Cancel every open order of the account; the number cancelled."""
        ...

    async def arm_dead_man(self, seconds: int) -> bool:
        """Arm the exchange's cancel-all countdown; False when the exchange has none."""
        ...

    def balances(self) -> dict[str, AssetBalance]: ...

    async def refresh_balances(self) -> dict[str, AssetBalance]: ...

    @property
    def stream_up(self) -> bool: ...


def client_order_id(exchange: str, execution_id: str, role: str) -> str:
    """Deterministic per execution and leg (``role``: b, s, h1, h2, ...), valid on every supported exchange:
    Gate.io wants a ``t-`` prefix, Kraken at most 18 characters of free text."""
    core = f"ak{execution_id}{role}"
    return f"t-{core}" if exchange == "gateio" else core


class PrivateBackend:
    """A ``CompositePrivateSpotExchange`` as an ``OrderBackend``; uses the composite's own client-id lookup,
    cancel-all and dead-man methods where it has them."""

    def __init__(self, private: Any, symbols: list[Symbol] | None = None, valid_for_ms: int | None = None) -> None:
        self.private = private
        self.name: str = private.name
        self.symbols = list(symbols or [])  # open orders are fetched per symbol when known (cheaper on Binance)
        # the exchange's staleness guard (Binance recvWindow, Kraken deadline) for each leg, where it has one
        self.valid_for_ms = None if valid_for_ms is None else max(1, min(int(valid_for_ms), 60_000))
        self._guard = hasattr(private, "place_limit_order_within") and self.valid_for_ms is not None
        hold_at_wire(getattr(getattr(getattr(private, "rest", None), "ccxt", None), "client", None))

    async def place_ioc(
        self, symbol: Symbol, side: Side, quantity: float, price: float, client_id: str, guarded: bool = True
    ) -> Order:
        if self._guard and guarded:
            try:
                return await self.private.place_limit_order_within(
                    symbol, side, quantity, price, self.valid_for_ms, TimeInForce.IOC, client_id
                )
            except NotSupportedError:  # refused before anything was sent: this exchange has no guard
                self._guard = False
        return await self.private.place_limit_order(symbol, side, quantity, price, TimeInForce.IOC, client_id)

    async def find_order(self, symbol: Symbol, client_id: str) -> Order | None:
        try:
            return await self.private.get_order_by_client_id(symbol, client_id)
        except OrderNotFoundError:
            return None

    async def get_order(self, symbol: Symbol, order_id: str) -> Order:
        return await self.private.get_order(symbol, order_id)

    async def order_fills(self, symbol: Symbol, order_id: str, since_ms: int) -> list[LegFill]:
        fills = [f for f in await self.private.get_my_trades(symbol, since_ms) if str(f.order_id) == str(order_id)]
        return [
            LegFill(f.price, f.quantity, f.fee_cost * f.price if f.fee_asset == str(symbol.base) else f.fee_cost)
            for f in fills
        ]

    async def cancel(self, symbol: Symbol, order_id: str) -> None:
        try:
            await self.private.cancel_order(symbol, order_id)
        except OrderNotFoundError:  # already final: nothing left to cancel
            pass

    async def open_orders(self) -> list[Order]:
        if not self.symbols:
            client = getattr(getattr(self.private.rest, "ccxt", None), "client", None)
            if client is not None:  # every symbol at once is asked for on purpose here
                client.options["warnOnFetchOpenOrdersWithoutSymbol"] = False
            return await self.private.get_open_orders()
        found = await asyncio.gather(*(self.private.get_open_orders(s) for s in self.symbols))
        return [o for orders in found for o in orders]

    async def cancel_all(self) -> int:
        return await self.private.cancel_all_orders()

    async def arm_dead_man(self, seconds: int) -> bool:
        return await self.private.arm_dead_man_switch(seconds)

    def balances(self) -> dict[str, AssetBalance]:
        """The live view (kept by the private websocket), without a request."""
        return dict(self.private.balances)

    async def refresh_balances(self) -> dict[str, AssetBalance]:
        return await self.private.refresh_balances()

    @property
    def stream_up(self) -> bool:
        """The private stream's tasks run and ccxt holds an open websocket for them."""
        if not self.private.is_connected:
            return False
        rest = getattr(self.private, "rest", None)
        clients = getattr(getattr(getattr(rest, "ccxt", None), "client", None), "clients", None) or {}
        return any(c.connection is not None and not getattr(c.connection, "closed", False) for c in clients.values())
