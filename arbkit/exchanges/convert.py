"""ccxt's unified dicts -> arbkit Structs. Pure functions; the only place that knows ccxt's dict keys."""

from __future__ import annotations

import time
from typing import Any

from arbkit.structs import (
    AssetBalance,
    AssetName,
    Fill,
    Order,
    OrderBook,
    OrderStatus,
    OrderType,
    Side,
    Symbol,
    SymbolInfo,
    Ticker,
    TimeInForce,
    Trade,
    TradingFee,
)

_TIF = {"GTC": TimeInForce.GTC, "IOC": TimeInForce.IOC, "FOK": TimeInForce.FOK, "PO": TimeInForce.GTC}


def levels(side: Any, depth: int | None) -> list[tuple[float, float]]:
    """The best ``depth`` levels of a ccxt book side as (price, quantity) tuples.

    The hot path of every book update, so ``tuple`` runs over the rows in C. ccxt builds every row of a side by one
    parser, so one shape per side: rows that carry more than price and size (an order count or id, after them) show
    on the first row and are cut to two."""
    rows = side[:depth] if depth is not None else side
    out = list(map(tuple, rows))
    if out and len(out[0]) != 2:
        out = [(row[0], row[1]) for row in rows]
    return out


def order_book(exchange: str, symbol: Symbol, raw: Any, depth: int | None) -> OrderBook:
    return OrderBook(
        exchange=exchange,
        symbol=symbol,
        bids=levels(raw["bids"], depth),
        asks=levels(raw["asks"], depth),
        timestamp=raw.get("timestamp"),
        sequence=raw.get("nonce"),
        received_ms=time.time() * 1000.0,
    )


def _step(value: Any, precision_mode: int) -> float:
    """ccxt precision as a step size: TICK_SIZE mode holds the step, DECIMAL_PLACES mode the number of decimals."""
    if value is None:
        return 0.0
    from ccxt.base.decimal_to_precision import DECIMAL_PLACES, SIGNIFICANT_DIGITS

    if precision_mode in (DECIMAL_PLACES, SIGNIFICANT_DIGITS):
        return 10.0 ** -float(value)
    return float(value)


def symbol_info(exchange: str, market: dict[str, Any], precision_mode: int, fees: tuple[float, float]) -> SymbolInfo:
    limits = market.get("limits") or {}
    precision = market.get("precision") or {}
    maker = market.get("maker")
    taker = market.get("taker")
    return SymbolInfo(
        exchange=exchange,
        symbol=Symbol(AssetName(market["base"]), AssetName(market["quote"])),
        tick_size=_step(precision.get("price"), precision_mode),
        step_size=_step(precision.get("amount"), precision_mode),
        min_quantity=float((limits.get("amount") or {}).get("min") or 0.0),
        min_notional=float((limits.get("cost") or {}).get("min") or 0.0),
        maker_fee=float(fees[0] if maker is None else maker),
        taker_fee=float(fees[1] if taker is None else taker),
        active=market.get("active") is not False,
        exchange_symbol=str(market.get("id") or ""),
    )


def ticker(exchange: str, symbol: Symbol, raw: dict[str, Any]) -> Ticker:
    return Ticker(
        exchange=exchange,
        symbol=symbol,
        bid=raw.get("bid"),
        ask=raw.get("ask"),
        last=raw.get("last"),
        base_volume=raw.get("baseVolume"),
        quote_volume=raw.get("quoteVolume"),
        timestamp=raw.get("timestamp"),
    )


def trade(exchange: str, symbol: Symbol, raw: dict[str, Any]) -> Trade:
    side = raw.get("side")
    return Trade(
        exchange=exchange,
        symbol=symbol,
        trade_id=None if raw.get("id") is None else str(raw["id"]),
        price=float(raw["price"]),
        quantity=float(raw["amount"]),
        side=Side(side) if side in ("buy", "sell") else None,
        timestamp=raw.get("timestamp"),
    )


def order_status(raw: dict[str, Any]) -> OrderStatus:
    status = raw.get("status")
    filled = raw.get("filled") or 0.0
    amount = raw.get("amount") or 0.0
    if status == "closed" or (amount and filled >= amount):
        return OrderStatus.FILLED
    if status == "canceled":
        return OrderStatus.CANCELED
    if status == "expired":
        return OrderStatus.EXPIRED
    if status == "rejected":
        return OrderStatus.REJECTED
    return OrderStatus.PARTIALLY_FILLED if filled > 0 else OrderStatus.OPEN


def order(exchange: str, raw: dict[str, Any]) -> Order:
    fee = raw.get("fee") or {}
    tif = raw.get("timeInForce")
    return Order(
        exchange=exchange,
        symbol=Symbol.parse(raw["symbol"]),
        order_id=str(raw["id"]),
        side=Side(raw["side"]),
        order_type=OrderType.MARKET if raw.get("type") == "market" else OrderType.LIMIT,
        quantity=float(raw.get("amount") or 0.0),
        price=raw.get("price"),
        filled=float(raw.get("filled") or 0.0),
        status=order_status(raw),
        client_order_id=raw.get("clientOrderId"),
        average_price=raw.get("average"),
        time_in_force=_TIF.get(str(tif).upper()) if tif else None,
        fee_cost=fee.get("cost"),
        fee_asset=fee.get("currency"),
        timestamp=raw.get("timestamp"),
    )


def balances(raw: dict[str, Any]) -> dict[str, AssetBalance]:
    """Assets with a non-zero total, from ccxt's balance structure."""
    free = raw.get("free") or {}
    used = raw.get("used") or {}
    out: dict[str, AssetBalance] = {}
    for asset in set(free) | set(used):
        f = float(free.get(asset) or 0.0)
        u = float(used.get(asset) or 0.0)
        if f or u:
            out[asset] = AssetBalance(asset=AssetName(asset), free=f, locked=u)
    return out


def trading_fee(exchange: str, symbol: Symbol, raw: dict[str, Any], fallback: tuple[float, float]) -> TradingFee:
    maker = raw.get("maker")
    taker = raw.get("taker")
    return TradingFee(
        exchange=exchange,
        symbol=symbol,
        maker=float(fallback[0] if maker is None else maker),
        taker=float(fallback[1] if taker is None else taker),
    )


def fill(exchange: str, raw: dict[str, Any]) -> Fill:
    """A ccxt trade from ``fetch_my_trades`` as a Fill; the client order id where the exchange reports one
    (MEXC ``clientOrderId``, Gate.io ``text`` when it is a ``t-`` id)."""
    fee = raw.get("fee") or {}
    info = raw.get("info") or {}
    text = info.get("text")
    client_id = raw.get("clientOrderId") or info.get("clientOrderId") or (text if str(text).startswith("t-") else None)
    role = raw.get("takerOrMaker")
    return Fill(
        exchange=exchange,
        symbol=Symbol.parse(raw["symbol"]),
        trade_id=str(raw["id"]),
        order_id=str(raw.get("order") or ""),
        client_order_id=client_id,
        side=Side(raw["side"]),
        price=float(raw["price"]),
        quantity=float(raw["amount"]),
        fee_cost=float(fee.get("cost") or 0.0),
        fee_asset=fee.get("currency"),
        timestamp=int(raw["timestamp"]),
        maker=None if role is None else role == "maker",
    )
