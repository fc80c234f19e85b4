"""Check an order's inputs against a market's precision and limits before it is sent, with a one-line error.

Nothing is changed behind the caller's back: a price off the tick or a quantity off the step is refused with the
nearest valid values, unless the caller asks for ``rounding``. The check is exact (``Decimal``): a float is read as
the decimal it stands for (its 15 significant digits, the precision every float carries), so ``0.1 + 0.2`` is 0.3
while 53994.60333 at tick 0.1 and 600000.5 at step 1 are off the grid whatever their size.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, TypeVar

import msgspec

from arbkit.errors import InvalidOrderError
from arbkit.structs import OrderType, Side, Symbol, SymbolInfo

__all__ = [
    "CheckedOrder",
    "Rounding",
    "check_order",
    "check_order_id",
    "decimal_of",
    "parse_enum",
    "parse_symbol",
    "text",
]

E = TypeVar("E", bound=StrEnum)
_ROUND = {"down": ROUND_FLOOR, "up": ROUND_CEILING, "nearest": ROUND_HALF_EVEN}
# order ids travel in URL paths (gate) and queries: only URL-unreserved characters, so escaping leaves them as they are
_ORDER_ID = re.compile(r"^[A-Za-z0-9._~-]{1,64}$")


class Rounding(StrEnum):
    """How an off-grid price or quantity is brought onto the grid when the caller asks for it."""

    DOWN = "down"
    UP = "up"
    NEAREST = "nearest"


class CheckedOrder(msgspec.Struct, frozen=True):
    """An order's inputs after the checks: exact decimals on the market's grid, as they are to be sent."""

    symbol: Symbol
    side: Side
    order_type: OrderType
    quantity: Decimal
    price: Decimal | None = None


def _fail(exchange: str, where: str, problem: str) -> InvalidOrderError:
    return InvalidOrderError(None, f"{where}: {problem}" if where else problem, exchange=exchange)


def parse_symbol(exchange: str, value: object) -> Symbol:
    """A ``BASE/QUOTE`` symbol, or InvalidOrderError naming the field."""
    if isinstance(value, Symbol):
        return value
    if not isinstance(value, str):
        raise _fail(exchange, "", f"symbol must be a string such as 'BTC/USDT', got {type(value).__name__} {value!r}")
    try:
        return Symbol.parse(value)
    except ValueError:
        raise _fail(exchange, "", f"symbol {value!r} is malformed: expected BASE/QUOTE such as BTC/USDT") from None


def parse_enum(exchange: str, where: str, field: str, value: object, kind: type[E]) -> E:
    """A member of ``kind`` (its value in any case), or InvalidOrderError listing the valid ones."""
    if isinstance(value, kind):
        return value
    if isinstance(value, str):
        for member in kind:
            if member.value.lower() == value.strip().lower():
                return member
    valid = ", ".join(repr(m.value) for m in kind)
    raise _fail(exchange, where, f"{field} {value!r} is not valid (expected one of {valid})")


def decimal_of(exchange: str, where: str, field: str, value: object) -> Decimal:
    """A finite number as the exact decimal it stands for; InvalidOrderError for strings, bools, NaN or infinity."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise _fail(exchange, where, f"{field} must be a number, got {type(value).__name__} {value!r}")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _fail(exchange, where, f"{field} must be a finite number, got {value}")
        return Decimal(f"{value:.15g}")
    number = Decimal(value)
    if not number.is_finite():
        raise _fail(exchange, where, f"{field} must be a finite number, got {value}")
    return number


def _increment(value: float) -> Decimal:
    return Decimal(f"{value:.15g}")


def text(value: Decimal) -> str:
    """A decimal in plain notation without trailing zeros (``53994.6``, ``600000``)."""
    return format(value.normalize(), "f")


def _on_grid(
    exchange: str, where: str, field: str, value: Decimal, step: float, rounding: Rounding | None, grid: str
) -> Decimal:
    """``value`` if it is a multiple of ``step``; rounded when asked; otherwise an error with the nearest values."""
    if step <= 0:
        return value
    unit = _increment(step)
    try:
        units = value / unit
    except InvalidOperation:  # pragma: no cover - unit is positive and finite
        raise _fail(exchange, where, f"{field} {value} cannot be checked against {grid} {unit}") from None
    if units == units.to_integral_value():
        return value
    if rounding is not None:
        return units.to_integral_value(_ROUND[rounding.value]) * unit
    below = units.to_integral_value(ROUND_FLOOR) * unit
    above = units.to_integral_value(ROUND_CEILING) * unit
    raise _fail(
        exchange,
        where,
        f"{field} {text(value)} is not a multiple of the {grid} {text(unit)} (nearest valid: {text(below)} or "
        f"{text(above)}; "
        "pass rounding='down', 'up' or 'nearest' to round)",
    )


def check_order(
    info: SymbolInfo,
    side: Side,
    quantity: Any,
    price: Any,
    *,
    order_type: OrderType | None = None,
    rounding: Rounding | str | None = None,
) -> CheckedOrder:
    """Validate (and, only when ``rounding`` is given, round) an order's quantity and price; the values to send.

    ``price`` None means a market order. Raises InvalidOrderError naming exchange, symbol, side and field.
    """
    exchange = info.exchange
    where = f"{info.symbol} {side}"
    kind = order_type or (OrderType.MARKET if price is None else OrderType.LIMIT)
    mode = None if rounding is None else parse_enum(exchange, where, "rounding", rounding, Rounding)
    qty = decimal_of(exchange, where, "quantity", quantity)
    if qty <= 0:
        raise _fail(exchange, where, f"quantity must be positive, got {quantity}")
    px: Decimal | None = None
    if kind is OrderType.LIMIT:
        if price is None:
            raise _fail(exchange, where, "price is required for a limit order")
        px = decimal_of(exchange, where, "price", price)
        if px <= 0:
            raise _fail(exchange, where, f"price must be positive, got {price}")
        px = _on_grid(exchange, where, "price", px, info.tick_size, mode, "tick size")
        if px <= 0:
            raise _fail(
                exchange, where, f"price {price} rounds to 0 at the tick size {text(_increment(info.tick_size))}"
            )
    qty = _on_grid(exchange, where, "quantity", qty, info.step_size, mode, "step size")
    minimum = _increment(info.min_quantity) if info.min_quantity > 0 else Decimal(0)
    if qty <= 0 or qty < minimum:
        raise _fail(exchange, where, f"quantity {text(qty)} is below the minimum {text(minimum)}")
    if px is not None and info.min_notional and qty * px < _increment(info.min_notional):
        notional, floor = text(qty * px), text(_increment(info.min_notional))
        raise _fail(exchange, where, f"notional {notional} is below the minimum {floor}")
    return CheckedOrder(info.symbol, side, kind, qty, px)


def check_order_id(exchange: str, symbol: Symbol, order_id: object, field: str = "order_id") -> str:
    """An order id safe to put in a URL path or query unchanged (so escaping is a no-op); InvalidOrderError before
    any request otherwise."""
    where = f"{symbol} order"
    if not isinstance(order_id, str):
        raise _fail(exchange, where, f"{field} must be a string, got {type(order_id).__name__} {order_id!r}")
    if not _ORDER_ID.match(order_id) or set(order_id) == {"."}:
        raise _fail(exchange, where, f"{field} {order_id!r} is malformed (expected 1-64 letters, digits or . _ ~ -)")
    return order_id
