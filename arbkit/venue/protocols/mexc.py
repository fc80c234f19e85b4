"""MEXC spot wire protocol on the local venue: REST /api/v3 signed in the query, protobuf websocket pushes.

Shapes follow what ccxt 4.5.90 (ccxt/mexc.py, ccxt/pro/mexc.py) parses; frames are built with ccxt's bundled
``ccxt/protobuf/mexc`` classes, so the client decodes exactly what the real exchange sends. Errors use MEXC codes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from ccxt.protobuf.mexc import PrivateAccountV3Api_pb2 as account_pb
from ccxt.protobuf.mexc import PrivateOrdersV3Api_pb2 as orders_pb
from ccxt.protobuf.mexc import PublicAggreDealsV3Api_pb2 as deals_pb
from ccxt.protobuf.mexc import PublicAggreDepthsV3Api_pb2 as depth_pb
from ccxt.protobuf.mexc import PushDataV3ApiWrapper_pb2 as wrapper_pb

from arbkit.structs import OrderStatus, OrderType, Side, TimeInForce
from arbkit.venue.book import BookDelta
from arbkit.venue.engine import BalanceEvent, ErrorKind, OrderEvent, VenueError, VenueOrder
from arbkit.venue.hub import Connection
from arbkit.venue.instruments import Instrument
from arbkit.venue.market import PublicTrade
from arbkit.venue.protocols import ExchangeContext

__all__ = ["MexcProtocol"]

Handler = Callable[[dict[str, str], str], Any]

DEPTH = "spot@public.aggre.depth.v3.api.pb"
DEALS = "spot@public.aggre.deals.v3.api.pb"
ORDERS = "spot@private.orders.v3.api.pb"
ACCOUNT = "spot@private.account.v3.api.pb"
_FREQUENCIES = ("100ms", "10ms")

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
}
_REST_STATUS = {
    OrderStatus.OPEN: "NEW",
    OrderStatus.PARTIALLY_FILLED: "PARTIALLY_FILLED",
    OrderStatus.FILLED: "FILLED",
}
# order type on the wire -> (engine type, time in force, post only); the ws push numbers them 1..5.
_TYPES: dict[str, tuple[OrderType, TimeInForce, bool]] = {
    "LIMIT": (OrderType.LIMIT, TimeInForce.GTC, False),
    "LIMIT_MAKER": (OrderType.LIMIT, TimeInForce.GTC, True),
    "IMMEDIATE_OR_CANCEL": (OrderType.LIMIT, TimeInForce.IOC, False),
    "FILL_OR_KILL": (OrderType.LIMIT, TimeInForce.FOK, False),
    "MARKET": (OrderType.MARKET, TimeInForce.IOC, False),
}
_WS_TYPE = {"LIMIT": 1, "LIMIT_MAKER": 2, "IMMEDIATE_OR_CANCEL": 3, "FILL_OR_KILL": 4, "MARKET": 5}
_WS_STATUS = {OrderStatus.OPEN: 1, OrderStatus.FILLED: 2, OrderStatus.PARTIALLY_FILLED: 3}


def _ms() -> int:
    return int(time.time() * 1000)


def _f(value: float | None, decimals: int = 8) -> str:
    return f"{(value or 0.0):.{decimals}f}"


def _sign(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


class _Reject(Exception):
    """An answer in MEXC's error shape ``{"code": .., "msg": ..}``."""

    def __init__(self, code: int, msg: str, status: int = 400) -> None:
        super().__init__(msg)
        self.code, self.msg, self.status = code, msg, status


class _Names:
    """Wire <-> unified symbol names of the venue's instruments."""

    def __init__(self, ctx: ExchangeContext) -> None:
        self.ctx = ctx
        self.wire = {sym: inst.base + inst.quote for sym, inst in ctx.instruments.items()}
        self.unified = {w: s for s, w in self.wire.items()}

    def inst(self, params: dict[str, str]) -> Instrument:
        symbol = self.unified.get(params.get("symbol", "").upper())
        if symbol is None:
            raise _Reject(-1121, "Invalid symbol.")
        return self.ctx.instruments[symbol]


class _PublicRest:
    """Market data: exchange info, depth (lastUpdateId = venue seq), 24h ticker, recent trades."""

    def __init__(self, names: _Names) -> None:
        self.names, self.ctx = names, names.ctx

    def exchange_info(self, params: dict[str, str], _: str) -> dict[str, Any]:
        symbols = [_symbol_info(self.names.wire[s], i) for s, i in self.ctx.instruments.items()]
        return {"timezone": "CST", "serverTime": _ms(), "rateLimits": [], "exchangeFilters": [], "symbols": symbols}

    def depth(self, params: dict[str, str], _: str) -> dict[str, Any]:
        inst = self.names.inst(params)
        snap = self.ctx.book(inst.symbol).snapshot(min(int(params.get("limit", 100)), 5000))
        pd, qd = inst.price_decimals, inst.qty_decimals
        return {
            "lastUpdateId": snap.seq,
            "bids": [[_f(p, pd), _f(q, qd)] for p, q in snap.bids],
            "asks": [[_f(p, pd), _f(q, qd)] for p, q in snap.asks],
            "timestamp": snap.timestamp,
        }

    def ticker(self, params: dict[str, str], _: str) -> Any:
        if "symbol" in params:
            return self._ticker_of(self.names.inst(params))
        return [self._ticker_of(inst) for inst in self.ctx.instruments.values()]

    def _ticker_of(self, inst: Instrument) -> dict[str, Any]:
        book = self.ctx.book(inst.symbol)
        bid = (book.sorted_bids(1) or [(0.0, 0.0)])[0]
        ask = (book.sorted_asks(1) or [(0.0, 0.0)])[0]
        trades = self.ctx.trades(inst.symbol)
        prices = [t.price for t in trades] or [inst.round_price((bid[0] + ask[0]) / 2)]
        first, last = prices[0], prices[-1]
        pd, qd = inst.price_decimals, inst.qty_decimals
        now = _ms()
        return {
            "symbol": self.names.wire[inst.symbol], "priceChange": _f(last - first, pd),
            "priceChangePercent": _f((last - first) / first if first else 0.0, 6),  # a fraction on MEXC
            "prevClosePrice": _f(first, pd), "lastPrice": _f(last, pd),
            "bidPrice": _f(bid[0], pd), "bidQty": _f(bid[1], qd), "askPrice": _f(ask[0], pd), "askQty": _f(ask[1], qd),
            "openPrice": _f(first, pd), "highPrice": _f(max(prices), pd), "lowPrice": _f(min(prices), pd),
            "volume": _f(sum(t.qty for t in trades), qd), "quoteVolume": _f(sum(t.qty * t.price for t in trades)),
            "openTime": trades[0].timestamp if trades else now - 86_400_000, "closeTime": now, "count": len(trades),
        }  # fmt: skip

    def _recent(self, params: dict[str, str]) -> tuple[Instrument, list[PublicTrade]]:
        inst = self.names.inst(params)
        return inst, self.ctx.trades(inst.symbol, min(int(params.get("limit", 500)), 1000))

    def agg_trades(self, params: dict[str, str], _: str) -> list[dict[str, Any]]:
        inst, trades = self._recent(params)
        pd, qd = inst.price_decimals, inst.qty_decimals
        return [
            {"a": t.trade_id, "f": None, "l": None, "p": _f(t.price, pd), "q": _f(t.qty, qd), "T": t.timestamp,
             "m": t.side == "sell", "M": True}
            for t in trades
        ]  # fmt: skip

    def trades(self, params: dict[str, str], _: str) -> list[dict[str, Any]]:
        inst, trades = self._recent(params)
        pd, qd = inst.price_decimals, inst.qty_decimals
        return [
            {"id": t.trade_id, "price": _f(t.price, pd), "qty": _f(t.qty, qd), "quoteQty": _f(t.price * t.qty),
             "time": t.timestamp, "isBuyerMaker": t.side == "sell", "isBestMatch": True,
             "tradeType": "ASK" if t.side == "sell" else "BID"}
            for t in trades
        ]  # fmt: skip


class _PrivateRest:
    """Signed endpoints: account, fees, orders and the listenKey of the user data stream."""

    def __init__(self, names: _Names) -> None:
        self.names, self.ctx = names, names.ctx
        self.listen_keys: dict[str, str] = {}  # listenKey -> api key

    def account(self, params: dict[str, str], api_key: str) -> dict[str, Any]:
        balances = [
            {"asset": a, "free": _f(b.free), "locked": _f(b.locked), "available": _f(b.free)}
            for a, b in self.ctx.engine.account(api_key).balances.items()
            if b.free or b.locked
        ]
        return {
            "makerCommission": None, "takerCommission": None, "buyerCommission": None, "sellerCommission": None,
            "canTrade": True, "canWithdraw": True, "canDeposit": True, "updateTime": None, "accountType": "SPOT",
            "balances": balances, "permissions": ["SPOT"],
        }  # fmt: skip

    def trade_fee(self, params: dict[str, str], api_key: str) -> dict[str, Any]:
        inst = self.names.inst(params)
        data = {"makerCommission": inst.maker_fee, "takerCommission": inst.taker_fee}
        return {"data": data, "code": 0, "msg": "success", "timestamp": _ms()}

    def create(self, params: dict[str, str], api_key: str) -> dict[str, Any]:
        inst = self.names.inst(params)
        kind, side = params.get("type", "").upper(), params.get("side", "").upper()
        if kind not in _TYPES or side not in ("BUY", "SELL"):
            raise _Reject(-1128, "Combination of optional parameters invalid.")
        order_type, tif, post_only = _TYPES[kind]
        order = self.ctx.engine.place(
            api_key,
            inst.symbol,
            Side.BUY if side == "BUY" else Side.SELL,
            order_type,
            quantity=_num(params, "quantity"),
            price=_num(params, "price"),
            time_in_force=tif,
            quote_quantity=_num(params, "quoteOrderQty"),
            client_order_id=params.get("newClientOrderId"),
            post_only=post_only,
        )
        pd, qd = inst.price_decimals, inst.qty_decimals
        # MEXC acknowledges a new order without its status or fills: ask GET /api/v3/order for those.
        return {
            "symbol": self.names.wire[inst.symbol], "orderId": str(order.order_id), "orderListId": -1,
            "price": _f(order.price, pd), "origQty": _f(order.quantity, qd), "type": kind, "side": side,
            "transactTime": order.created,
        }  # fmt: skip

    def _find(self, params: dict[str, str]) -> tuple[Instrument, int | None, str | None]:
        inst = self.names.inst(params)
        oid, cid = params.get("orderId"), params.get("origClientOrderId")
        if not oid and not cid:
            raise _Reject(700004, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null")
        if oid and not oid.isdigit():
            raise VenueError(ErrorKind.UNKNOWN_ORDER, f"order {oid} does not exist")
        return inst, int(oid) if oid else None, cid

    def cancel(self, params: dict[str, str], api_key: str) -> dict[str, Any]:
        inst, oid, cid = self._find(params)
        order = self.ctx.engine.cancel(api_key, inst.symbol, oid, cid)
        return {"origClientOrderId": order.client_order_id, **self._order_json(order, inst)}

    def get_order(self, params: dict[str, str], api_key: str) -> dict[str, Any]:
        inst, oid, cid = self._find(params)
        return self._order_json(self.ctx.engine.get_order(api_key, inst.symbol, oid, cid), inst)

    def open_orders(self, params: dict[str, str], api_key: str) -> list[dict[str, Any]]:
        symbol = self.names.inst(params).symbol if "symbol" in params else None
        orders = self.ctx.engine.open_orders(api_key, symbol)
        return [self._order_json(o, self.ctx.instruments[o.symbol]) for o in orders]

    def _order_json(self, o: VenueOrder, inst: Instrument) -> dict[str, Any]:
        pd, qd = inst.price_decimals, inst.qty_decimals
        return {
            "symbol": self.names.wire[inst.symbol], "orderId": str(o.order_id), "orderListId": -1,
            "clientOrderId": o.client_order_id, "price": _f(o.price, pd), "origQty": _f(o.quantity, qd),
            "executedQty": _f(o.filled, qd), "cummulativeQuoteQty": _f(o.quote_filled), "status": _rest_status(o),
            "timeInForce": None, "type": _wire_type(o), "side": o.side.value.upper(), "stopPrice": None,
            "icebergQty": None, "time": o.created, "updateTime": o.updated, "isWorking": True,
            "origQuoteOrderQty": _f(o.quote_quantity),
        }  # fmt: skip

    def new_listen_key(self, params: dict[str, str], api_key: str) -> dict[str, Any]:
        key = secrets.token_hex(32)
        self.listen_keys[key] = api_key
        return {"listenKey": key}

    def keep_listen_key(self, params: dict[str, str], api_key: str) -> dict[str, Any]:
        key = params.get("listenKey", "")
        if self.listen_keys.get(key) != api_key:
            raise _Reject(730002, "Your input param is invalid")
        return {"listenKey": key}

    def close_listen_key(self, params: dict[str, str], api_key: str) -> dict[str, Any]:
        key = self._keep_listen_key(params, api_key)["listenKey"]
        del self.listen_keys[key]
        return {"listenKey": key}


class MexcProtocol:
    """MEXC spot: REST under /api/v3 (and /api/v1/contract for ccxt's swap listing), websockets on /ws."""

    name = "mexc"

    def __init__(self, ctx: ExchangeContext) -> None:
        self.ctx = ctx
        self.names = names = _Names(ctx)
        self.wire = names.wire
        self.public, self.private = _PublicRest(names), _PrivateRest(names)
        self._last_balance: dict[tuple[str, str], tuple[float, float]] = {}

    @property
    def credentials(self) -> tuple[str, str]:
        return self.ctx.api_key, self.ctx.secret

    def urls(self, origin: str) -> dict[str, str]:
        ws = origin.replace("http://", "ws://", 1)
        return {"base_url": f"{origin}/mexc", "websocket_url": f"{ws}/mexc/ws"}

    def routes(self) -> list[web.RouteDef]:
        public, signed, pub, priv = self._public, self._signed, self.public, self.private
        return [
            web.get("/api/v3/ping", public(lambda p, k: {})),
            web.get("/api/v3/time", public(lambda p, k: {"serverTime": _ms()})),
            web.get("/api/v3/exchangeInfo", public(pub.exchange_info)),
            web.get("/api/v3/depth", public(pub.depth)),
            web.get("/api/v3/ticker/24hr", public(pub.ticker)),
            web.get("/api/v3/aggTrades", public(pub.agg_trades)),
            web.get("/api/v3/trades", public(pub.trades)),
            web.get("/api/v1/contract/detail", public(lambda p, k: {"success": True, "code": 0, "data": []})),
            web.get("/api/v3/account", signed(priv.account)),
            web.get("/api/v3/tradeFee", signed(priv.trade_fee)),
            web.post("/api/v3/order", signed(priv.create)),
            web.delete("/api/v3/order", signed(priv.cancel)),
            web.get("/api/v3/order", signed(priv.get_order)),
            web.get("/api/v3/openOrders", signed(priv.open_orders)),
            web.post("/api/v3/userDataStream", signed(priv.new_listen_key)),
            web.put("/api/v3/userDataStream", signed(priv.keep_listen_key)),
            web.delete("/api/v3/userDataStream", signed(priv.close_listen_key)),
            web.get("/ws", self._ws),
        ]

    # ------------------------------------------------------------------ request plumbing

    def _public(self, handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def run(request: web.Request) -> web.Response:
            try:
                return web.json_response(handler(dict(request.query), ""))
            except (_Reject, VenueError) as exc:
                return _error_response(exc)

        return run

    def _signed(self, handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def run(request: web.Request) -> web.Response:
            try:
                params, api_key = self._authenticate(request)
                return web.json_response(handler(params, api_key))
            except (_Reject, VenueError) as exc:
                return _error_response(exc)

        return run

    def _authenticate(self, request: web.Request) -> tuple[dict[str, str], str]:
        """Check X-MEXC-APIKEY and the HMAC-SHA256 hex signature over the raw query before ``&signature=``."""
        api_key = request.headers.get("X-MEXC-APIKEY", "")
        secret = self.ctx.secret_for(api_key)
        if secret is None:
            raise _Reject(700001, "API-key format invalid.", 401)
        payload, found, signature = request.rel_url.raw_query_string.rpartition("&signature=")
        if not found or not hmac.compare_digest(_sign(secret, payload), signature):
            raise _Reject(700002, "Signature for this request is not valid.", 401)
        params = dict(parse_qsl(payload, keep_blank_values=True))
        try:
            ts, window = int(params["timestamp"]), int(params.get("recvWindow", 5000))
        except (KeyError, ValueError):
            raise _Reject(700002, "Signature for this request is not valid.", 401) from None
        now = _ms()
        if ts > now + 1000 or now - ts > window:
            raise _Reject(700003, "Timestamp for this request is outside of the recvWindow.")
        return params, api_key

    # ------------------------------------------------------------------ websocket

    async def _ws(self, request: web.Request) -> web.WebSocketResponse:
        listen_key = request.query.get("listenKey")

        async def on_open(conn: Connection) -> None:
            if listen_key is None:
                return
            api_key = self.private.listen_keys.get(listen_key)
            if api_key is None:
                await conn.send("Invalid listen key")
                await conn.ws.close()
                return
            conn.state["api_key"] = api_key

        return await self.ctx.hub.serve(request, self._on_message, on_open)

    async def _on_message(self, conn: Connection, msg: Any) -> None:
        if not isinstance(msg, dict):
            return
        method = str(msg.get("method", "")).upper()
        channels = [str(c) for c in msg.get("params") or []]
        if method == "PING":
            await conn.send({"id": 0, "code": 0, "msg": "PONG"})
        elif method == "SUBSCRIPTION":
            refused = [c for c in channels if not self._allowed(conn, c)]
            conn.topics.update(c for c in channels if c not in refused)
            if refused:
                await conn.send(
                    {"id": 0, "code": 0, "msg": f"Not Subscribed successfully! {refused}. Reason: Blocked!"}
                )
            else:
                await conn.send({"id": 0, "code": 0, "msg": ",".join(channels)})
        elif method == "UNSUBSCRIPTION":
            conn.topics.difference_update(channels)
            await conn.send({"id": 0, "code": 0, "msg": ",".join(channels)})

    def _allowed(self, conn: Connection, channel: str) -> bool:
        if channel in (ORDERS, ACCOUNT):
            return "api_key" in conn.state
        parts = channel.split("@")
        return len(parts) == 4 and f"{parts[0]}@{parts[1]}" in (DEPTH, DEALS) and parts[3] in self.names.unified

    async def _push(self, topic: str, frame: wrapper_pb.PushDataV3ApiWrapper, api_key: str | None = None) -> None:
        targets = [c for c in self.ctx.hub.subscribers(topic) if api_key is None or c.state.get("api_key") == api_key]
        if targets:
            data = frame.SerializeToString()
            for conn in targets:
                await conn.send(data)

    # ------------------------------------------------------------------ hooks

    async def on_book_delta(self, symbol: str, delta: BookDelta) -> None:
        inst, wire = self.ctx.instruments[symbol], self.wire[symbol]
        pd, qd = inst.price_decimals, inst.qty_decimals
        for freq in _FREQUENCIES:
            topic = f"{DEPTH}@{freq}@{wire}"
            if not self.ctx.hub.subscribers(topic):
                continue
            body = depth_pb.PublicAggreDepthsV3Api(
                asks=_depth_items(delta.asks, pd, qd), bids=_depth_items(delta.bids, pd, qd),
                eventType=f"{DEPTH}@{freq}", fromVersion=str(delta.prev_seq + 1), toVersion=str(delta.seq),
            )  # fmt: skip
            frame = _frame(topic, wire, delta.timestamp, publicAggreDepths=body)
            await self._push(topic, frame)

    async def on_trade(self, symbol: str, trade: PublicTrade) -> None:
        inst, wire = self.ctx.instruments[symbol], self.wire[symbol]
        for freq in _FREQUENCIES:
            topic = f"{DEALS}@{freq}@{wire}"
            if not self.ctx.hub.subscribers(topic):
                continue
            item = deals_pb.PublicAggreDealsV3ApiItem(
                price=_f(trade.price, inst.price_decimals), quantity=_f(trade.qty, inst.qty_decimals),
                tradeType=2 if trade.side == "sell" else 1, time=trade.timestamp,
            )  # fmt: skip
            body = deals_pb.PublicAggreDealsV3Api(deals=[item], eventType=f"{DEALS}@{freq}")
            frame = _frame(topic, wire, _ms(), publicAggreDeals=body)
            await self._push(topic, frame)

    async def on_order_event(self, event: OrderEvent) -> None:
        o, fill = event.order, event.fill
        inst = self.ctx.instruments[o.symbol]
        pd, qd = inst.price_decimals, inst.qty_decimals
        body = orders_pb.PrivateOrdersV3Api(
            id=str(o.order_id), clientId=o.client_order_id, price=_f(o.price, pd) if o.price is not None else "",
            quantity=_f(o.quantity, qd), avgPrice=_f(o.average, pd),
            amount=_f((o.price or 0.0) * o.quantity if o.price is not None else o.quote_quantity),
            orderType=_WS_TYPE[_wire_type(o)], tradeType=1 if o.side is Side.BUY else 2,
            isMaker=bool(fill and fill.maker),
            remainAmount=_f(max(o.locked, 0.0)), remainQuantity=_f(o.remaining, qd),
            cumulativeQuantity=_f(o.filled, qd), cumulativeAmount=_f(o.quote_filled),
            status=_WS_STATUS.get(o.status, 5 if o.filled > 0 else 4), createTime=o.created,
        )  # fmt: skip
        if fill is not None:
            body.lastDealQuantity = _f(fill.qty, qd)
        frame = _frame(ORDERS, self.wire[o.symbol], o.updated, privateOrders=body)
        await self._push(ORDERS, frame, event.api_key)

    async def on_balance_event(self, event: BalanceEvent) -> None:
        for asset, bal in event.balances.items():
            free, locked = self._last_balance.get((event.api_key, asset), (bal.free, bal.locked))
            self._last_balance[(event.api_key, asset)] = (bal.free, bal.locked)
            body = account_pb.PrivateAccountV3Api(
                vcoinName=asset, coinId=asset, balanceAmount=_f(bal.free), balanceAmountChange=_f(bal.free - free),
                frozenAmount=_f(bal.locked), frozenAmountChange=_f(bal.locked - locked), type="ENTRUST",
                time=event.timestamp,
            )  # fmt: skip
            frame = _frame(ACCOUNT, None, _ms(), createTime=event.timestamp, privateAccount=body)
            await self._push(ACCOUNT, frame, event.api_key)


# ---------------------------------------------------------------------- helpers


def _error_response(exc: _Reject | VenueError) -> web.Response:
    if isinstance(exc, VenueError):
        code, msg = _ERRORS.get(exc.kind, (-1128, "Combination of optional parameters invalid."))
        return web.json_response({"code": code, "msg": f"{msg} ({exc.message})"}, status=400)
    return web.json_response({"code": exc.code, "msg": exc.msg}, status=exc.status)


def _frame(channel: str, symbol: str | None, send_time: int, **body: Any) -> wrapper_pb.PushDataV3ApiWrapper:
    """One push as MEXC wraps it: channel, symbol, send time and exactly one body."""
    if symbol is not None:
        body["symbol"] = symbol
    return wrapper_pb.PushDataV3ApiWrapper(channel=channel, sendTime=send_time, **body)


def _depth_items(levels: list[tuple[float, float]], pd: int, qd: int) -> list[Any]:
    return [depth_pb.PublicAggreDepthV3ApiItem(price=_f(p, pd), quantity=_f(q, qd)) for p, q in levels]


def _rest_status(o: VenueOrder) -> str:
    if o.status in _REST_STATUS:
        return _REST_STATUS[o.status]
    return "PARTIALLY_CANCELED" if o.filled > 0 else "CANCELED"


def _wire_type(o: VenueOrder) -> str:
    if o.type is OrderType.MARKET:
        return "MARKET"
    if o.post_only:
        return "LIMIT_MAKER"
    return {TimeInForce.IOC: "IMMEDIATE_OR_CANCEL", TimeInForce.FOK: "FILL_OR_KILL"}.get(o.time_in_force, "LIMIT")


def _num(params: dict[str, str], key: str) -> float | None:
    raw = params.get(key)
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise _Reject(700008, f"Illegal characters found in parameter '{key}'.") from None


def _symbol_info(wire: str, inst: Instrument) -> dict[str, Any]:
    """ccxt reads precision as 10**-baseAssetPrecision / 10**-quoteAssetPrecision, minimums from baseSizePrecision
    (amount) and quoteAmountPrecision (cost)."""
    pd, qd = inst.price_decimals, inst.qty_decimals
    return {
        "symbol": wire, "status": "1", "baseAsset": inst.base, "baseAssetPrecision": qd, "quoteAsset": inst.quote,
        "quotePrecision": pd, "quoteAssetPrecision": pd, "baseCommissionPrecision": qd, "quoteCommissionPrecision": pd,
        "orderTypes": ["LIMIT", "MARKET", "LIMIT_MAKER"], "isSpotTradingAllowed": True, "isMarginTradingAllowed": False,
        "quoteAmountPrecision": _f(inst.min_notional, 2), "baseSizePrecision": _f(inst.min_qty, qd),
        "permissions": ["SPOT"], "filters": [], "maxQuoteAmount": "2000000", "makerCommission": _f(inst.maker_fee),
        "takerCommission": _f(inst.taker_fee), "quoteAmountPrecisionMarket": _f(inst.min_notional, 2),
        "maxQuoteAmountMarket": "100000", "fullName": inst.base, "tradeSideType": 1,
    }  # fmt: skip
