"""Gate.io v4 JSON shapes built from the venue's structs (currency pairs, tickers, trades, orders, fees) and
Gate's error form, shared by the REST handlers and the websocket."""

from __future__ import annotations

import hashlib
import math
from typing import Any

from aiohttp import web

from arbkit.structs import OrderStatus, OrderType, Side, TimeInForce
from arbkit.venue.book import BookSnapshot
from arbkit.venue.engine import ErrorKind, Fill, VenueError, VenueOrder
from arbkit.venue.instruments import Instrument
from arbkit.venue.market import PublicTrade

__all__ = ["GateError", "GatePayloads", "num", "order_text", "pair_id", "user_id"]

# engine refusal -> (Gate label, HTTP status); ccxt maps the label through gate.exceptions['exact']
_ERRORS: dict[ErrorKind, tuple[str, int]] = {
    ErrorKind.UNKNOWN_SYMBOL: ("INVALID_CURRENCY_PAIR", 400),
    ErrorKind.PRECISION: ("INVALID_PRECISION", 400),
    ErrorKind.MIN_QTY: ("AMOUNT_TOO_LITTLE", 400),
    ErrorKind.MIN_NOTIONAL: ("AMOUNT_TOO_LITTLE", 400),
    ErrorKind.INSUFFICIENT_FUNDS: ("BALANCE_NOT_ENOUGH", 400),
    ErrorKind.UNKNOWN_ORDER: ("ORDER_NOT_FOUND", 404),
    ErrorKind.UNKNOWN_ACCOUNT: ("INVALID_KEY", 401),
    ErrorKind.INVALID: ("INVALID_PARAM_VALUE", 400),
    ErrorKind.WOULD_TAKE: ("POC_FILL_IMMEDIATELY", 400),
    ErrorKind.DUPLICATE_ORDER: ("REPEATED_CREATION", 400),
    ErrorKind.RATE_LIMIT: ("TOO_MANY_REQUESTS", 429),
}
_TIF = {"gtc": TimeInForce.GTC, "ioc": TimeInForce.IOC, "fok": TimeInForce.FOK, "poc": TimeInForce.GTC}


class GateError(Exception):
    """A refusal in Gate's own form: ``{"label": ..., "message": ...}`` with Gate's HTTP status."""

    def __init__(self, label: str, message: str, status: int = 400) -> None:
        super().__init__(f"{label}: {message}")
        self.label, self.message, self.status = label, message, status

    @classmethod
    def of(cls, exc: VenueError) -> GateError:
        label, status = _ERRORS.get(exc.kind, ("INVALID_PARAM_VALUE", 400))
        return cls(label, exc.message, status)

    def response(self) -> web.Response:
        return web.json_response({"label": self.label, "message": self.message}, status=self.status)


def num(value: float | None, decimals: int = 10) -> str:
    """A plain decimal string (Gate sends numbers as strings), no exponent, no trailing zeros."""
    if value is None:
        return "0"
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def pair_id(symbol: str) -> str:
    """Gate's currency pair id of a unified symbol: ``BTC/USDT`` -> ``BTC_USDT``."""
    return symbol.replace("/", "_")


def user_id(api_key: str) -> int:
    """A stable numeric Gate user id for an api key."""
    return 10_000_000 + int(hashlib.sha256(api_key.encode()).hexdigest()[:6], 16)


def order_text(order: VenueOrder | None) -> str:
    """An order's Gate ``text``: the client's ``t-...`` id when it gave one, else ``apiv4``."""
    return order.client_order_id if order is not None and order.client_order_id.startswith("t-") else "apiv4"


class GatePayloads:
    """Builds Gate's JSON shapes from the venue's structs (pure: no I/O, no state but the instruments)."""

    def __init__(self, instruments: dict[str, Instrument]) -> None:
        self.instruments = instruments
        self.by_pair = {pair_id(s): inst for s, inst in instruments.items()}

    def inst(self, pair: str | None) -> Instrument:
        inst = self.by_pair.get(pair or "")
        if inst is None:
            raise GateError("INVALID_CURRENCY_PAIR", f"Invalid currency pair {pair}")
        return inst

    @staticmethod
    def currency_pair(inst: Instrument) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": pair_id(inst.symbol),
            "base": inst.base,
            "base_name": inst.base,
            "quote": inst.quote,
            "quote_name": inst.quote,
            "fee": num(inst.taker_fee * 100, 6),
            "min_base_amount": num(inst.min_qty, inst.qty_decimals),
            "min_quote_amount": num(inst.min_notional),
            "max_quote_amount": "5000000",
            "amount_precision": inst.qty_decimals,
            "precision": inst.price_decimals,
            "trade_status": "tradable",
            "sell_start": 0,
            "buy_start": 0,
            "type": "normal",
        }
        if inst.maker_fee != inst.taker_fee:
            out["maker_fee_rate"] = num(inst.maker_fee * 100, 6)
        return out

    @staticmethod
    def levels(inst: Instrument, levels: list[tuple[float, float]]) -> list[list[str]]:
        pd, qd = inst.price_decimals, inst.qty_decimals
        return [[num(p, pd), num(q, qd)] for p, q in levels]

    def ticker(self, inst: Instrument, book: BookSnapshot, trades: list[PublicTrade]) -> dict[str, Any]:
        """24h-style stats from the recent tape (oldest first); the touch from the book."""
        pd = inst.price_decimals
        prices = [t.price for t in trades]
        mid = ((book.best_bid or 0.0) + (book.best_ask or 0.0)) / 2 or None
        last = prices[-1] if prices else mid
        first = prices[0] if prices else last
        change = round((last / first - 1.0) * 100, 2) if last and first else 0.0
        high, low = max(prices, default=last or 0.0), min(prices, default=last or 0.0)
        if last:  # ccxt derives open = last / (1 + change%): keep it inside [low, high] despite the rounding
            implied = last / (1.0 + change / 100.0) / inst.tick_size
            high = max(high, math.ceil(implied + 1e-6) * inst.tick_size)
            low = min(low, math.floor(implied - 1e-6) * inst.tick_size)
        return {
            "currency_pair": pair_id(inst.symbol),
            "last": num(last, pd),
            "lowest_ask": num(book.best_ask, pd),
            "lowest_size": num(book.asks[0][1] if book.asks else 0.0, inst.qty_decimals),
            "highest_bid": num(book.best_bid, pd),
            "highest_size": num(book.bids[0][1] if book.bids else 0.0, inst.qty_decimals),
            "change_percentage": num(change, 2),
            "base_volume": num(sum(t.qty for t in trades), inst.qty_decimals),
            "quote_volume": num(sum(t.qty * t.price for t in trades), 8),
            "high_24h": num(high, pd),
            "low_24h": num(low, pd),
        }

    @staticmethod
    def trade(inst: Instrument, trade: PublicTrade) -> dict[str, Any]:
        return {
            "id": str(trade.trade_id),
            "create_time": str(trade.timestamp // 1000),
            "create_time_ms": f"{trade.timestamp}.000",
            "currency_pair": pair_id(inst.symbol),
            "side": trade.side,
            "amount": num(trade.qty, inst.qty_decimals),
            "price": num(trade.price, inst.price_decimals),
        }

    def order(self, order: VenueOrder, event: str | None = None, user: int | None = None) -> dict[str, Any]:
        """A spot order as Gate returns it (REST) or pushes it (``event``: put / update / finish)."""
        inst = self.instruments[order.symbol]
        pd, qd = inst.price_decimals, inst.qty_decimals
        quote_buy = order.type is OrderType.MARKET and order.quote_quantity is not None
        amount = num(order.quote_quantity, 8) if quote_buy else num(order.quantity, qd)
        left = (order.quote_quantity or 0.0) - order.quote_filled if quote_buy else order.remaining
        if order.is_open:
            status, finish_as = "open", "open"
        elif order.status is OrderStatus.FILLED:
            status, finish_as = "closed", "filled"
        elif order.status is OrderStatus.CANCELED:
            status, finish_as = "cancelled", "cancelled"
        else:  # IOC / FOK / market remainder expired
            status, finish_as = "closed", "ioc" if order.time_in_force is TimeInForce.IOC else "cancelled"
        tif = "poc" if order.post_only else order.time_in_force.value.lower()
        out: dict[str, Any] = {
            "id": str(order.order_id),
            "text": order_text(order),
            "amend_text": "-",
            "create_time": str(order.created // 1000),
            "update_time": str(order.updated // 1000),
            "create_time_ms": order.created,
            "update_time_ms": order.updated,
            "status": status,
            "currency_pair": pair_id(order.symbol),
            "type": order.type.value,
            "account": "spot",
            "side": order.side.value,
            "amount": amount,
            "price": num(order.price, pd) if order.price is not None else "0",
            "time_in_force": tif,
            "iceberg": "0",
            "left": num(max(left, 0.0), 8 if quote_buy else qd),
            "filled_amount": num(order.filled, qd),
            "fill_price": num(order.quote_filled, 8),
            "filled_total": num(order.quote_filled, 8),
            "avg_deal_price": num(order.average, pd + 4) if order.average else "0",
            "fee": num(order.fee),
            "fee_currency": order.fee_asset or (inst.base if order.side is Side.BUY else inst.quote),
            "point_fee": "0",
            "gt_fee": "0",
            "gt_maker_fee": "0",
            "gt_taker_fee": "0",
            "gt_discount": False,
            "rebated_fee": "0",
            "rebated_fee_currency": inst.quote,
            "finish_as": finish_as,
        }
        if event is not None:
            out["event"] = event
            out["user"] = user
        return out

    def user_trade(self, fill: Fill, text: str, user: int) -> dict[str, Any]:
        inst = self.instruments[fill.symbol]
        return {
            "id": fill.trade_id,
            "user_id": user,
            "order_id": str(fill.order_id),
            "currency_pair": pair_id(fill.symbol),
            "create_time": fill.timestamp // 1000,
            "create_time_ms": f"{fill.timestamp}.000",
            "side": fill.side.value,
            "amount": num(fill.qty, inst.qty_decimals),
            "role": "maker" if fill.maker else "taker",
            "price": num(fill.price, inst.price_decimals),
            "fee": num(fill.fee),
            "fee_currency": fill.fee_asset,
            "point_fee": "0",
            "gt_fee": "0",
            "text": text,
        }

    def fees(self, user: int, pair: str | None) -> dict[str, Any]:
        inst = self.inst(pair) if pair else next(iter(self.instruments.values()))
        return {
            "user_id": user,
            "taker_fee": num(inst.taker_fee),
            "maker_fee": num(inst.maker_fee),
            "gt_discount": False,
            "gt_taker_fee": "0",
            "gt_maker_fee": "0",
            "loan_fee": "0.18",
            "point_type": "1",
            "futures_taker_fee": "0.0005",
            "futures_maker_fee": "0",
        }
