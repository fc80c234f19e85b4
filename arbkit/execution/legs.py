"""One IOC leg on one venue: send, and when the answer is unclear, look it up by client id before anything else.

``send_leg(backend, journal, row, symbol, timeout_s)`` takes an order already written to the journal (status
``pending``), sends it, and returns a ``LegResult`` whose order is final. The path after an unclear outcome
(timeout, dropped acknowledgement, network error) is: look the client id up (repeatedly, over two more timeouts,
so an order the exchange acts on late is still found); if it is found and still open, cancel it and query again;
if the exchange never received it the leg is UNFILLED (``missing``); if the lookups themselves fail the leg stays
UNKNOWN. Nothing is ever resent here.
"""

from __future__ import annotations

import asyncio
import logging

import msgspec

from arbkit.errors import (
    AuthenticationError,
    BaseExchangeError,
    InsufficientFundsError,
    InvalidOrderError,
    RateLimitError,
)
from arbkit.execution.backend import OrderBackend
from arbkit.execution.journal import Journal, OrderRow, now_ms
from arbkit.execution.machine import LegOutcome, outcome_of
from arbkit.execution.wire import released
from arbkit.structs import Order, Side, Symbol

__all__ = ["LOOKUPS", "LegResult", "dispatch", "fee_in_quote", "recover_order", "send_leg"]

log = logging.getLogger(__name__)

LOOKUPS = 5  # lookups by client id after an unclear outcome, half a leg timeout apart (two timeouts in all)
DEFINITE = (InvalidOrderError, InsufficientFundsError, AuthenticationError, RateLimitError)


class LegResult(msgspec.Struct, frozen=True):
    """The leg's final journal row and its outcome."""

    row: OrderRow
    outcome: LegOutcome

    @property
    def filled(self) -> float:
        return self.row.filled


def fee_in_quote(order: Order, taker_fee: float) -> float:
    """The order's fee in the quote asset: as reported (a base-asset fee valued at the fill price), else the
    taker rate on the filled value (what the exchange charges when its answer carries no fee)."""
    price = order.average_price or order.price or 0.0
    if order.fee_cost is not None and order.fee_asset:
        if order.fee_asset == str(order.symbol.quote):
            return order.fee_cost
        if order.fee_asset == str(order.symbol.base):
            return order.fee_cost * price
    return order.filled * price * taker_fee


def dispatch(backend: OrderBackend, row: OrderRow, symbol: Symbol, guarded: bool = True) -> asyncio.Task[Order]:
    """Start sending the journaled order ``row`` now, as its own task: the executor starts both legs' tasks one
    after the other so they run back to back in the next loop iteration, before anything else queued."""
    coro = backend.place_ioc(symbol, Side(row.side), row.quantity, row.price, row.client_order_id, guarded=guarded)
    return asyncio.get_running_loop().create_task(released(coro), name=f"leg-{row.client_order_id}")


async def send_leg(
    backend: OrderBackend,
    journal: Journal,
    row: OrderRow,
    symbol: Symbol,
    timeout_s: float,
    taker_fee: float,
    guarded: bool = True,
    placing: asyncio.Task[Order] | None = None,
) -> LegResult:
    """Send the journaled order ``row`` as an IOC (or follow ``placing``, its ``dispatch`` task) and bring it to a
    final, journaled state. ``guarded``: with the exchange's staleness guard (the two legs; a hedge reduces
    exposure, so a late one is still wanted)."""
    if placing is None:
        placing = dispatch(backend, row, symbol, guarded)
    try:
        order = await asyncio.wait_for(placing, timeout_s)  # a task: waited on as is, cancelled at the timeout
    except DEFINITE as exc:
        final = journal.update_order(row.client_order_id, status="rejected", error=_line(exc), updated_ms=now_ms())
        return LegResult(final, LegOutcome.REJECTED)
    except (TimeoutError, BaseExchangeError) as exc:
        what = "timeout" if isinstance(exc, TimeoutError) else _line(exc)
        journal.update_order(row.client_order_id, status="unknown", error=what, updated_ms=now_ms())
        log.warning("%s %s: unclear outcome (%s); looking it up by client id", backend.name, row.client_order_id, what)
        return await _resolve(backend, journal, row, symbol, timeout_s, taker_fee)
    acked = now_ms()
    if not order.status.is_final:  # an IOC the exchange acknowledged before matching: wait, then cancel
        order = await _finish_open(backend, symbol, order, timeout_s)
    return await _record(backend, journal, row, order, taker_fee, acked)


async def _finish_open(backend: OrderBackend, symbol: Symbol, order: Order, timeout_s: float) -> Order:
    """Query an acknowledged but not yet final order by its exchange id until final; at the timeout cancel it."""
    loop = asyncio.get_running_loop()  # the loop's clock: simulated time in a replay
    deadline = loop.time() + timeout_s
    while True:
        current = await backend.get_order(symbol, order.order_id)
        if current.status.is_final:
            return current
        if loop.time() >= deadline:
            break
        await asyncio.sleep(min(0.02, timeout_s / 10))
    await backend.cancel(symbol, order.order_id)
    return await backend.get_order(symbol, order.order_id)


async def _resolve(
    backend: OrderBackend, journal: Journal, row: OrderRow, symbol: Symbol, timeout_s: float, taker_fee: float
) -> LegResult:
    """Look the order up by client id; cancel it if still open; never resend."""
    failures = 0
    for attempt in range(LOOKUPS):
        try:
            found = await asyncio.wait_for(backend.find_order(symbol, row.client_order_id), timeout_s)
        except (TimeoutError, BaseExchangeError) as exc:
            failures += 1
            log.warning("%s %s: lookup failed (%s)", backend.name, row.client_order_id, _line(exc))
            found = None
        else:
            if found is not None:
                if not found.status.is_final:
                    await backend.cancel(symbol, found.order_id)
                    found = await backend.find_order(symbol, row.client_order_id) or found
                return await _record(backend, journal, row, found, taker_fee, now_ms())
        if attempt + 1 < LOOKUPS:
            await asyncio.sleep(timeout_s / 2)
    if failures == LOOKUPS:  # never got an answer: the position cannot be known
        final = journal.update_order(row.client_order_id, status="unknown", updated_ms=now_ms())
        return LegResult(final, LegOutcome.UNKNOWN)
    final = journal.update_order(row.client_order_id, status="missing", updated_ms=now_ms())
    return LegResult(final, LegOutcome.UNFILLED)


async def recover_order(
    backend: OrderBackend, journal: Journal, row: OrderRow, symbol: Symbol, timeout_s: float, taker_fee: float
) -> LegResult:
    """A journaled order whose outcome was never recorded (e.g. the process died): look it up, never resend."""
    return await _resolve(backend, journal, row, symbol, timeout_s, taker_fee)


async def _record(
    backend: OrderBackend, journal: Journal, row: OrderRow, order: Order, taker_fee: float, acked: int
) -> LegResult:
    """Journal the final order; when the answer lacks the average price or the fee, they come from the
    exchange's trade history (the fills actually received), never from the limit price."""
    status = order.status.value
    average, fee = order.average_price, fee_in_quote(order, taker_fee)
    exact_fee = order.fee_cost is not None and order.fee_asset in (str(order.symbol.base), str(order.symbol.quote))
    if order.filled > 0 and (average is None or not exact_fee):
        try:
            fills = await backend.order_fills(Symbol.parse(row.symbol), order.order_id, row.created_ms - 60_000)
        except BaseExchangeError as exc:
            log.warning("%s %s: trade history unavailable (%s)", backend.name, row.client_order_id, _line(exc))
            fills = []
        quantity = sum(f.quantity for f in fills)
        if fills and abs(quantity - order.filled) <= 1e-9 * max(order.filled, 1.0):
            average = sum(f.price * f.quantity for f in fills) / quantity
            fee = sum(f.fee_quote for f in fills)
    if average is None and order.filled > 0:  # no history either: the limit is the worst it can have been
        average = order.price
    final = journal.update_order(
        row.client_order_id,
        exchange_order_id=order.order_id,
        status=status,
        filled=order.filled,
        average_price=average if order.filled > 0 else None,
        fee_quote=fee,
        acked_ms=acked,
        updated_ms=now_ms(),
    )
    return LegResult(final, outcome_of(order.filled, row.quantity, rejected=status == "rejected"))


def _line(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
