"""Binance spot wire protocol on the local venue: REST /api/v3 (+ sapi trade fees), market streams, ws-api user data.

Shapes follow what ccxt 4.5.90 (ccxt/binance.py, ccxt/pro/binance.py) parses; errors use Binance's codes.
REST handlers live in ``binance_rest``, payload shapes and error tables in ``binance_wire``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from arbkit.structs import OrderType
from arbkit.venue.book import BookDelta
from arbkit.venue.engine import BalanceEvent, ExecKind, OrderEvent
from arbkit.venue.hub import Connection
from arbkit.venue.market import PublicTrade
from arbkit.venue.protocols import ExchangeContext
from arbkit.venue.protocols.binance_rest import BinancePrivateRest, BinancePublicRest
from arbkit.venue.protocols.binance_wire import EXEC, STATUS, agg_json, check_timestamp, order_kind, reject_of, top_json
from arbkit.venue.protocols.hmac_query import Handler, Reject, SymbolNames, endpoint, fmt, ms, no_auth, signature_ok

__all__ = ["BinanceProtocol"]


class BinanceProtocol:
    """Binance spot: REST under /api/v3, market streams under /stream/ws/<n>, user data on /ws-api/v3."""

    name = "binance"

    def __init__(self, ctx: ExchangeContext) -> None:
        self.ctx = ctx
        self.names = names = SymbolNames(ctx.instruments)
        self.wire, self.unified = names.wire, names.unified
        self.public, self.private = BinancePublicRest(ctx, names), BinancePrivateRest(ctx, names)

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
        public, signed, pub, priv = self._public, self._signed, self.public, self.private
        return [
            web.get("/api/v3/ping", public(lambda p, k: {})),
            web.get("/api/v3/time", public(lambda p, k: {"serverTime": ms()})),
            web.get("/api/v3/exchangeInfo", public(pub.exchange_info)),
            web.get("/api/v3/depth", public(pub.depth)),
            web.get("/api/v3/ticker/24hr", public(pub.ticker)),
            web.get("/api/v3/ticker/bookTicker", public(pub.book_ticker)),
            web.get("/api/v3/aggTrades", public(pub.agg_trades)),
            web.get("/api/v3/trades", public(pub.trades)),
            web.get("/api/v3/account", signed(priv.account)),
            web.get("/api/v3/account/commission", signed(priv.commission)),
            web.get("/sapi/v1/asset/tradeFee", signed(priv.trade_fee)),
            web.post("/api/v3/order", self.ctx.engine.faults.entry(signed(priv.create))),
            web.post("/api/v3/order/test", signed(priv.test_order)),
            web.delete("/api/v3/openOrders", signed(priv.cancel_open_orders)),
            web.delete("/api/v3/order", signed(priv.cancel)),
            web.get("/api/v3/order", signed(priv.get_order)),
            web.get("/api/v3/openOrders", signed(priv.open_orders)),
            web.get("/api/v3/myTrades", signed(priv.my_trades)),
            web.get("/stream/ws", self._market_ws),
            web.get("/stream/ws/{n}", self._market_ws),
            web.get("/ws-api/v3", self._api_ws),
        ]

    # ------------------------------------------------------------------ request plumbing

    def _public(self, handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
        return endpoint(handler, no_auth, reject_of)

    def _signed(self, handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
        return endpoint(handler, self._authenticate, reject_of)

    async def _authenticate(self, request: web.Request) -> tuple[dict[str, str], str]:
        """Check X-MBX-APIKEY and the HMAC-SHA256 hex signature over query + body before ``signature=``."""
        api_key = request.headers.get("X-MBX-APIKEY", "")
        secret = self.ctx.secret_for(api_key)
        if secret is None:
            raise Reject(-2015, "Invalid API-key, IP, or permissions for action.", 401)
        query = request.rel_url.raw_query_string
        body = (await request.read()).decode() if request.body_exists else ""  # read() keeps an already read body
        payload = query + body
        cut = payload.rfind("signature=")
        if cut < 0:
            raise Reject(-1102, "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.")
        signature = payload[cut + len("signature=") :].split("&")[0]
        if not signature_ok(secret, payload[:cut].rstrip("&"), signature):
            raise Reject(-1022, "Signature for this request is not valid.")
        params = dict(parse_qsl(query, keep_blank_values=True))
        params.update(parse_qsl(body, keep_blank_values=True))
        check_timestamp(params)
        return params, api_key

    # ------------------------------------------------------------------ websockets

    async def _market_ws(self, request: web.Request) -> web.WebSocketResponse:
        return await self.ctx.hub.serve(request, self._on_market_message)

    async def _on_market_message(self, conn: Connection, msg: Any) -> None:
        if not isinstance(msg, dict):
            return
        method, rid = str(msg.get("method", "")).upper(), msg.get("id")
        params = msg.get("params") or []
        if not isinstance(params, list) or not all(isinstance(s, str) for s in params):
            error = {"code": 2, "msg": "Invalid request: 'params' must be an array of strings"}
            await conn.send({"error": error, "id": rid})
            return
        streams = [s.lower() for s in params]
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
        if not isinstance(params, dict):
            error = {"code": -1102, "msg": "Mandatory parameter 'params' was not sent, was empty/null, or malformed."}
            await conn.send({"id": rid, "status": 400, "error": error})
            return
        if method == "userDataStream.subscribe.signature":
            secret = self.ctx.secret_for(params.get("apiKey"))
            signed = "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "signature")
            if secret is None or not signature_ok(secret, signed, str(params.get("signature", ""))):
                error = {"code": -1022, "msg": "Signature for this request is not valid."}
                await conn.send({"id": rid, "status": 401, "error": error})
                return
            conn.topics.add(f"user:{params['apiKey']}")
            conn.state["private"] = True
            await conn.send({"id": rid, "status": 200, "result": {"subscriptionId": 0}})
        elif method in ("ping", "userDataStream.unsubscribe"):
            await conn.send({"id": rid, "status": 200, "result": {}})
        elif method == "time":
            await conn.send({"id": rid, "status": 200, "result": {"serverTime": ms()}})
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
            "b": [[fmt(p, pd), fmt(q, qd)] for p, q in delta.bids],
            "a": [[fmt(p, pd), fmt(q, qd)] for p, q in delta.asks],
        }  # fmt: skip
        await self.ctx.hub.broadcast(f"{low}@depth@100ms", message)
        await self.ctx.hub.broadcast(f"{low}@depth", message)
        if self.ctx.hub.subscribers(f"{low}@bookticker"):
            await self.ctx.hub.broadcast(f"{low}@bookticker", top_json(wire, inst, self.ctx.book(symbol), delta.seq))

    async def on_trade(self, symbol: str, trade: PublicTrade) -> None:
        inst = self.ctx.instruments[symbol]
        low = self.wire[symbol].lower()
        agg = agg_json(inst, trade)
        await self.ctx.hub.broadcast(f"{low}@aggtrade", {"e": "aggTrade", "E": ms(), "s": self.wire[symbol], **agg})
        raw = {"e": "trade", "E": ms(), "s": self.wire[symbol], "t": trade.trade_id, "p": agg["p"], "q": agg["q"],
               "T": trade.timestamp, "m": agg["m"], "M": True}  # fmt: skip
        await self.ctx.hub.broadcast(f"{low}@trade", raw)

    async def on_order_event(self, event: OrderEvent) -> None:
        o, fill = event.order, event.fill
        inst = self.ctx.instruments[o.symbol]
        pd, qd = inst.price_decimals, inst.qty_decimals
        canceled = event.kind is ExecKind.CANCELED
        report = {
            "e": "executionReport", "E": ms(), "s": self.wire[o.symbol],
            "c": f"cancel-{o.order_id}" if canceled else o.client_order_id,
            "S": o.side.value.upper(), "o": order_kind(o),
            "f": "GTC" if o.type is OrderType.MARKET else o.time_in_force.value,
            "q": fmt(o.quantity, qd), "p": fmt(o.price, pd), "P": fmt(0), "F": fmt(0), "g": -1,
            "C": o.client_order_id if canceled else "", "x": EXEC[event.kind], "X": STATUS[o.status], "r": "NONE",
            "i": o.order_id, "l": fmt(fill.qty if fill else 0.0, qd), "z": fmt(o.filled, qd),
            "L": fmt(fill.price if fill else 0.0, pd), "n": fmt(fill.fee if fill else 0.0),
            "N": fill.fee_asset if fill else None, "T": fill.timestamp if fill else o.updated,
            "t": fill.trade_id if fill else -1, "I": o.order_id, "w": o.is_open, "m": bool(fill and fill.maker),
            "M": False, "O": o.created, "Z": fmt(o.quote_filled), "Y": fmt(fill.quote_qty if fill else 0.0),
            "Q": fmt(o.quote_quantity), "W": o.created, "V": "EXPIRE_MAKER",
        }  # fmt: skip
        await self.ctx.hub.broadcast(f"user:{event.api_key}", {"subscriptionId": 0, "event": report})

    async def on_balance_event(self, event: BalanceEvent) -> None:
        balances = [{"a": a, "f": fmt(b.free), "l": fmt(b.locked)} for a, b in event.balances.items()]
        message = {"e": "outboundAccountPosition", "E": event.timestamp, "u": event.timestamp, "B": balances}
        await self.ctx.hub.broadcast(f"user:{event.api_key}", {"subscriptionId": 0, "event": message})
