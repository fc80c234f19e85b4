"""Binance spot wire protocol on the local venue: REST /api/v3 (+ sapi trade fees), market streams, ws-api user data.

Shapes follow what ccxt 4.5.90 (ccxt/binance.py, ccxt/pro/binance.py) parses; errors use Binance's codes.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from arbkit.structs import OrderStatus, OrderType, Side, TimeInForce
from arbkit.venue.book import BookDelta
from arbkit.venue.engine import BalanceEvent, ErrorKind, ExecKind, OrderEvent, VenueError, VenueOrder
from arbkit.venue.hub import Connection
from arbkit.venue.instruments import Instrument
from arbkit.venue.market import PublicTrade
from arbkit.venue.protocols import ExchangeContext

__all__ = ["BinanceProtocol"]

Handler = Callable[[web.Request, dict[str, str], str], Awaitable[Any]]

_STATUS = {
    OrderStatus.OPEN: "NEW",
    OrderStatus.PARTIALLY_FILLED: "PARTIALLY_FILLED",
    OrderStatus.FILLED: "FILLED",
    OrderStatus.CANCELED: "CANCELED",
    OrderStatus.EXPIRED: "EXPIRED",
    OrderStatus.REJECTED: "REJECTED",
}
_EXEC = {ExecKind.NEW: "NEW", ExecKind.TRADE: "TRADE", ExecKind.CANCELED: "CANCELED", ExecKind.EXPIRED: "EXPIRED"}
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
}


def _ms() -> int:
    return int(time.time() * 1000)


def _f(value: float | None, decimals: int = 8) -> str:
    return f"{(value or 0.0):.{decimals}f}"


class _Reject(Exception):
    """An answer in Binance's error shape."""

    def __init__(self, status: int, code: int, msg: str) -> None:
        super().__init__(msg)
        self.status, self.code, self.msg = status, code, msg


def _sign(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


class BinanceProtocol:
    """Binance spot: REST under /api/v3, market streams under /stream/ws/<n>, user data on /ws-api/v3."""

    name = "binance"

    def __init__(self, ctx: ExchangeContext) -> None:
        self.ctx = ctx
        self.wire = {sym: inst.base + inst.quote for sym, inst in ctx.instruments.items()}
        self.unified = {w: s for s, w in self.wire.items()}

    @property
    def credentials(self) -> tuple[str, str]:
        return self.ctx.api_key, self.ctx.secret

    def urls(self, origin: str) -> dict[str, str]:
        ws = origin.replace("http://", "ws://", 1) + "/binance"
        return {
            "base_url": f"{origin}/binance",
            "websocket_url": f"{ws}/stream/ws",
            "private_websocket_url": f"{ws}/ws-api/v3",
        }

    def routes(self) -> list[web.RouteDef]:
        public, signed = self._public, self._signed
        return [
            web.get("/api/v3/ping", public(lambda r, p, k: {})),
            web.get("/api/v3/time", public(lambda r, p, k: {"serverTime": _ms()})),
            web.get("/api/v3/exchangeInfo", public(self._exchange_info)),
            web.get("/api/v3/depth", public(self._depth)),
            web.get("/api/v3/ticker/24hr", public(self._ticker)),
            web.get("/api/v3/ticker/bookTicker", public(self._book_ticker)),
            web.get("/api/v3/aggTrades", public(self._agg_trades)),
            web.get("/api/v3/trades", public(self._trades)),
            web.get("/api/v3/account", signed(self._account)),
            web.get("/api/v3/account/commission", signed(self._commission)),
            web.get("/sapi/v1/asset/tradeFee", signed(self._trade_fee)),
            web.post("/api/v3/order", signed(self._create)),
            web.delete("/api/v3/order", signed(self._cancel)),
            web.get("/api/v3/order", signed(self._get_order)),
            web.get("/api/v3/openOrders", signed(self._open_orders)),
            web.get("/api/v3/myTrades", signed(self._my_trades)),
            web.get("/stream/ws", self._market_ws),
            web.get("/stream/ws/{n}", self._market_ws),
            web.get("/ws-api/v3", self._api_ws),
        ]

    # ------------------------------------------------------------------ request plumbing

    def _public(self, handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def run(request: web.Request) -> web.Response:
            try:
                return web.json_response(await _maybe(handler(request, dict(request.query), "")))
            except (_Reject, VenueError) as exc:
                return _error_response(exc)

        return run

    def _signed(self, handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def run(request: web.Request) -> web.Response:
            try:
                params, api_key = await self._authenticate(request)
                return web.json_response(await _maybe(handler(request, params, api_key)))
            except (_Reject, VenueError) as exc:
                return _error_response(exc, cancel=request.method == "DELETE")

        return run

    async def _authenticate(self, request: web.Request) -> tuple[dict[str, str], str]:
        api_key = request.headers.get("X-MBX-APIKEY", "")
        secret = self.ctx.secret_for(api_key)
        if secret is None:
            raise _Reject(401, -2015, "Invalid API-key, IP, or permissions for action.")
        query = request.rel_url.raw_query_string
        body = await request.text() if request.can_read_body else ""
        payload = query + body
        cut = payload.rfind("signature=")
        if cut < 0:
            raise _Reject(400, -1102, "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.")
        signature = payload[cut + len("signature=") :].split("&")[0]
        if not hmac.compare_digest(_sign(secret, payload[:cut].rstrip("&")), signature):
            raise _Reject(400, -1022, "Signature for this request is not valid.")
        params = dict(parse_qsl(query, keep_blank_values=True))
        params.update(parse_qsl(body, keep_blank_values=True))
        _check_timestamp(params)
        return params, api_key

    def _inst(self, params: dict[str, str]) -> Instrument:
        wire = params.get("symbol")
        if not wire:
            raise _Reject(400, -1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.")
        symbol = self.unified.get(wire.upper())
        if symbol is None:
            raise _Reject(400, -1121, "Invalid symbol.")
        return self.ctx.instruments[symbol]

    # ------------------------------------------------------------------ public REST

    def _exchange_info(self, request: web.Request, params: dict[str, str], _: str) -> dict[str, Any]:
        return {
            "timezone": "UTC",
            "serverTime": _ms(),
            "rateLimits": [],
            "exchangeFilters": [],
            "symbols": [_symbol_info(self.wire[s], i) for s, i in self.ctx.instruments.items()],
        }

    def _depth(self, request: web.Request, params: dict[str, str], _: str) -> dict[str, Any]:
        inst = self._inst(params)
        limit = min(int(params.get("limit", 100)), 5000)
        snap = self.ctx.book(inst.symbol).snapshot(limit)
        pd, qd = inst.price_decimals, inst.qty_decimals
        return {
            "lastUpdateId": snap.seq,
            "bids": [[_f(p, pd), _f(q, qd)] for p, q in snap.bids],
            "asks": [[_f(p, pd), _f(q, qd)] for p, q in snap.asks],
        }

    def _ticker(self, request: web.Request, params: dict[str, str], _: str) -> Any:
        if "symbol" in params:
            return self._ticker_of(self._inst(params))
        return [self._ticker_of(inst) for inst in self.ctx.instruments.values()]

    def _ticker_of(self, inst: Instrument) -> dict[str, Any]:
        book = self.ctx.book(inst.symbol)
        bids, asks = book.sorted_bids(1), book.sorted_asks(1)
        bid, ask = (bids or [(0.0, 0.0)])[0], (asks or [(0.0, 0.0)])[0]
        trades = self.ctx.trades(inst.symbol)
        mid = inst.round_price((bid[0] + ask[0]) / 2)
        prices = [t.price for t in trades] or [mid]
        last = trades[-1] if trades else None
        volume = sum(t.qty for t in trades)
        quote_volume = sum(t.qty * t.price for t in trades)
        pd, qd = inst.price_decimals, inst.qty_decimals
        now = _ms()
        open_price, last_price = prices[0], prices[-1]
        return {
            "symbol": self.wire[inst.symbol],
            "priceChange": _f(last_price - open_price, pd),
            "priceChangePercent": _f((last_price - open_price) / open_price * 100 if open_price else 0.0, 3),
            "weightedAvgPrice": _f(quote_volume / volume if volume else last_price, pd),
            "prevClosePrice": _f(open_price, pd),
            "lastPrice": _f(last_price, pd),
            "lastQty": _f(last.qty if last else 0.0, qd),
            "bidPrice": _f(bid[0], pd),
            "bidQty": _f(bid[1], qd),
            "askPrice": _f(ask[0], pd),
            "askQty": _f(ask[1], qd),
            "openPrice": _f(open_price, pd),
            "highPrice": _f(max(prices), pd),
            "lowPrice": _f(min(prices), pd),
            "volume": _f(volume, qd),
            "quoteVolume": _f(quote_volume, 8),
            "openTime": trades[0].timestamp if trades else now - 86_400_000,
            "closeTime": now,
            "firstId": trades[0].trade_id if trades else -1,
            "lastId": last.trade_id if last else -1,
            "count": len(trades),
        }

    def _book_ticker(self, request: web.Request, params: dict[str, str], _: str) -> Any:
        insts = [self._inst(params)] if "symbol" in params else list(self.ctx.instruments.values())
        out = [self._top(inst) for inst in insts]
        return out[0] if "symbol" in params else out

    def _top(self, inst: Instrument, seq: int | None = None) -> dict[str, Any]:
        book = self.ctx.book(inst.symbol)
        bid = (book.sorted_bids(1) or [(0.0, 0.0)])[0]
        ask = (book.sorted_asks(1) or [(0.0, 0.0)])[0]
        pd, qd = inst.price_decimals, inst.qty_decimals
        top = {"symbol": self.wire[inst.symbol], "bidPrice": _f(bid[0], pd), "bidQty": _f(bid[1], qd)}
        top.update({"askPrice": _f(ask[0], pd), "askQty": _f(ask[1], qd)})
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

    def _recent(self, params: dict[str, str]) -> tuple[Instrument, list[PublicTrade]]:
        inst = self._inst(params)
        return inst, self.ctx.trades(inst.symbol, min(int(params.get("limit", 500)), 1000))

    def _agg_trades(self, request: web.Request, params: dict[str, str], _: str) -> list[dict[str, Any]]:
        inst, trades = self._recent(params)
        return [_agg_json(inst, t) for t in trades]

    def _trades(self, request: web.Request, params: dict[str, str], _: str) -> list[dict[str, Any]]:
        inst, trades = self._recent(params)
        pd, qd = inst.price_decimals, inst.qty_decimals
        return [
            {
                "id": t.trade_id,
                "price": _f(t.price, pd),
                "qty": _f(t.qty, qd),
                "quoteQty": _f(t.price * t.qty),
                "time": t.timestamp,
                "isBuyerMaker": t.side == "sell",
                "isBestMatch": True,
            }
            for t in trades
        ]

    # ------------------------------------------------------------------ private REST

    def _account(self, request: web.Request, params: dict[str, str], api_key: str) -> dict[str, Any]:
        account = self.ctx.engine.account(api_key)
        fee = next(iter(self.ctx.instruments.values()))
        rates = {"maker": _f(fee.maker_fee), "taker": _f(fee.taker_fee), "buyer": _f(0), "seller": _f(0)}
        return {
            "makerCommission": round(fee.maker_fee * 10000),
            "takerCommission": round(fee.taker_fee * 10000),
            "buyerCommission": 0,
            "sellerCommission": 0,
            "commissionRates": rates,
            "canTrade": True,
            "canWithdraw": True,
            "canDeposit": True,
            "brokered": False,
            "requireSelfTradePrevention": False,
            "preventSor": False,
            "updateTime": _ms(),
            "accountType": "SPOT",
            "balances": [{"asset": a, "free": _f(b.free), "locked": _f(b.locked)} for a, b in account.balances.items()],
            "permissions": ["SPOT"],
            "uid": 1,
        }

    def _commission(self, request: web.Request, params: dict[str, str], api_key: str) -> dict[str, Any]:
        inst = self._inst(params)
        zero = {"maker": _f(0), "taker": _f(0), "buyer": _f(0), "seller": _f(0)}
        standard = {"maker": _f(inst.maker_fee), "taker": _f(inst.taker_fee), "buyer": _f(0), "seller": _f(0)}
        discount = {"enabledForAccount": False, "enabledForSymbol": False, "discountAsset": "BNB", "discount": _f(0)}
        return {
            "symbol": self.wire[inst.symbol],
            "standardCommission": standard,
            "taxCommission": zero,
            "discount": discount,
        }

    def _trade_fee(self, request: web.Request, params: dict[str, str], api_key: str) -> list[dict[str, Any]]:
        insts = [self._inst(params)] if "symbol" in params else list(self.ctx.instruments.values())
        return [
            {"symbol": self.wire[i.symbol], "makerCommission": _f(i.maker_fee), "takerCommission": _f(i.taker_fee)}
            for i in insts
        ]

    def _create(self, request: web.Request, params: dict[str, str], api_key: str) -> dict[str, Any]:
        inst = self._inst(params)
        kind = params.get("type", "").upper()
        if kind not in ("LIMIT", "MARKET", "LIMIT_MAKER"):
            raise _Reject(400, -1116, "Invalid orderType.")
        side = params.get("side", "").upper()
        if side not in ("BUY", "SELL"):
            raise _Reject(400, -1117, "Invalid side.")
        tif = params.get("timeInForce", "GTC").upper()
        if tif not in ("GTC", "IOC", "FOK"):
            raise _Reject(400, -1115, "Invalid timeInForce.")
        order = self.ctx.engine.place(
            api_key,
            inst.symbol,
            Side.BUY if side == "BUY" else Side.SELL,
            OrderType.MARKET if kind == "MARKET" else OrderType.LIMIT,
            quantity=_num(params, "quantity"),
            price=_num(params, "price"),
            time_in_force=TimeInForce(tif),
            quote_quantity=_num(params, "quoteOrderQty"),
            client_order_id=params.get("newClientOrderId"),
            post_only=kind == "LIMIT_MAKER",
        )
        out = self._order_json(order, inst)
        out["transactTime"] = order.created
        if params.get("newOrderRespType", "FULL").upper() == "FULL":
            fills = [f for f in self.ctx.engine.account(api_key).fills if f.order_id == order.order_id]
            out["fills"] = [
                {
                    "price": _f(f.price, inst.price_decimals),
                    "qty": _f(f.qty, inst.qty_decimals),
                    "commission": _f(f.fee),
                    "commissionAsset": f.fee_asset,
                    "tradeId": f.trade_id,
                }
                for f in fills
            ]
        return out

    def _find(self, params: dict[str, str], api_key: str) -> tuple[Instrument, int | None, str | None]:
        inst = self._inst(params)
        oid = params.get("orderId")
        cid = params.get("origClientOrderId")
        if oid is None and cid is None:
            raise _Reject(400, -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!")
        return inst, int(oid) if oid is not None else None, cid

    def _cancel(self, request: web.Request, params: dict[str, str], api_key: str) -> dict[str, Any]:
        inst, oid, cid = self._find(params, api_key)
        order = self.ctx.engine.cancel(api_key, inst.symbol, oid, cid)
        return {"origClientOrderId": order.client_order_id, **self._order_json(order, inst)}

    def _get_order(self, request: web.Request, params: dict[str, str], api_key: str) -> dict[str, Any]:
        inst, oid, cid = self._find(params, api_key)
        return self._order_json(self.ctx.engine.get_order(api_key, inst.symbol, oid, cid), inst)

    def _open_orders(self, request: web.Request, params: dict[str, str], api_key: str) -> list[dict[str, Any]]:
        symbol = self._inst(params).symbol if "symbol" in params else None
        orders = self.ctx.engine.open_orders(api_key, symbol)
        return [self._order_json(o, self.ctx.instruments[o.symbol]) for o in orders]

    def _my_trades(self, request: web.Request, params: dict[str, str], api_key: str) -> list[dict[str, Any]]:
        inst = self._inst(params)
        limit = min(int(params.get("limit", 500)), 1000)
        fills = [f for f in self.ctx.engine.account(api_key).fills if f.symbol == inst.symbol][-limit:]
        pd, qd = inst.price_decimals, inst.qty_decimals
        return [
            {
                "symbol": self.wire[inst.symbol],
                "id": f.trade_id,
                "orderId": f.order_id,
                "orderListId": -1,
                "price": _f(f.price, pd),
                "qty": _f(f.qty, qd),
                "quoteQty": _f(f.quote_qty),
                "commission": _f(f.fee),
                "commissionAsset": f.fee_asset,
                "time": f.timestamp,
                "isBuyer": f.side is Side.BUY,
                "isMaker": f.maker,
                "isBestMatch": True,
            }
            for f in fills
        ]

    def _order_json(self, o: VenueOrder, inst: Instrument) -> dict[str, Any]:
        pd, qd = inst.price_decimals, inst.qty_decimals
        kind = "LIMIT_MAKER" if o.post_only else ("MARKET" if o.type is OrderType.MARKET else "LIMIT")
        return {
            "symbol": self.wire[inst.symbol],
            "orderId": o.order_id,
            "orderListId": -1,
            "clientOrderId": o.client_order_id,
            "price": _f(o.price, pd),
            "origQty": _f(o.quantity, qd),
            "executedQty": _f(o.filled, qd),
            "cummulativeQuoteQty": _f(o.quote_filled),
            "status": _STATUS[o.status],
            "timeInForce": "GTC" if o.type is OrderType.MARKET else o.time_in_force.value,
            "type": kind,
            "side": o.side.value.upper(),
            "stopPrice": _f(0),
            "icebergQty": _f(0),
            "time": o.created,
            "updateTime": o.updated,
            "isWorking": True,
            "workingTime": o.created,
            "origQuoteOrderQty": _f(o.quote_quantity),
            "selfTradePreventionMode": "EXPIRE_MAKER",
        }

    # ------------------------------------------------------------------ websockets

    async def _market_ws(self, request: web.Request) -> web.WebSocketResponse:
        return await self.ctx.hub.serve(request, self._on_market_message)

    async def _on_market_message(self, conn: Connection, msg: Any) -> None:
        if not isinstance(msg, dict):
            return
        method, rid = str(msg.get("method", "")).upper(), msg.get("id")
        streams = [str(s).lower() for s in msg.get("params") or []]
        if method == "SUBSCRIBE":
            conn.topics.update(streams)
            await conn.send({"result": None, "id": rid})
        elif method == "UNSUBSCRIBE":
            conn.topics.difference_update(streams)
            await conn.send({"result": None, "id": rid})
        elif method == "LIST_SUBSCRIPTIONS":
            await conn.send({"result": sorted(conn.topics), "id": rid})
        else:
            await conn.send({"error": {"code": 2, "msg": f"Invalid request: unknown method {method!r}"}, "id": rid})

    async def _api_ws(self, request: web.Request) -> web.WebSocketResponse:
        return await self.ctx.hub.serve(request, self._on_api_message)

    async def _on_api_message(self, conn: Connection, msg: Any) -> None:
        if not isinstance(msg, dict):
            return
        rid, method, params = msg.get("id"), msg.get("method"), msg.get("params") or {}
        if method == "userDataStream.subscribe.signature":
            secret = self.ctx.secret_for(params.get("apiKey"))
            signed = "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "signature")
            if secret is None or not hmac.compare_digest(_sign(secret, signed), str(params.get("signature", ""))):
                error = {"code": -1022, "msg": "Signature for this request is not valid."}
                await conn.send({"id": rid, "status": 401, "error": error})
                return
            conn.topics.add(f"user:{params['apiKey']}")
            await conn.send({"id": rid, "status": 200, "result": {"subscriptionId": 0}})
        elif method in ("ping", "userDataStream.unsubscribe"):
            await conn.send({"id": rid, "status": 200, "result": {}})
        elif method == "time":
            await conn.send({"id": rid, "status": 200, "result": {"serverTime": _ms()}})
        else:
            await conn.send({"id": rid, "status": 400, "error": {"code": -1100, "msg": f"Unknown method {method!r}."}})

    # ------------------------------------------------------------------ hooks

    async def on_book_delta(self, symbol: str, delta: BookDelta) -> None:
        inst = self.ctx.instruments[symbol]
        wire = self.wire[symbol]
        low = wire.lower()
        pd, qd = inst.price_decimals, inst.qty_decimals
        message = {
            "e": "depthUpdate", "E": delta.timestamp, "s": wire, "U": delta.seq, "u": delta.seq,
            "b": [[_f(p, pd), _f(q, qd)] for p, q in delta.bids],
            "a": [[_f(p, pd), _f(q, qd)] for p, q in delta.asks],
        }  # fmt: skip
        await self.ctx.hub.broadcast(f"{low}@depth@100ms", message)
        await self.ctx.hub.broadcast(f"{low}@depth", message)
        if self.ctx.hub.subscribers(f"{low}@bookticker"):
            await self.ctx.hub.broadcast(f"{low}@bookticker", self._top(inst, delta.seq))

    async def on_trade(self, symbol: str, trade: PublicTrade) -> None:
        inst = self.ctx.instruments[symbol]
        low = self.wire[symbol].lower()
        agg = _agg_json(inst, trade)
        await self.ctx.hub.broadcast(f"{low}@aggtrade", {"e": "aggTrade", "E": _ms(), "s": self.wire[symbol], **agg})
        raw = {"e": "trade", "E": _ms(), "s": self.wire[symbol], "t": trade.trade_id, "p": agg["p"], "q": agg["q"],
               "T": trade.timestamp, "m": agg["m"], "M": True}  # fmt: skip
        await self.ctx.hub.broadcast(f"{low}@trade", raw)

    async def on_order_event(self, event: OrderEvent) -> None:
        o, fill = event.order, event.fill
        inst = self.ctx.instruments[o.symbol]
        pd, qd = inst.price_decimals, inst.qty_decimals
        canceled = event.kind is ExecKind.CANCELED
        report = {
            "e": "executionReport", "E": _ms(), "s": self.wire[o.symbol],
            "c": f"cancel-{o.order_id}" if canceled else o.client_order_id,
            "S": o.side.value.upper(), "o": self._order_json(o, inst)["type"],
            "f": "GTC" if o.type is OrderType.MARKET else o.time_in_force.value,
            "q": _f(o.quantity, qd), "p": _f(o.price, pd), "P": _f(0), "F": _f(0), "g": -1,
            "C": o.client_order_id if canceled else "", "x": _EXEC[event.kind], "X": _STATUS[o.status], "r": "NONE",
            "i": o.order_id, "l": _f(fill.qty if fill else 0.0, qd), "z": _f(o.filled, qd),
            "L": _f(fill.price if fill else 0.0, pd), "n": _f(fill.fee if fill else 0.0),
            "N": fill.fee_asset if fill else None, "T": fill.timestamp if fill else o.updated,
            "t": fill.trade_id if fill else -1, "I": o.order_id, "w": o.is_open, "m": bool(fill and fill.maker),
            "M": False, "O": o.created, "Z": _f(o.quote_filled), "Y": _f(fill.quote_qty if fill else 0.0),
            "Q": _f(o.quote_quantity), "W": o.created, "V": "EXPIRE_MAKER",
        }  # fmt: skip
        await self.ctx.hub.broadcast(f"user:{event.api_key}", {"subscriptionId": 0, "event": report})

    async def on_balance_event(self, event: BalanceEvent) -> None:
        balances = [{"a": a, "f": _f(b.free), "l": _f(b.locked)} for a, b in event.balances.items()]
        message = {"e": "outboundAccountPosition", "E": event.timestamp, "u": event.timestamp, "B": balances}
        await self.ctx.hub.broadcast(f"user:{event.api_key}", {"subscriptionId": 0, "event": message})


# ---------------------------------------------------------------------- helpers


async def _maybe(value: Any) -> Any:
    return await value if isinstance(value, Awaitable) else value


def _error_response(exc: _Reject | VenueError, cancel: bool = False) -> web.Response:
    if isinstance(exc, VenueError):
        status, code, msg = _ERRORS.get(
            exc.kind, (400, -1000, "An unknown error occurred while processing the request.")
        )
        if exc.kind is ErrorKind.PRECISION and "price" in exc.message.lower():
            msg = "Filter failure: PRICE_FILTER"
        if exc.kind is ErrorKind.UNKNOWN_ORDER and cancel:
            code, msg = -2011, "Unknown order sent."
        if exc.kind is ErrorKind.INVALID:
            msg = f"{msg} ({exc.message})"
    else:
        status, code, msg = exc.status, exc.code, exc.msg
    return web.json_response({"code": code, "msg": msg}, status=status)


def _check_timestamp(params: dict[str, str]) -> None:
    try:
        ts = int(params["timestamp"])
        window = int(params.get("recvWindow", 5000))
    except (KeyError, ValueError):
        raise _Reject(
            400, -1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed."
        ) from None
    now = _ms()
    if ts > now + 1000 or now - ts > window:
        raise _Reject(400, -1021, "Timestamp for this request is outside of the recvWindow.")


def _num(params: dict[str, str], key: str) -> float | None:
    raw = params.get(key)
    if raw is None or raw == "":
        return None
    try:
        return float(raw)
    except ValueError:
        raise _Reject(
            400,
            -1100,
            f"Illegal characters found in parameter '{key}'; legal range is '^([0-9]{{1,20}})(\\.[0-9]{{1,20}})?$'.",
        ) from None


def _agg_json(inst: Instrument, t: PublicTrade) -> dict[str, Any]:
    return {"a": t.trade_id, "p": _f(t.price, inst.price_decimals), "q": _f(t.qty, inst.qty_decimals),
            "f": t.trade_id, "l": t.trade_id, "T": t.timestamp, "m": t.side == "sell", "M": True}  # fmt: skip


def _symbol_info(wire: str, inst: Instrument) -> dict[str, Any]:
    pd, qd = inst.price_decimals, inst.qty_decimals
    big = "9000000.00000000"
    tick, step = _f(inst.tick_size, pd), _f(inst.step_size, qd)
    filters = [
        {"filterType": "PRICE_FILTER", "minPrice": tick, "maxPrice": big, "tickSize": tick},
        {"filterType": "LOT_SIZE", "minQty": _f(inst.min_qty, qd), "maxQty": big, "stepSize": step},
        {"filterType": "MARKET_LOT_SIZE", "minQty": _f(0), "maxQty": big, "stepSize": _f(0)},
        {"filterType": "NOTIONAL", "minNotional": _f(inst.min_notional), "applyMinToMarket": True,
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
