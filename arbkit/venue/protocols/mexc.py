"""MEXC spot wire protocol on the local venue: REST /api/v3 signed in the query, protobuf websocket pushes.

Shapes follow what ccxt 4.5.90 (ccxt/mexc.py, ccxt/pro/mexc.py) parses; frames are built with ccxt's bundled
``ccxt/protobuf/mexc`` classes, so the client decodes exactly what the real exchange sends. Errors use MEXC codes.
REST handlers live in ``mexc_rest``, code tables and payload builders in ``mexc_wire``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from ccxt.protobuf.mexc import PrivateAccountV3Api_pb2 as account_pb
from ccxt.protobuf.mexc import PrivateOrdersV3Api_pb2 as orders_pb
from ccxt.protobuf.mexc import PublicAggreDealsV3Api_pb2 as deals_pb
from ccxt.protobuf.mexc import PublicAggreDepthsV3Api_pb2 as depth_pb
from ccxt.protobuf.mexc import PushDataV3ApiWrapper_pb2 as wrapper_pb

from arbkit.structs import Side
from arbkit.venue.book import BookDelta
from arbkit.venue.engine import BalanceEvent, OrderEvent
from arbkit.venue.hub import Connection
from arbkit.venue.market import PublicTrade
from arbkit.venue.protocols import ExchangeContext
from arbkit.venue.protocols.hmac_query import (
    Handler,
    Reject,
    SymbolNames,
    endpoint,
    fmt,
    in_recv_window,
    ms,
    no_auth,
    signature_ok,
)
from arbkit.venue.protocols.mexc_rest import MexcPrivateRest, MexcPublicRest
from arbkit.venue.protocols.mexc_wire import (
    ACCOUNT,
    DEALS,
    DEPTH,
    FREQUENCIES,
    ORDERS,
    WS_STATUS,
    WS_TYPE,
    depth_items,
    frame,
    reject_of,
    wire_type,
)

__all__ = ["MexcProtocol"]


class MexcProtocol:
    """MEXC spot: REST under /api/v3 (and /api/v1/contract for ccxt's swap listing), websockets on /ws."""

    name = "mexc"

    def __init__(self, ctx: ExchangeContext) -> None:
        self.ctx = ctx
        self.names = names = SymbolNames(ctx.instruments)
        self.wire = names.wire
        self.public, self.private = MexcPublicRest(ctx, names), MexcPrivateRest(ctx, names)
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
            web.get("/api/v3/time", public(lambda p, k: {"serverTime": ms()})),
            web.get("/api/v3/exchangeInfo", public(pub.exchange_info)),
            web.get("/api/v3/depth", public(pub.depth)),
            web.get("/api/v3/ticker/24hr", public(pub.ticker)),
            web.get("/api/v3/aggTrades", public(pub.agg_trades)),
            web.get("/api/v3/trades", public(pub.trades)),
            web.get("/api/v1/contract/detail", public(lambda p, k: {"success": True, "code": 0, "data": []})),
            web.get("/api/v3/account", signed(priv.account)),
            web.get("/api/v3/tradeFee", signed(priv.trade_fee)),
            web.post("/api/v3/order", self.ctx.engine.faults.entry(signed(priv.create))),
            web.post("/api/v3/order/test", signed(priv.test_order)),
            web.delete("/api/v3/openOrders", signed(priv.cancel_open_orders)),
            web.get("/api/v3/myTrades", signed(priv.my_trades)),
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
        return endpoint(handler, no_auth, reject_of)

    def _signed(self, handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
        return endpoint(handler, self._authenticate, reject_of)

    async def _authenticate(self, request: web.Request) -> tuple[dict[str, str], str]:
        """Check X-MEXC-APIKEY and the HMAC-SHA256 hex signature over the raw query before ``&signature=``."""
        api_key = request.headers.get("X-MEXC-APIKEY", "")
        secret = self.ctx.secret_for(api_key)
        if secret is None:
            raise Reject(700001, "API-key format invalid.", 401)
        payload, found, signature = request.rel_url.raw_query_string.rpartition("&signature=")
        if not found or not signature_ok(secret, payload, signature):
            raise Reject(700002, "Signature for this request is not valid.", 401)
        params = dict(parse_qsl(payload, keep_blank_values=True))
        try:
            fresh = in_recv_window(params)
        except (KeyError, ValueError):
            raise Reject(700002, "Signature for this request is not valid.", 401) from None
        if not fresh:
            raise Reject(700003, "Timestamp for this request is outside of the recvWindow.")
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
            conn.state["private"] = True

        return await self.ctx.hub.serve(request, self._on_message, on_open)

    async def _on_message(self, conn: Connection, msg: Any) -> None:
        if not isinstance(msg, dict):
            return
        method = str(msg.get("method", "")).upper()
        params = msg.get("params") or []
        if not isinstance(params, list) or not all(isinstance(c, str) for c in params):
            await conn.send({"id": 0, "code": 0, "msg": f"Not Subscribed successfully! [{params}]. Reason: Blocked!"})
            return
        channels = list(params)
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

    async def _push(self, topic: str, push: wrapper_pb.PushDataV3ApiWrapper, api_key: str | None = None) -> None:
        targets = [c for c in self.ctx.hub.subscribers(topic) if api_key is None or c.state.get("api_key") == api_key]
        if targets:
            data = push.SerializeToString()
            for conn in targets:
                await conn.send(data)

    # ------------------------------------------------------------------ hooks

    async def on_book_delta(self, symbol: str, delta: BookDelta) -> None:
        inst, wire = self.ctx.instruments[symbol], self.wire[symbol]
        pd, qd = inst.price_decimals, inst.qty_decimals
        for freq in FREQUENCIES:
            topic = f"{DEPTH}@{freq}@{wire}"
            if not self.ctx.hub.subscribers(topic):
                continue
            body = depth_pb.PublicAggreDepthsV3Api(
                asks=depth_items(delta.asks, pd, qd), bids=depth_items(delta.bids, pd, qd),
                eventType=f"{DEPTH}@{freq}", fromVersion=str(delta.prev_seq + 1), toVersion=str(delta.seq),
            )  # fmt: skip
            await self._push(topic, frame(topic, wire, delta.timestamp, publicAggreDepths=body))

    async def on_trade(self, symbol: str, trade: PublicTrade) -> None:
        inst, wire = self.ctx.instruments[symbol], self.wire[symbol]
        for freq in FREQUENCIES:
            topic = f"{DEALS}@{freq}@{wire}"
            if not self.ctx.hub.subscribers(topic):
                continue
            item = deals_pb.PublicAggreDealsV3ApiItem(
                price=fmt(trade.price, inst.price_decimals), quantity=fmt(trade.qty, inst.qty_decimals),
                tradeType=2 if trade.side == "sell" else 1, time=trade.timestamp,
            )  # fmt: skip
            body = deals_pb.PublicAggreDealsV3Api(deals=[item], eventType=f"{DEALS}@{freq}")
            await self._push(topic, frame(topic, wire, ms(), publicAggreDeals=body))

    async def on_order_event(self, event: OrderEvent) -> None:
        o, fill = event.order, event.fill
        inst = self.ctx.instruments[o.symbol]
        pd, qd = inst.price_decimals, inst.qty_decimals
        body = orders_pb.PrivateOrdersV3Api(
            id=str(o.order_id), clientId=o.client_order_id, price=fmt(o.price, pd) if o.price is not None else "",
            quantity=fmt(o.quantity, qd), avgPrice=fmt(o.average, pd),
            amount=fmt((o.price or 0.0) * o.quantity if o.price is not None else o.quote_quantity),
            orderType=WS_TYPE[wire_type(o)], tradeType=1 if o.side is Side.BUY else 2,
            isMaker=bool(fill and fill.maker),
            remainAmount=fmt(max(o.locked, 0.0)), remainQuantity=fmt(o.remaining, qd),
            cumulativeQuantity=fmt(o.filled, qd), cumulativeAmount=fmt(o.quote_filled),
            status=WS_STATUS.get(o.status, 5 if o.filled > 0 else 4), createTime=o.created,
        )  # fmt: skip
        if fill is not None:
            body.lastDealQuantity = fmt(fill.qty, qd)
        await self._push(ORDERS, frame(ORDERS, self.wire[o.symbol], o.updated, privateOrders=body), event.api_key)

    async def on_balance_event(self, event: BalanceEvent) -> None:
        for asset, bal in event.balances.items():
            free, locked = self._last_balance.get((event.api_key, asset), (bal.free, bal.locked))
            self._last_balance[(event.api_key, asset)] = (bal.free, bal.locked)
            body = account_pb.PrivateAccountV3Api(
                vcoinName=asset, coinId=asset, balanceAmount=fmt(bal.free), balanceAmountChange=fmt(bal.free - free),
                frozenAmount=fmt(bal.locked), frozenAmountChange=fmt(bal.locked - locked), type="ENTRUST",
                time=event.timestamp,
            )  # fmt: skip
            push = frame(ACCOUNT, None, ms(), createTime=event.timestamp, privateAccount=body)
            await self._push(ACCOUNT, push, event.api_key)
