"""``PaperBackend``: one venue's account on paper, an ``OrderBackend`` the executor cannot tell from a real one.

An IOC sent at ``t`` is acted on at ``t + latency`` (sampled per order, seeded) against the book as it is then,
limited to the levels that were also there at ``t`` with the smaller size (``window_levels``: latency only hurts),
net of the depth earlier paper orders consumed (``DepthLedger``), with the exchange's filters and fees
(``fills.py``). Balances move with every fill (fees in the asset received, as on Binance, Gate.io and MEXC spot).
An order is in flight until it is acted on: a caller that stops waiting (leg timeout) does not stop it, and the
exchange does not know it yet (``find_order`` answers None). A client id is never accepted twice. Deterministic
given the seed, the books and the clock.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Mapping

import msgspec

from arbkit.errors import InsufficientFundsError, InvalidOrderError, OrderNotFoundError
from arbkit.execution.backend import LegFill
from arbkit.paper.clock import BookView, Clock
from arbkit.paper.config import LatencySampler
from arbkit.paper.depth import DepthLedger, window_levels
from arbkit.paper.fills import EPS, PaperFill, Rejection, check_order, match_ioc
from arbkit.structs import (
    AssetBalance,
    AssetName,
    Level,
    Order,
    OrderBook,
    OrderStatus,
    OrderType,
    Side,
    Symbol,
    SymbolInfo,
    TimeInForce,
)

__all__ = ["PaperBackend", "PaperOrderRecord"]

log = logging.getLogger(__name__)


class PaperOrderRecord(msgspec.Struct, frozen=True):
    """What the paper exchange knows of one order: the final order, its fills, when it was sent and acted on."""

    order: Order
    fills: list[PaperFill]
    sent_ms: int
    acted_ms: int
    latency_ms: float


class PaperBackend:
    """Paper orders of one venue over a ``BookView`` on a ``Clock``."""

    paper = True  # the executor refuses a dry run on anything else

    def __init__(
        self,
        name: str,
        books: BookView,
        infos: Mapping[Symbol, SymbolInfo],
        clock: Clock,
        latency: LatencySampler,
        balances: Mapping[str, float],
        ledger: DepthLedger | None = None,
    ) -> None:
        self.name = name
        self.books = books
        self.infos = infos
        self.clock = clock
        self.latency = latency
        self.ledger = ledger if ledger is not None else DepthLedger()
        self._free: dict[str, float] = {str(a).upper(): float(v) for a, v in balances.items()}
        self._used: set[str] = set()  # every client id ever sent (in flight, refused or final)
        self._records: dict[str, PaperOrderRecord] = {}  # client id -> record, once acted on and accepted
        self._by_id: dict[str, str] = {}  # exchange order id -> client id
        self._flight: set[asyncio.Task[Order]] = set()
        self._ids = itertools.count(1)

    # ------------------------------------------------------------------ orders
    async def place_ioc(
        self, symbol: Symbol, side: Side, quantity: float, price: float, client_id: str, guarded: bool = True
    ) -> Order:
        """Send an IOC limit; it is acted on after the sampled latency. ``guarded`` changes nothing on paper."""
        if client_id in self._used:
            raise InvalidOrderError(None, f"client order id {client_id!r} already used (duplicate refused)", self.name)
        if symbol not in self.infos:
            raise InvalidOrderError(None, f"unknown symbol {symbol}", self.name)
        self._used.add(client_id)
        sent = self.clock.now_ms()
        then = _side(self.books(self.name, symbol), side)
        latency = self.latency.next_ms()
        if latency <= 0:
            return self._act(symbol, side, quantity, price, client_id, sent, then, latency)
        task = asyncio.get_running_loop().create_task(
            self._arrive(symbol, side, quantity, price, client_id, sent, then, latency),
            name=f"paper-{self.name}-{client_id}",
        )
        self._flight.add(task)
        task.add_done_callback(self._landed)
        return await asyncio.shield(task)

    async def _arrive(
        self,
        symbol: Symbol,
        side: Side,
        quantity: float,
        price: float,
        client_id: str,
        sent: int,
        then: list[Level],
        latency: float,
    ) -> Order:
        await self.clock.sleep_until(sent + round(latency))
        return self._act(symbol, side, quantity, price, client_id, sent, then, latency)

    def _landed(self, task: asyncio.Task[Order]) -> None:
        self._flight.discard(task)
        if not task.cancelled() and task.exception() is not None:  # retrieved here: the caller may have left
            log.debug("%s paper order refused: %s", self.name, task.exception())

    def _act(
        self,
        symbol: Symbol,
        side: Side,
        quantity: float,
        price: float,
        client_id: str,
        sent: int,
        then: list[Level],
        latency: float,
    ) -> Order:
        """The exchange receives the order now: filters, funds, then the match against the window's book."""
        info = self.infos[symbol]
        base, quote = str(symbol.base), str(symbol.quote)
        refusal = check_order(info, side, quantity, price, self._free.get(base, 0.0), self._free.get(quote, 0.0))
        if refusal is not None:
            kind, message = refusal
            error = InsufficientFundsError if kind is Rejection.INSUFFICIENT_FUNDS else InvalidOrderError
            refused = error(None, message, self.name)
            refused.rejection = kind  # type: ignore[attr-defined]  # the exact reason, for the calibration
            raise refused
        now = _side(self.books(self.name, symbol), side)
        levels = window_levels(then, now) if latency > 0 else now
        levels = self.ledger.visible(self.name, symbol, side, levels)
        fills = match_ioc(info, side, quantity, price, levels)
        self.ledger.consume(self.name, symbol, side, [(f.price, f.quantity) for f in fills])
        self._settle(symbol, side, fills, info.taker_fee)
        acted = self.clock.now_ms()
        filled = round(sum(f.quantity for f in fills), 12)
        notional = sum(f.price * f.quantity for f in fills)
        average = notional / filled if filled > 0 else None
        fee, fee_asset = (filled * info.taker_fee, base) if side is Side.BUY else (notional * info.taker_fee, quote)
        order_id = f"paper-{self.name}-{next(self._ids)}"
        done = filled >= quantity * (1 - EPS)
        order = Order(
            exchange=self.name,
            symbol=symbol,
            order_id=order_id,
            side=side,
            order_type=OrderType.LIMIT,
            quantity=quantity,
            price=price,
            filled=quantity if done else filled,
            status=OrderStatus.FILLED if done else OrderStatus.EXPIRED,
            client_order_id=client_id,
            average_price=average,
            time_in_force=TimeInForce.IOC,
            fee_cost=fee,
            fee_asset=fee_asset,
            timestamp=acted,
        )
        self._records[client_id] = PaperOrderRecord(order, fills, sent, acted, latency)
        self._by_id[order_id] = client_id
        return order

    def _settle(self, symbol: Symbol, side: Side, fills: list[PaperFill], taker_fee: float) -> None:
        """Move the paper balances by the fills; the fee is taken from the asset received."""
        base, quote = str(symbol.base), str(symbol.quote)
        for fill in fills:
            notional = fill.price * fill.quantity
            if side is Side.BUY:
                self._move(quote, -notional)
                self._move(base, fill.quantity * (1.0 - taker_fee))
            else:
                self._move(base, -fill.quantity)
                self._move(quote, notional - fill.fee_quote)

    def _move(self, asset: str, amount: float) -> None:
        self._free[asset] = max(0.0, round(self._free.get(asset, 0.0) + amount, 10))

    # ------------------------------------------------------------------ lookups
    async def find_order(self, symbol: Symbol, client_id: str) -> Order | None:
        record = self._records.get(client_id)
        return record.order if record is not None and record.order.symbol == symbol else None

    async def get_order(self, symbol: Symbol, order_id: str) -> Order:
        return self._record(order_id).order

    async def order_fills(self, symbol: Symbol, order_id: str, since_ms: int) -> list[LegFill]:
        return [LegFill(f.price, f.quantity, f.fee_quote) for f in self._record(order_id).fills]

    def record(self, client_id: str) -> PaperOrderRecord | None:
        """The paper exchange's record of an order (None while in flight, refused or unknown)."""
        return self._records.get(client_id)

    @property
    def records(self) -> list[PaperOrderRecord]:
        """Every accepted paper order, in the order they were acted on."""
        return list(self._records.values())

    def _record(self, order_id: str) -> PaperOrderRecord:
        client_id = self._by_id.get(str(order_id))
        if client_id is None:
            raise OrderNotFoundError(None, f"order {order_id} does not exist", self.name)
        return self._records[client_id]

    # ------------------------------------------------------------------ account
    async def cancel(self, symbol: Symbol, order_id: str) -> None:
        """IOCs are final once acted on: nothing to cancel (an unknown id is an error, as on the exchange)."""
        self._record(order_id)

    async def open_orders(self) -> list[Order]:
        return []  # an IOC never rests; orders in flight are not on the exchange yet

    async def cancel_all(self) -> int:
        return 0

    async def arm_dead_man(self, seconds: int) -> bool:
        return False  # nothing can rest on a paper account, so there is nothing for a countdown to cancel

    def balances(self) -> dict[str, AssetBalance]:
        return {a: AssetBalance(AssetName(a), v) for a, v in self._free.items()}

    async def refresh_balances(self) -> dict[str, AssetBalance]:
        return self.balances()

    @property
    def stream_up(self) -> bool:
        return True

    async def close(self) -> None:
        """Wait for orders still in flight, so none is lost when the run stops."""
        if self._flight:
            await asyncio.gather(*list(self._flight), return_exceptions=True)


def _side(book: OrderBook | None, side: Side) -> list[Level]:
    """The levels a ``side`` order takes (asks for a buy), best first; none without a book."""
    if book is None:
        return []
    return list(book.asks if side is Side.BUY else book.bids)
