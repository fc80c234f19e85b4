"""MEXC spot wire shapes on the local venue: channels, code tables, request checks, JSON and protobuf builders.

Shapes follow what ccxt 4.5.90 (ccxt/mexc.py, ccxt/pro/mexc.py) parses; pushes use ccxt's bundled
``ccxt/protobuf/mexc`` classes, so the client decodes exactly what the real exchange sends.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from ccxt.protobuf.mexc import PublicAggreDepthsV3Api_pb2 as depth_pb
from ccxt.protobuf.mexc import PushDataV3ApiWrapper_pb2 as wrapper_pb

from arbkit.structs import OrderStatus, OrderType, TimeInForce
from arbkit.venue.engine import ErrorKind, VenueError, VenueOrder
from arbkit.venue.instruments import Instrument
from arbkit.venue.protocols.hmac_query import Reject, SymbolNames, fmt, int_param, optional_number

__all__ = [
    "ACCOUNT",
    "DEALS",
    "DEPTH",
    "FREQUENCIES",
    "ORDERS",
    "TYPES",
    "WS_STATUS",
    "WS_TYPE",
    "depth_items",
    "frame",
    "instrument_of",
    "integer",
    "number",
    "order_json",
    "reject_of",
    "symbol_info",
    "wire_type",
]

DEPTH = "spot@public.aggre.depth.v3.api.pb"
DEALS = "spot@public.aggre.deals.v3.api.pb"
ORDERS = "spot@private.orders.v3.api.pb"
ACCOUNT = "spot@private.account.v3.api.pb"
FREQUENCIES = ("100ms", "10ms")

# engine error -> (MEXC code, message); every code is one ccxt's mexc maps (or MexcPro adds: -2013).
_ERRORS: dict[ErrorKind, tuple[int, str]] = {
    ErrorKind.UNKNOWN_SYMBOL: (-1121, "Invalid symbol."),
    ErrorKind.PRECISION: (10096, "amount decimal places is too long"),
    ErrorKind.MIN_QTY: (30002, "The minimum transaction volume cannot be less than the minimum quantity"),
    ErrorKind.MIN_NOTIONAL: (30002, "The minimum transaction volume cannot be less than the minimum amount"),
    ErrorKind.INSUFFICIENT_FUNDS: (30004, "Insufficient position"),
    ErrorKind.UNKNOWN_ORDER: (-2013, "Order does not exist."),
    ErrorKind.UNKNOWN_ACCOUNT: (10001, "user does not exist"),
    ErrorKind.INVALID: (-1128, "Combination of optional parameters invalid."),
    ErrorKind.WOULD_TAKE: (30041, "current order type can not place order"),
    ErrorKind.DUPLICATE_ORDER: (603, "Repeated request"),
    ErrorKind.RATE_LIMIT: (429, "Too Many Requests"),
}
_REST_STATUS = {
    OrderStatus.OPEN: "NEW",
    OrderStatus.PARTIALLY_FILLED: "PARTIALLY_FILLED",
    OrderStatus.FILLED: "FILLED",
}
# order type on the wire -> (engine type, time in force, post only); the ws push numbers them 1..5.
TYPES: dict[str, tuple[OrderType, TimeInForce, bool]] = {
    "LIMIT": (OrderType.LIMIT, TimeInForce.GTC, False),
    "LIMIT_MAKER": (OrderType.LIMIT, TimeInForce.GTC, True),
    "IMMEDIATE_OR_CANCEL": (OrderType.LIMIT, TimeInForce.IOC, False),
    "FILL_OR_KILL": (OrderType.LIMIT, TimeInForce.FOK, False),
    "MARKET": (OrderType.MARKET, TimeInForce.IOC, False),
}
WS_TYPE = {"LIMIT": 1, "LIMIT_MAKER": 2, "IMMEDIATE_OR_CANCEL": 3, "FILL_OR_KILL": 4, "MARKET": 5}
WS_STATUS = {OrderStatus.OPEN: 1, OrderStatus.FILLED: 2, OrderStatus.PARTIALLY_FILLED: 3}


def reject_of(exc: VenueError, request: web.Request) -> Reject:
    """The MEXC answer to an engine refusal: its code, with the engine's reason appended."""
    code, msg = _ERRORS.get(exc.kind, (-1128, "Combination of optional parameters invalid."))
    return Reject(code, f"{msg} ({exc.message})", 429 if exc.kind is ErrorKind.RATE_LIMIT else 400)


def _invalid_number(key: str) -> Reject:
    return Reject(700008, f"Illegal characters found in parameter '{key}'.")


def integer(params: dict[str, str], key: str, default: int | None) -> int | None:
    """An optional integer parameter (``default`` when absent); MEXC's 700008 when it is not one."""
    return int_param(params, key, default, _invalid_number)


def number(params: dict[str, str], key: str) -> float | None:
    """An optional numeric parameter; MEXC's 700008 when it is not a number."""
    return optional_number(params, key, _invalid_number)


def instrument_of(names: SymbolNames, params: dict[str, str]) -> Instrument:
    """The instrument named by the ``symbol`` parameter, or MEXC's -1121."""
    inst = names.find(params.get("symbol", ""))
    if inst is None:
        raise Reject(-1121, "Invalid symbol.")
    return inst


def frame(channel: str, symbol: str | None, send_time: int, **body: Any) -> wrapper_pb.PushDataV3ApiWrapper:
    """One push as MEXC wraps it: channel, symbol, send time and exactly one body."""
    if symbol is not None:
        body["symbol"] = symbol
    return wrapper_pb.PushDataV3ApiWrapper(channel=channel, sendTime=send_time, **body)


def depth_items(levels: list[tuple[float, float]], pd: int, qd: int) -> list[Any]:
    """Book levels as protobuf depth items."""
    return [depth_pb.PublicAggreDepthV3ApiItem(price=fmt(p, pd), quantity=fmt(q, qd)) for p, q in levels]


def _rest_status(o: VenueOrder) -> str:
    if o.status in _REST_STATUS:
        return _REST_STATUS[o.status]
    return "PARTIALLY_CANCELED" if o.filled > 0 else "CANCELED"


def wire_type(o: VenueOrder) -> str:
    """MEXC's order type of a venue order (a key of ``TYPES``)."""
    if o.type is OrderType.MARKET:
        return "MARKET"
    if o.post_only:
        return "LIMIT_MAKER"
    return {TimeInForce.IOC: "IMMEDIATE_OR_CANCEL", TimeInForce.FOK: "FILL_OR_KILL"}.get(o.time_in_force, "LIMIT")


def order_json(wire: str, o: VenueOrder, inst: Instrument) -> dict[str, Any]:
    """An order as GET /api/v3/order answers it."""
    pd, qd = inst.price_decimals, inst.qty_decimals
    return {
        "symbol": wire, "orderId": str(o.order_id), "orderListId": -1,
        "clientOrderId": o.client_order_id, "price": fmt(o.price, pd), "origQty": fmt(o.quantity, qd),
        "executedQty": fmt(o.filled, qd), "cummulativeQuoteQty": fmt(o.quote_filled), "status": _rest_status(o),
        "timeInForce": None, "type": wire_type(o), "side": o.side.value.upper(), "stopPrice": None,
        "icebergQty": None, "time": o.created, "updateTime": o.updated, "isWorking": True,
        "origQuoteOrderQty": fmt(o.quote_quantity),
    }  # fmt: skip


def symbol_info(wire: str, inst: Instrument) -> dict[str, Any]:
    """ccxt reads precision as 10**-baseAssetPrecision / 10**-quoteAssetPrecision, minimums from baseSizePrecision
    (amount) and quoteAmountPrecision (cost)."""
    pd, qd = inst.price_decimals, inst.qty_decimals
    return {
        "symbol": wire, "status": "1", "baseAsset": inst.base, "baseAssetPrecision": qd, "quoteAsset": inst.quote,
        "quotePrecision": pd, "quoteAssetPrecision": pd, "baseCommissionPrecision": qd, "quoteCommissionPrecision": pd,
        "orderTypes": ["LIMIT", "MARKET", "LIMIT_MAKER"], "isSpotTradingAllowed": True, "isMarginTradingAllowed": False,
        "quoteAmountPrecision": fmt(inst.min_notional, 2), "baseSizePrecision": fmt(inst.min_qty, qd),
        "permissions": ["SPOT"], "filters": [], "maxQuoteAmount": "2000000", "makerCommission": fmt(inst.maker_fee),
        "takerCommission": fmt(inst.taker_fee), "quoteAmountPrecisionMarket": fmt(inst.min_notional, 2),
        "maxQuoteAmountMarket": "100000", "fullName": inst.base, "tradeSideType": 1,
    }  # fmt: skip
