"""Gate.io v4 REST on the local venue: the public market-data endpoints and the signed private ones under
``/api/v4`` (KEY / Timestamp / SIGN verified as Gate does), with refusals in Gate's error form."""

from __future__ import annotations

import hmac
import math
import time
from typing import Any
from urllib.parse import unquote_plus

import msgspec
from aiohttp import web

from arbkit.structs import OrderType, Side, TimeInForce
from arbkit.venue.cancel_timers import CancelTimers
from arbkit.venue.clock import venue_ms
from arbkit.venue.engine import VenueError, VenueOrder
from arbkit.venue.protocols import ExchangeContext
from arbkit.venue.protocols.gateio_auth import is_fresh, rest_signature
from arbkit.venue.protocols.gateio_payloads import GateError, GatePayloads, num, order_text, pair_id, user_id

__all__ = ["GatePrivateRest", "GatePublicRest"]

API = "/api/v4"
_TIF = {"gtc": TimeInForce.GTC, "ioc": TimeInForce.IOC, "fok": TimeInForce.FOK, "poc": TimeInForce.GTC}

Handler = Any  # an aiohttp request handler


def _guarded(fn: Handler) -> Handler:
    """Turn GateError / VenueError into Gate's error body and status."""

    async def handler(request: web.Request) -> web.StreamResponse:
        try:
            return await fn(request)
        except GateError as exc:
            return exc.response()
        except VenueError as exc:
            return GateError.of(exc).response()

    return handler


class GatePublicRest:
    """Public market data: currency pairs, order book (``id`` = book sequence id), tickers, trades, time."""

    def __init__(self, ctx: ExchangeContext, payloads: GatePayloads) -> None:
        self.ctx, self.p = ctx, payloads

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get(f"{API}/spot/currency_pairs", _guarded(self.currency_pairs)),
            web.get(f"{API}/spot/currency_pairs/{{pair}}", _guarded(self.currency_pair)),
            web.get(f"{API}/margin/currency_pairs", _guarded(self.margin_pairs)),
            web.get(f"{API}/spot/order_book", _guarded(self.order_book)),
            web.get(f"{API}/spot/tickers", _guarded(self.tickers)),
            web.get(f"{API}/spot/trades", _guarded(self.trades)),
            web.get(f"{API}/spot/time", _guarded(self.server_time)),
        ]

    async def currency_pairs(self, request: web.Request) -> web.Response:
        return web.json_response([self.p.currency_pair(i) for i in self.ctx.instruments.values()])

    async def currency_pair(self, request: web.Request) -> web.Response:
        return web.json_response(self.p.currency_pair(self.p.inst(request.match_info["pair"])))

    async def margin_pairs(self, request: web.Request) -> web.Response:
        """The venue lends nothing: no pair is margin-tradable (ccxt always asks alongside the spot pairs)."""
        return web.json_response([])

    async def order_book(self, request: web.Request) -> web.Response:
        inst = self.p.inst(request.query.get("currency_pair"))
        limit = _int_param(request, "limit", 10, 1, 1000)
        snap = self.ctx.book(inst.symbol).snapshot(limit)
        body: dict[str, Any] = {
            "current": int(time.time() * 1000),
            "update": snap.timestamp,
            "asks": self.p.levels(inst, snap.asks),
            "bids": self.p.levels(inst, snap.bids),
        }
        if request.query.get("with_id", "").lower() == "true":
            body = {"id": snap.seq, **body}
        return web.json_response(body)

    async def tickers(self, request: web.Request) -> web.Response:
        pair = request.query.get("currency_pair")
        insts = [self.p.inst(pair)] if pair else list(self.ctx.instruments.values())
        out = [self.p.ticker(i, self.ctx.book(i.symbol).snapshot(1), self.ctx.trades(i.symbol)) for i in insts]
        return web.json_response(out)

    async def trades(self, request: web.Request) -> web.Response:
        inst = self.p.inst(request.query.get("currency_pair"))
        limit = _int_param(request, "limit", 100, 1, 1000)
        tape = self.ctx.trades(inst.symbol, limit)
        return web.json_response([self.p.trade(inst, t) for t in reversed(tape)])

    async def server_time(self, request: web.Request) -> web.Response:
        return web.json_response({"server_time": venue_ms()})


def _int_param(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    try:
        value = default if raw is None else int(raw)
    except ValueError:
        raise GateError("INVALID_PARAM_VALUE", f"invalid argument: {name}") from None
    if not low <= value <= high:
        raise GateError("INVALID_PARAM_VALUE", f"invalid argument: {name} out of range [{low}, {high}]")
    return value


def _float(body: dict[str, Any], name: str) -> float:
    try:
        value = float(body[name])
    except (KeyError, TypeError, ValueError):
        raise GateError("INVALID_PARAM_VALUE", f"invalid argument: {name}") from None
    if not math.isfinite(value) or value <= 0:
        raise GateError("INVALID_PARAM_VALUE", f"invalid argument: {name} must be positive")
    return value


def _order_ref(raw: str) -> tuple[int | None, str | None]:
    """A path order id is either Gate's numeric id or the ``t-...`` text given at creation; anything else (blank,
    path-like, over-long) is Gate's INVALID_PARAM_VALUE."""
    if raw.isascii() and raw.isdigit() and len(raw) <= 20:
        return int(raw), None
    if not raw.strip() or len(raw) > 64 or any(c in raw for c in "/?#% ") or set(raw) <= {"."}:
        raise GateError("INVALID_PARAM_VALUE", "invalid argument: order_id")
    return None, raw


class GatePrivateRest:
    """Signed endpoints (KEY / Timestamp / SIGN verified as Gate does): accounts, orders, fees."""

    def __init__(self, ctx: ExchangeContext, payloads: GatePayloads) -> None:
        self.ctx, self.p = ctx, payloads
        self.prefix = f"/{ctx.name}"
        self.timers = CancelTimers(ctx.engine)

    def routes(self) -> list[web.RouteDef]:
        signed = self._signed
        return [
            web.get(f"{API}/spot/accounts", signed(self.accounts)),
            web.post(f"{API}/spot/orders", self.ctx.engine.faults.entry(signed(self.create_order))),
            web.get(f"{API}/spot/orders", signed(self.list_orders)),
            web.delete(f"{API}/spot/orders", signed(self.cancel_all)),
            web.post(f"{API}/spot/countdown_cancel_all", signed(self.countdown_cancel_all)),
            web.get(f"{API}/spot/orders/{{order_id}}", signed(self.get_order)),
            web.delete(f"{API}/spot/orders/{{order_id}}", signed(self.cancel_order)),
            web.get(f"{API}/spot/open_orders", signed(self.open_orders)),
            web.get(f"{API}/spot/my_trades", signed(self.my_trades)),
            web.get(f"{API}/wallet/fee", signed(self.fee)),
            web.get(f"{API}/spot/fee", signed(self.fee)),
            web.get(f"{API}/account/detail", signed(self.account_detail)),
        ]

    def _signed(self, fn: Any) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            api_key, body = await self.authenticate(request)
            return await fn(request, api_key, body)

        return _guarded(handler)

    async def authenticate(self, request: web.Request) -> tuple[str, bytes]:
        """The api key of a correctly signed, fresh request (and its raw body); GateError otherwise."""
        key, sign, ts = (request.headers.get(h) for h in ("KEY", "SIGN", "Timestamp"))
        if not key or not sign or not ts:
            raise GateError("MISSING_REQUIRED_HEADER", "Missing required header: KEY, Timestamp and SIGN", 401)
        secret = self.ctx.secret_for(key)
        if secret is None:
            raise GateError("INVALID_KEY", "Invalid key provided", 401)
        if not is_fresh(ts):
            raise GateError("REQUEST_EXPIRED", "gap between request Timestamp and server time exceeds 60", 401)
        body = await request.read()
        raw = request.rel_url.raw_query_string
        paths = {request.rel_url.raw_path.removeprefix(self.prefix), request.path.removeprefix(self.prefix)}
        for path in paths:  # the client signs the path as it sent it: with an escaped order id, escaped
            for query in {raw, unquote_plus(raw)}:
                if hmac.compare_digest(rest_signature(secret, request.method, path, query, body, ts), sign):
                    return key, body
        raise GateError("INVALID_SIGNATURE", "Signature mismatch", 401)

    async def accounts(self, request: web.Request, api_key: str, _: bytes) -> web.Response:
        wanted = request.query.get("currency")
        balances = self.ctx.engine.account(api_key).balances
        return web.json_response(
            [
                {"currency": asset, "available": num(b.free), "locked": num(b.locked), "update_id": 1}
                for asset, b in sorted(balances.items())
                if wanted is None or asset == wanted.upper()
            ]
        )

    async def create_order(self, request: web.Request, api_key: str, raw: bytes) -> web.Response:
        try:
            body = msgspec.json.decode(raw) if raw else {}
        except msgspec.DecodeError:
            raise GateError("INVALID_REQUEST_BODY", "Request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise GateError("INVALID_REQUEST_BODY", "Request body must be a JSON object")
        inst = self.p.inst(body.get("currency_pair"))
        if body.get("account", "spot") not in ("spot", "unified"):
            raise GateError("INVALID_PARAM_VALUE", f"invalid argument: account {body.get('account')}")
        side, kind = str(body.get("side", "")), str(body.get("type", "limit"))
        if side not in ("buy", "sell") or kind not in ("limit", "market"):
            raise GateError("INVALID_PARAM_VALUE", f"invalid argument: side {side!r} / type {kind!r}")
        tif = str(body.get("time_in_force", "gtc" if kind == "limit" else "ioc")).lower()
        if tif not in _TIF or (kind == "market" and tif in ("gtc", "poc")):
            raise GateError("INVALID_PARAM_VALUE", f"invalid argument: time_in_force {tif}")
        amount = _float(body, "amount")
        quote_buy = kind == "market" and side == "buy"  # Gate: a market buy's amount is in the quote currency
        order = self.ctx.engine.place(
            api_key,
            inst.symbol,
            Side(side),
            OrderType(kind),
            quantity=None if quote_buy else amount,
            price=_float(body, "price") if kind == "limit" else None,
            time_in_force=_TIF[tif],
            quote_quantity=amount if quote_buy else None,
            client_order_id=body.get("text") or None,
            post_only=tif == "poc",
        )
        return web.json_response(self.p.order(order), status=201)

    def _find(self, request: web.Request, api_key: str) -> VenueOrder:
        inst = self.p.inst(request.query.get("currency_pair"))
        order_id, text = _order_ref(request.match_info["order_id"])
        return self.ctx.engine.get_order(api_key, inst.symbol, order_id, text)

    async def get_order(self, request: web.Request, api_key: str, _: bytes) -> web.Response:
        return web.json_response(self.p.order(self._find(request, api_key)))

    async def cancel_order(self, request: web.Request, api_key: str, _: bytes) -> web.Response:
        order = self._find(request, api_key)
        return web.json_response(self.p.order(self.ctx.engine.cancel(api_key, order.symbol, order.order_id)))

    async def cancel_all(self, request: web.Request, api_key: str, _: bytes) -> web.Response:
        """DELETE /spot/orders: cancel every open order of ``currency_pair`` (of one ``side`` when given)."""
        inst = self.p.inst(request.query.get("currency_pair"))
        side = request.query.get("side")
        if side not in (None, "buy", "sell"):
            raise GateError("INVALID_PARAM_VALUE", f"invalid argument: side {side}")
        out = []
        for order in self.ctx.engine.open_orders(api_key, inst.symbol):
            if side is None or order.side.value == side:
                cancelled = self.ctx.engine.cancel(api_key, order.symbol, order.order_id)
                out.append({**self.p.order(cancelled), "succeeded": True})
        return web.json_response(out)

    async def countdown_cancel_all(self, request: web.Request, api_key: str, raw: bytes) -> web.Response:
        """POST /spot/countdown_cancel_all: Gate's dead-man switch, ``timeout`` seconds (0 disarms, else >= 5),
        for one ``currency_pair`` or every pair; answers the ``triggerTime`` in ms (0 when disarmed)."""
        try:
            body = msgspec.json.decode(raw) if raw else {}
            timeout = int(body["timeout"])
        except (msgspec.DecodeError, KeyError, TypeError, ValueError):
            raise GateError("INVALID_PARAM_VALUE", "invalid argument: timeout") from None
        if timeout < 0 or 0 < timeout < 5:
            raise GateError("INVALID_PARAM_VALUE", "invalid argument: timeout must be 0 or at least 5 seconds")
        pair = body.get("currency_pair")
        symbol = self.p.inst(pair).symbol if pair else None
        trigger = self.timers.arm(api_key, timeout, symbol)
        return web.json_response({"triggerTime": trigger or 0})

    async def list_orders(self, request: web.Request, api_key: str, _: bytes) -> web.Response:
        inst = self.p.inst(request.query.get("currency_pair"))
        status = request.query.get("status", "open")
        if status not in ("open", "finished"):
            raise GateError("INVALID_PARAM_VALUE", f"invalid argument: status {status}")
        limit = _int_param(request, "limit", 100, 1, 1000)
        orders = [
            o
            for o in self.ctx.engine.account(api_key).orders.values()
            if o.symbol == inst.symbol and o.is_open == (status == "open")
        ]
        orders.sort(key=lambda o: o.order_id, reverse=True)
        return web.json_response([self.p.order(o) for o in orders[:limit]])

    async def open_orders(self, request: web.Request, api_key: str, _: bytes) -> web.Response:
        pair = request.query.get("currency_pair")
        symbol = self.p.inst(pair).symbol if pair else None
        groups: dict[str, list[dict[str, Any]]] = {}
        for order in self.ctx.engine.open_orders(api_key, symbol):
            groups.setdefault(pair_id(order.symbol), []).append(self.p.order(order))
        return web.json_response([{"currency_pair": k, "total": len(v), "orders": v} for k, v in groups.items()])

    async def my_trades(self, request: web.Request, api_key: str, _: bytes) -> web.Response:
        pair = request.query.get("currency_pair")
        symbol = self.p.inst(pair).symbol if pair else None
        order_id = request.query.get("order_id")
        start = _int_param(request, "from", 0, 0, 2**40)
        end = _int_param(request, "to", 0, 0, 2**40)
        account = self.ctx.engine.account(api_key)
        window = account.trades(symbol, None, start * 1000 if start else None, end * 1000 + 999 if end else None)
        fills = [f for f in reversed(window) if order_id is None or str(f.order_id) == order_id][
            : _int_param(request, "limit", 100, 1, 1000)
        ]
        user = user_id(api_key)
        return web.json_response(
            [self.p.user_trade(f, order_text(account.orders.get(f.order_id)), user) for f in fills]
        )

    async def fee(self, request: web.Request, api_key: str, _: bytes) -> web.Response:
        return web.json_response(self.p.fees(user_id(api_key), request.query.get("currency_pair")))

    async def account_detail(self, request: web.Request, api_key: str, _: bytes) -> web.Response:
        user = user_id(api_key)
        return web.json_response(
            {"user_id": user, "ip_whitelist": [], "currency_pairs": [], "key": {"mode": 1}, "tier": 0}
        )
