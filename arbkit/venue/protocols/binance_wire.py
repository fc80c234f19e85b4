"""Binance spot wire shapes on the local venue: status/error tables, request checks and JSON payload builders.

Shapes follow what ccxt 4.5.90 (ccxt/binance.py, ccxt/pro/binance.py) parses; errors use Binance's codes.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from arbkit.structs import OrderStatus, OrderType
from arbkit.venue.book import VenueBook
from arbkit.venue.engine import ErrorKind, ExecKind, VenueError, VenueOrder
from arbkit.venue.instruments import Instrument
from arbkit.venue.market import PublicTrade
from arbkit.venue.protocols.hmac_query import Reject, SymbolNames, fmt, in_recv_window, int_param, optional_number

__all__ = [
    "EXEC",
    "STATUS",
    "agg_json",
    "check_timestamp",
    "illegal_integer",
    "instrument_of",
    "integer",
    "number",
    "order_json",
    "order_kind",
    "reject_of",
    "symbol_info",
    "top_json",
]

STATUS = {
    OrderStatus.OPEN: "NEW",
    OrderStatus.PARTIALLY_FILLED: "PARTIALLY_FILLED",
    OrderStatus.FILLED: "FILLED",
    OrderStatus.CANCELED: "CANCELED",
    OrderStatus.EXPIRED: "EXPIRED",
    OrderStatus.REJECTED: "REJECTED",
}
EXEC = {ExecKind.NEW: "NEW", ExecKind.TRADE: "TRADE", ExecKind.CANCELED: "CANCELED", ExecKind.EXPIRED: "EXPIRED"}
# engine error -> (HTTP status, Binance code, message)
_ERRORS: dict[ErrorKind, tuple[int, int, str]] = {
    ErrorKind.UNKNOWN_SYMBOL: (400, -1121, "Invalid symbol."),
    ErrorKind.PRECISION: (400, -1013, "Filter failure: LOT_SIZE"),
    ErrorKind.MIN_QTY: (400, -1013, "Filter failure: LOT_SIZE"),
    ErrorKind.MIN_NOTIONAL: (400, -1013, "Filter failure: NOTIONAL"),
    ErrorKind.INSUFFICIENT_FUNDS: (400, -2010, "Account has insufficient balance for requested action."),
    ErrorKind.UNKNOWN_ORDER: (400, -2013, "Order does not exist."),
    ErrorKind.UNKNOWN_ACCOUNT: (401, -2015, "Invalid API-key, IP, or permissions for action."),
    ErrorKind.INVALID: (400, -1102, "Mandatory parameter was not sent, was empty/null, or malformed."),
    ErrorKind.WOULD_TAKE: (400, -2010, "Order would immediately match and take."),
    ErrorKind.DUPLICATE_ORDER: (400, -2010, "Duplicate order sent."),
    ErrorKind.RATE_LIMIT: (429, -1015, "Too many new orders; current limit is 100 orders per 10 SECOND."),
}


def reject_of(exc: VenueError, request: web.Request) -> Reject:
    """The Binance answer to an engine refusal (an unknown order on DELETE is -2011, as on the real exchange)."""
    status, code, msg = _ERRORS.get(exc.kind, (400, -1000, "An unknown error occurred while processing the request."))
    if exc.kind is ErrorKind.PRECISION and "price" in exc.message.lower():
        msg = "Filter failure: PRICE_FILTER"
    if exc.kind is ErrorKind.UNKNOWN_ORDER and request.method == "DELETE":
        code, msg = -2011, "Unknown order sent."
    if exc.kind is ErrorKind.INVALID:
        msg = f"{msg} ({exc.message})"
    return Reject(code, msg, status)


def check_timestamp(params: dict[str, str]) -> None:
    """Reject a signed request without a valid ``timestamp``, with a ``recvWindow`` that is not an integer up to
    60000, or outside its ``recvWindow``."""
    window = params.get("recvWindow")
    if window is not None:
        if not (window.isascii() and window.isdigit() and len(window) <= 20):
            raise Reject(-1100, "Illegal characters found in parameter 'recvWindow'; legal range is '^[0-9]{1,20}$'.")
        if int(window) > 60_000:
            raise Reject(-1131, "recvWindow must be less than 60000.")
    try:
        fresh = in_recv_window(params)
    except (KeyError, ValueError):
        raise Reject(-1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.") from None
    if not fresh:
        raise Reject(-1021, "Timestamp for this request is outside of the recvWindow.")


def _invalid_number(key: str) -> Reject:
    return Reject(
        -1100, f"Illegal characters found in parameter '{key}'; legal range is '^([0-9]{{1,20}})(\\.[0-9]{{1,20}})?$'."
    )


def illegal_integer(key: str) -> Reject:
    """Binance's answer to an integer parameter (an order id, a limit) that is not one."""
    return Reject(-1100, f"Illegal characters found in parameter '{key}'; legal range is '^[0-9]{{1,20}}$'.")


def integer(params: dict[str, str], key: str, default: int | None) -> int | None:
    """An optional integer parameter (``default`` when absent); Binance's -1100 when it is not one."""
    return int_param(params, key, default, illegal_integer)


def number(params: dict[str, str], key: str) -> float | None:
    """An optional numeric parameter; Binance's -1100 when it is not a number."""
    return optional_number(params, key, _invalid_number)


def instrument_of(names: SymbolNames, params: dict[str, str]) -> Instrument:
    """The instrument named by the ``symbol`` parameter, or Binance's -1102 / -1121."""
    wire = params.get("symbol")
    if not wire:
        raise Reject(-1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.")
    inst = names.find(wire)
    if inst is None:
        raise Reject(-1121, "Invalid symbol.")
    return inst


def order_kind(o: VenueOrder) -> str:
    """Binance's order type of a venue order."""
    return "LIMIT_MAKER" if o.post_only else ("MARKET" if o.type is OrderType.MARKET else "LIMIT")


def order_json(wire: str, o: VenueOrder, inst: Instrument) -> dict[str, Any]:
    """An order as GET /api/v3/order answers it."""
    pd, qd = inst.price_decimals, inst.qty_decimals
    return {
        "symbol": wire,
        "orderId": o.order_id,
        "orderListId": -1,
        "clientOrderId": o.client_order_id,
        "price": fmt(o.price, pd),
        "origQty": fmt(o.quantity, qd),
        "executedQty": fmt(o.filled, qd),
        "cummulativeQuoteQty": fmt(o.quote_filled),
        "status": STATUS[o.status],
        "timeInForce": "GTC" if o.type is OrderType.MARKET else o.time_in_force.value,
        "type": order_kind(o),
        "side": o.side.value.upper(),
        "stopPrice": fmt(0),
        "icebergQty": fmt(0),
        "time": o.created,
        "updateTime": o.updated,
        "isWorking": True,
        "workingTime": o.created,
        "origQuoteOrderQty": fmt(o.quote_quantity),
        "selfTradePreventionMode": "EXPIRE_MAKER",
    }


def top_json(wire: str, inst: Instrument, book: VenueBook, seq: int | None = None) -> dict[str, Any]:
    """Best bid/ask: the REST bookTicker shape, or the ``@bookTicker`` stream shape when ``seq`` is given."""
    bid = (book.sorted_bids(1) or [(0.0, 0.0)])[0]
    ask = (book.sorted_asks(1) or [(0.0, 0.0)])[0]
    pd, qd = inst.price_decimals, inst.qty_decimals
    top = {"symbol": wire, "bidPrice": fmt(bid[0], pd), "bidQty": fmt(bid[1], qd)}
    top.update({"askPrice": fmt(ask[0], pd), "askQty": fmt(ask[1], qd)})
    if seq is not None:
        return {
            "u": seq,
            "s": top["symbol"],
            "b": top["bidPrice"],
            "B": top["bidQty"],
            "a": top["askPrice"],
            "A": top["askQty"],
        }
    return top


def agg_json(inst: Instrument, t: PublicTrade) -> dict[str, Any]:
    """A public trade as an aggregate trade (REST aggTrades and the ``@aggTrade`` stream)."""
    return {"a": t.trade_id, "p": fmt(t.price, inst.price_decimals), "q": fmt(t.qty, inst.qty_decimals),
            "f": t.trade_id, "l": t.trade_id, "T": t.timestamp, "m": t.side == "sell", "M": True}  # fmt: skip


def symbol_info(wire: str, inst: Instrument) -> dict[str, Any]:
    """One entry of exchangeInfo ``symbols``, with the filters ccxt reads precision and limits from."""
    pd, qd = inst.price_decimals, inst.qty_decimals
    big = "9000000.00000000"
    tick, step = fmt(inst.tick_size, pd), fmt(inst.step_size, qd)
    filters = [
        {"filterType": "PRICE_FILTER", "minPrice": tick, "maxPrice": big, "tickSize": tick},
        {"filterType": "LOT_SIZE", "minQty": fmt(inst.min_qty, qd), "maxQty": big, "stepSize": step},
        {"filterType": "MARKET_LOT_SIZE", "minQty": fmt(0), "maxQty": big, "stepSize": fmt(0)},
        {"filterType": "NOTIONAL", "minNotional": fmt(inst.min_notional), "applyMinToMarket": True,
         "maxNotional": big, "applyMaxToMarket": False, "avgPriceMins": 5},
    ]  # fmt: skip
    return {
        "symbol": wire,
        "status": "TRADING",
        "baseAsset": inst.base,
        "baseAssetPrecision": 8,
        "quoteAsset": inst.quote,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET"],
        "icebergAllowed": False,
        "ocoAllowed": False,
        "otoAllowed": False,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": False,
        "cancelReplaceAllowed": False,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": filters,
        "permissions": [],
        "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
    }
