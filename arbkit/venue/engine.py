"""MatchingEngine: one exchange's accounts, balances and orders, matched against that venue's simulated books.

Taker orders consume book levels (the change goes out as a book delta); resting limit orders fill at their own
price when the market later crosses them (``match_resting`` after each market step). Fees are charged in the
asset received. Every refusal is a ``VenueError(kind, message)`` that a protocol maps to its own error code.
The order, fill, balance and event types live in ``arbkit.venue.orders`` and are re-exported here.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping

import msgspec

from arbkit.structs import OrderStatus, OrderType, Side, TimeInForce
from arbkit.venue.book import VenueBook
from arbkit.venue.instruments import Instrument
from arbkit.venue.order_faults import OrderFaults
from arbkit.venue.orders import (
    Account,
    Balance,
    BalanceEvent,
    BookChange,
    EngineEvent,
    ErrorKind,
    ExecKind,
    Fill,
    OrderEvent,
    VenueError,
    VenueOrder,
    clean_amount,
    now_ms,
)

__all__ = [
    "STARTING_BALANCES",
    "Account",
    "Balance",
    "BalanceEvent",
    "BookChange",
    "EngineEvent",
    "ErrorKind",
    "ExecKind",
    "Fill",
    "MatchingEngine",
    "OrderEvent",
    "VenueError",
    "VenueOrder",
]

STARTING_BALANCES: dict[str, float] = {
    "USDT": 100000.0,
    "USD": 100000.0,
    "BTC": 2.0,
    "ETH": 40.0,
    "SOL": 500.0,
    "XRP": 100000.0,
    "DOGE": 500000.0,
}


class MatchingEngine:
    """Orders of one exchange against its venue books; events go to every listener synchronously."""

    def __init__(self, exchange: str, books: Mapping[str, VenueBook], instruments: Mapping[str, Instrument]) -> None:
        self.exchange = exchange
        self.books = books
        self.instruments = instruments
        self.accounts: dict[str, Account] = {}
        self.listeners: list[Callable[[EngineEvent], None]] = []
        self._ids = itertools.count(1000001)
        self._trade_ids = itertools.count(5000001)
        self._open: dict[int, tuple[Account, VenueOrder]] = {}
        self.faults = OrderFaults()

    def add_account(self, api_key: str, balances: Mapping[str, float] | None = None) -> Account:
        account = Account(api_key, STARTING_BALANCES if balances is None else balances)
        self.accounts[api_key] = account
        return account

    def account(self, api_key: str) -> Account:
        try:
            return self.accounts[api_key]
        except KeyError:
            raise VenueError(ErrorKind.UNKNOWN_ACCOUNT, f"{self.exchange}: unknown api key") from None

    def instrument(self, symbol: str) -> Instrument:
        try:
            return self.instruments[symbol]
        except KeyError:
            raise VenueError(ErrorKind.UNKNOWN_SYMBOL, f"{self.exchange}: unknown symbol {symbol!r}") from None

    def place(
        self,
        api_key: str,
        symbol: str,
        side: Side,
        type: OrderType,
        quantity: float | None = None,
        price: float | None = None,
        time_in_force: TimeInForce = TimeInForce.GTC,
        quote_quantity: float | None = None,
        client_order_id: str | None = None,
        post_only: bool = False,
    ) -> VenueOrder:
        """Validate, lock funds, match what crosses, rest the rest (GTC limits); returns the live order."""
        account = self.account(api_key)
        inst = self.instrument(symbol)
        fault = self.faults.take_reject()
        if fault is not None:
            raise VenueError(fault, f"{symbol}: order refused ({fault}, injected by the venue's fault API)")
        self._validate(inst, side, type, quantity, price, quote_quantity)
        if client_order_id and any(o.client_order_id == client_order_id and o.is_open for o in account.orders.values()):
            raise VenueError(ErrorKind.DUPLICATE_ORDER, f"client order id {client_order_id!r} is already open")
        book = self.books[symbol]
        if post_only and price is not None and self._crosses(book, side, price):
            raise VenueError(ErrorKind.WOULD_TAKE, f"{symbol}: post-only order would immediately match")
        oid = next(self._ids)
        now = now_ms()
        order = VenueOrder(
            order_id=oid,
            client_order_id=client_order_id or f"venue-{oid}",
            symbol=symbol,
            side=side,
            type=type,
            time_in_force=TimeInForce.IOC if type is OrderType.MARKET else time_in_force,
            price=inst.round_price(price) if price is not None else None,
            quantity=inst.round_qty(quantity) if quantity is not None else 0.0,
            quote_quantity=quote_quantity,
            post_only=post_only,
            created=now,
            updated=now,
        )
        self._reserve(account, inst, order, book)
        account.orders[oid] = order
        self.faults.note_accepted(oid)
        self._emit(OrderEvent(api_key, ExecKind.NEW, msgspec.structs.replace(order)))
        if order.time_in_force is TimeInForce.FOK and self._available(book, order) + 1e-12 < order.quantity:
            self._finish(account, inst, order, OrderStatus.EXPIRED, ExecKind.EXPIRED)
            return order
        self._take(account, inst, order, book, cap=self._partial_cap(inst, order, book))
        if order.filled > 0 and order.remaining <= 1e-12:
            order.status = OrderStatus.FILLED
            self._release(account, inst, order)
        elif order.time_in_force is TimeInForce.GTC and order.type is OrderType.LIMIT:
            self._open[oid] = (account, order)
        else:
            self._finish(account, inst, order, OrderStatus.EXPIRED, ExecKind.EXPIRED)
        self._emit_balances(account)
        return order

    def check(
        self,
        api_key: str,
        symbol: str,
        side: Side,
        type: OrderType,
        quantity: float | None = None,
        price: float | None = None,
        quote_quantity: float | None = None,
    ) -> None:
        """The validate-only path (Binance/MEXC order/test, Kraken validate): the order's checks, nothing placed.

        Like the real test endpoints it checks the symbol and the filters, not the balance (funds live in the
        matching engine, which a test order never reaches). An armed reject-next fault refuses it, as it would the
        next real order.
        """
        self.account(api_key)
        fault = self.faults.take_reject()
        if fault is not None:
            raise VenueError(fault, f"{symbol}: test order refused ({fault}, injected by the venue's fault API)")
        self._validate(self.instrument(symbol), side, type, quantity, price, quote_quantity)

    def cancel_all(self, api_key: str, symbol: str | None = None) -> list[VenueOrder]:
        """Cancel every open order of the account (of ``symbol`` only when given); returns them, cancelled."""
        done = []
        for order in self.open_orders(api_key, symbol):
            done.append(self.cancel(api_key, order.symbol, order.order_id))
        return done

    def cancel(
        self, api_key: str, symbol: str, order_id: int | None = None, client_order_id: str | None = None
    ) -> VenueOrder:
        account = self.account(api_key)
        inst = self.instrument(symbol)
        order = self.get_order(api_key, symbol, order_id, client_order_id)
        if not order.is_open:
            raise VenueError(ErrorKind.UNKNOWN_ORDER, f"{symbol}: order {order.order_id} is not open")
        self._open.pop(order.order_id, None)
        self._finish(account, inst, order, OrderStatus.CANCELED, ExecKind.CANCELED)
        self._emit_balances(account)
        return order

    def get_order(
        self, api_key: str, symbol: str, order_id: int | None = None, client_order_id: str | None = None
    ) -> VenueOrder:
        account = self.account(api_key)
        self.instrument(symbol)
        for order in reversed(account.orders.values()):  # a reused client id names its latest order
            if order.symbol != symbol:
                continue
            if (order_id is not None and order.order_id == order_id) or (
                order_id is None and client_order_id is not None and order.client_order_id == client_order_id
            ):
                return order
        raise VenueError(ErrorKind.UNKNOWN_ORDER, f"{symbol}: order {order_id or client_order_id} does not exist")

    def open_orders(self, api_key: str, symbol: str | None = None) -> list[VenueOrder]:
        account = self.account(api_key)
        return [o for o in account.orders.values() if o.is_open and (symbol is None or o.symbol == symbol)]

    def match_resting(self, symbol: str) -> None:
        """Fill resting orders of ``symbol`` that the book now crosses, at their own (maker) price."""
        for oid, (account, order) in list(self._open.items()):
            if order.symbol != symbol or not order.is_open:
                continue
            inst = self.instruments[symbol]
            if not self._crosses(self.books[symbol], order.side, order.price or 0.0):
                continue
            self._take(account, inst, order, self.books[symbol], maker=True)
            if order.remaining <= 1e-12:
                order.status = OrderStatus.FILLED
                self._release(account, inst, order)
                self._open.pop(oid, None)
            self._emit_balances(account)

    # ------------------------------------------------------------------ internals

    def _validate(
        self,
        inst: Instrument,
        side: Side,
        type: OrderType,
        quantity: float | None,
        price: float | None,
        quote_quantity: float | None,
    ) -> None:
        sym = inst.symbol
        if type is OrderType.LIMIT and (price is None or price <= 0):
            raise VenueError(ErrorKind.INVALID, f"{sym}: a limit order needs a positive price")
        if quote_quantity is not None:
            if type is not OrderType.MARKET or side is not Side.BUY:
                raise VenueError(ErrorKind.INVALID, f"{sym}: a quote quantity is only for market buys")
            if quote_quantity < inst.min_notional:
                raise VenueError(ErrorKind.MIN_NOTIONAL, f"{sym}: notional below {inst.min_notional}")
            return
        if quantity is None or quantity <= 0:
            raise VenueError(ErrorKind.INVALID, f"{sym}: quantity must be positive")
        if price is not None and not inst.on_tick(price):
            raise VenueError(ErrorKind.PRECISION, f"{sym}: price {price} is not a multiple of tick {inst.tick_size}")
        if not inst.on_step(quantity):
            raise VenueError(
                ErrorKind.PRECISION, f"{sym}: quantity {quantity} is not a multiple of step {inst.step_size}"
            )
        if quantity + 1e-12 < inst.min_qty:
            raise VenueError(ErrorKind.MIN_QTY, f"{sym}: quantity {quantity} below minimum {inst.min_qty}")
        ref = price if price is not None else self._touch(inst.symbol, side)
        if ref is not None and quantity * ref + 1e-9 < inst.min_notional:
            raise VenueError(ErrorKind.MIN_NOTIONAL, f"{sym}: notional {quantity * ref:.8f} below {inst.min_notional}")

    def _touch(self, symbol: str, side: Side) -> float | None:
        book = self.books[symbol]
        return book.best_ask if side is Side.BUY else book.best_bid

    @staticmethod
    def _crosses(book: VenueBook, side: Side, price: float) -> bool:
        if side is Side.BUY:
            best = book.best_ask
            return best is not None and best <= price
        best = book.best_bid
        return best is not None and best >= price

    def _reserve(self, account: Account, inst: Instrument, order: VenueOrder, book: VenueBook) -> None:
        if order.side is Side.SELL:
            need, asset = order.quantity, inst.base
        elif order.quote_quantity is not None:
            need, asset = order.quote_quantity, inst.quote
        elif order.price is not None:
            need, asset = order.quantity * order.price, inst.quote
        else:
            need, asset = self._cost(book, order.quantity), inst.quote
        if account.balance(asset).free + 1e-9 < need:
            raise VenueError(ErrorKind.INSUFFICIENT_FUNDS, f"{inst.symbol}: needs {need:.8f} {asset}")
        order.locked = need
        account.move(asset, free=-need, locked=need)

    @staticmethod
    def _cost(book: VenueBook, qty: float) -> float:
        cost, left = 0.0, qty
        for price, size in book.sorted_asks():
            take = min(size, left)
            cost += take * price
            left -= take
            if left <= 1e-12:
                break
        return cost

    def _available(self, book: VenueBook, order: VenueOrder) -> float:
        levels = book.sorted_asks() if order.side is Side.BUY else book.sorted_bids()
        total = 0.0
        for price, size in levels:
            if order.price is not None and (price > order.price if order.side is Side.BUY else price < order.price):
                break
            total += size
        return total

    def _partial_cap(self, inst: Instrument, order: VenueOrder, book: VenueBook) -> float | None:
        """The partial-fill fault: an IOC (or market) order by quantity fills only a fraction of what it could."""
        if order.time_in_force is not TimeInForce.IOC or order.quote_quantity is not None:
            return None
        fraction = self.faults.take_partial()
        if fraction is None:
            return None
        return _floor_step(min(order.quantity, self._available(book, order)) * fraction, inst)

    def _take(
        self,
        account: Account,
        inst: Instrument,
        order: VenueOrder,
        book: VenueBook,
        maker: bool = False,
        cap: float | None = None,
    ) -> None:
        """Fill ``order`` against the book's levels (at most ``cap`` in all when given)."""
        buy = order.side is Side.BUY
        levels = book.sorted_asks() if buy else book.sorted_bids()
        consumed: list[tuple[float, float]] = []
        left = order.quantity if cap is None else cap
        for level_price, size in levels:
            if order.price is not None and (level_price > order.price if buy else level_price < order.price):
                break
            price = order.price if maker and order.price is not None else level_price
            if order.quote_quantity is not None:
                budget = order.locked
                qty = min(size, _floor_step(budget / price, inst))
            else:
                qty = min(size, inst.round_qty(order.quantity - order.filled), inst.round_qty(left))
            if qty <= 0:
                break
            left -= qty
            consumed.append((level_price, size - qty))
            self._fill(account, inst, order, price, qty, maker)
            if qty < size:
                break
        if consumed:
            delta = book.apply([] if buy else consumed, consumed if buy else [])
            self._emit(BookChange(inst.symbol, delta))

    def _fill(
        self, account: Account, inst: Instrument, order: VenueOrder, price: float, qty: float, maker: bool
    ) -> None:
        now = now_ms()
        quote = qty * price
        rate = inst.maker_fee if maker else inst.taker_fee
        if order.side is Side.BUY:
            release = quote if order.price is None else qty * order.price
            release = min(release, order.locked)
            order.locked = clean_amount(order.locked - release)
            account.move(inst.quote, free=release - quote, locked=-release)
            fee, fee_asset = qty * rate, inst.base
            account.move(inst.base, free=qty - fee)
        else:
            order.locked = clean_amount(order.locked - qty)
            account.move(inst.base, locked=-qty)
            fee, fee_asset = quote * rate, inst.quote
            account.move(inst.quote, free=quote - fee)
        order.filled = inst.round_qty(order.filled + qty)
        order.quote_filled += quote
        order.fee += fee
        order.fee_asset = fee_asset
        order.updated = now
        if order.quote_quantity is not None:
            order.quantity = order.filled
        order.status = OrderStatus.FILLED if order.remaining <= 1e-12 else OrderStatus.PARTIALLY_FILLED
        fill = Fill(
            next(self._trade_ids),
            order.order_id,
            inst.symbol,
            order.side,
            price,
            qty,
            quote,
            fee,
            fee_asset,
            maker,
            now,
        )
        account.fills.append(fill)
        self._emit(OrderEvent(account.api_key, ExecKind.TRADE, msgspec.structs.replace(order), fill))

    def _finish(
        self, account: Account, inst: Instrument, order: VenueOrder, status: OrderStatus, kind: ExecKind
    ) -> None:
        """Close an order: release what it still locks and tell the listeners."""
        self._release(account, inst, order)
        order.status = status
        order.updated = now_ms()
        self._emit(OrderEvent(account.api_key, kind, msgspec.structs.replace(order)))

    @staticmethod
    def _release(account: Account, inst: Instrument, order: VenueOrder) -> None:
        if order.locked > 0:
            asset = inst.base if order.side is Side.SELL else inst.quote
            account.move(asset, free=order.locked, locked=-order.locked)
            order.locked = 0.0

    def _emit_balances(self, account: Account) -> None:
        changed = account.pop_touched()
        if changed:
            self._emit(BalanceEvent(account.api_key, changed, now_ms()))

    def _emit(self, event: EngineEvent) -> None:
        for listener in self.listeners:
            listener(event)


def _floor_step(qty: float, inst: Instrument) -> float:
    units = int(qty / inst.step_size + 1e-9)
    return inst.round_qty(units * inst.step_size)
