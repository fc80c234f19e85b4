"""From a checked order to ccxt's ``create_order`` arguments, so the wire carries exactly the validated values.

ccxt formats amounts and prices itself (``amount_to_precision`` truncates, ``price_to_precision`` rounds): the
values are run through the same formatting first and refused if it would change them. Exchanges whose market buys
are sized in the quote currency (Gate.io: ccxt's ``createMarketBuyOrderRequiresPrice``) get the quote cost of the
asked quantity, priced by walking the asks of a fresh REST order book and rounded up to ccxt's cost precision (so
ccxt's truncation never buys less); if the book moves before the order lands, the fill differs accordingly, and the
Order returned (and ``get_order``) shows what was filled.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal
from typing import TYPE_CHECKING, Any

import ccxt
import msgspec

from arbkit.errors import InvalidOrderError
from arbkit.exchanges import convert
from arbkit.exchanges.order_checks import CheckedOrder, Rounding, check_order, parse_enum, parse_symbol, text
from arbkit.structs import Order, OrderType, Side

if TYPE_CHECKING:
    from arbkit.exchanges.components import CcxtHandle

__all__ = ["buys_in_quote", "market_buy_cost", "market_params", "prepare", "submit", "wire_values"]


async def prepare(
    handle: CcxtHandle,
    symbol: Any,
    side: Any,
    kind: OrderType,
    quantity: Any,
    price: Any,
    rounding: Rounding | str | None,
) -> CheckedOrder:
    """Parse symbol and side, then check quantity and price against the market (see ``order_checks``)."""
    name = handle.name
    parsed = parse_symbol(name, symbol)
    chosen = parse_enum(name, str(parsed), "side", side, Side)
    info = handle.symbol_info(await handle.market(parsed))
    return check_order(info, chosen, quantity, price, order_type=kind, rounding=rounding)


async def submit(handle: CcxtHandle, checked: CheckedOrder, params: dict[str, Any]) -> Order:
    """Create the order with exactly the checked values; the Order returned shows what was placed."""
    amount, price = wire_values(handle.name, handle.client, checked)
    kind, side, sym = checked.order_type.value, checked.side.value, str(checked.symbol)
    action = f"{kind} {side} {text(checked.quantity)} {sym}"
    if checked.price is not None:
        action += f" @ {text(checked.price)}"
    raw = await handle.call(action, handle.client.create_order(sym, kind, side, amount, price, params))
    order = convert.order(handle.name, raw)
    if not order.quantity and "cost" not in params:  # an ack without the amount (some venues): it is what was sent
        order = msgspec.structs.replace(order, quantity=amount)
    if order.price is None and price is not None:
        order = msgspec.structs.replace(order, price=price)
    return order


def _formatted(exchange: str, where: str, field: str, fmt: Any, symbol: str, value: Decimal) -> float:
    """``value`` as the float ccxt gets, once ccxt's own formatting of it is known to leave it unchanged."""
    number = float(value)
    try:
        sent = fmt(symbol, number)
    except ccxt.BaseError as exc:
        raise InvalidOrderError(None, f"{where}: {field} {text(value)} refused by ccxt: {exc}", exchange) from None
    if Decimal(str(sent)) != value:
        raise InvalidOrderError(
            None, f"{where}: {field} {text(value)} would be sent as {sent} by ccxt; refusing to change it", exchange
        )
    return number


def wire_values(exchange: str, client: Any, order: CheckedOrder) -> tuple[float, float | None]:
    """(amount, price) to pass ccxt for ``order``, each checked to reach the wire unchanged."""
    where, symbol = f"{order.symbol} {order.side}", str(order.symbol)
    amount = _formatted(exchange, where, "quantity", client.amount_to_precision, symbol, order.quantity)
    if order.price is None:
        return amount, None
    return amount, _formatted(exchange, where, "price", client.price_to_precision, symbol, order.price)


async def market_params(handle: CcxtHandle, order: CheckedOrder) -> dict[str, Any]:
    """ccxt params of a market order: the quote ``cost`` where the exchange sizes market buys in quote units."""
    if not buys_in_quote(handle.client, order):
        return {}
    market = await handle.market(order.symbol)
    book = await handle.call(f"order book {order.symbol}", handle.client.fetch_order_book(str(order.symbol)))
    cost = market_buy_cost(handle.name, order, book["asks"])
    step = _cost_increment(handle.client, market)
    if step > 0:  # ccxt truncates the cost to its precision: round up instead, so it still buys the whole quantity
        cost = (cost / step).to_integral_value(ROUND_CEILING) * step
    return {"cost": float(cost)}


def _cost_increment(client: Any, market: dict[str, Any]) -> Decimal:
    """The grid ccxt formats a quote cost to (its cost precision, else the price precision)."""
    precision = market.get("precision") or {}
    raw = precision.get("cost") or precision.get("price")
    if raw is None:
        return Decimal(0)
    if client.precisionMode == ccxt.DECIMAL_PLACES:
        return Decimal(1).scaleb(-int(raw))
    return Decimal(str(raw))


def buys_in_quote(client: Any, order: CheckedOrder) -> bool:
    """Whether this exchange sizes ``order`` (a market buy) in the quote currency, as Gate.io does."""
    wants_cost = bool((getattr(client, "options", None) or {}).get("createMarketBuyOrderRequiresPrice"))
    return wants_cost and order.order_type is OrderType.MARKET and order.side is Side.BUY


def market_buy_cost(exchange: str, order: CheckedOrder, asks: list[list[Any]]) -> Decimal:
    """The quote cost of buying ``order.quantity`` by walking ``asks`` (best first); an error if they are too thin."""
    wanted, cost = order.quantity, Decimal(0)
    for level in asks:
        price, size = Decimal(str(level[0])), Decimal(str(level[1]))
        take = min(size, wanted)
        cost += take * price
        wanted -= take
        if wanted <= 0:
            return cost
    raise InvalidOrderError(
        None,
        f"{order.symbol} buy: the book's asks hold less than {text(order.quantity)} to price a market buy "
        f"(this exchange sizes market buys in {order.symbol.quote})",
        exchange,
    )
