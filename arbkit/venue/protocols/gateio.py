"""Gate.io spot API v4 on the local venue: REST under ``/api/v4`` and the websocket ``/ws/v4/``, as ccxt's ``gate``
and ccxt.pro's ``gate`` speak them (signed REST and websocket auth verified exactly as Gate computes them).

Books go out on ``spot.obu``: a ``full`` snapshot, then deltas whose ``U``/``u`` are the venue book's sequence ids,
so a skipped sequence (a core fault) shows as a gap. Private channels: ``spot.orders``, ``spot.balances``,
``spot.usertrades``.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from typing import Any
from urllib.parse import unquote_plus

import msgspec
from aiohttp import web

from arbkit.structs import OrderStatus, OrderType, Side, TimeInForce
from arbkit.venue.book import BookDelta, BookSnapshot
from arbkit.venue.engine import BalanceEvent, ErrorKind, ExecKind, Fill, OrderEvent, VenueError, VenueOrder
from arbkit.venue.hub import Connection
from arbkit.venue.instruments import Instrument
from arbkit.venue.market import PublicTrade
from arbkit.venue.protocols import ExchangeContext

__all__ = ["MAX_CLOCK_SKEW_S", "GateioProtocol", "rest_signature", "ws_signature"]

API = "/api/v4"
MAX_CLOCK_SKEW_S = 60.0  # Gate refuses a Timestamp more than 60 s away from its clock
OBU_LEVELS = ("50", "400")
PRIVATE_CHANNELS = ("spot.orders", "spot.balances", "spot.usertrades")
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


def rest_signature(secret: str, method: str, path: str, query: str, body: bytes, timestamp: str) -> str:
    """Gate v4 REST SIGN: HMAC-SHA512 hex of ``METHOD\\npath\\nquery\\nsha512hex(body)\\ntimestamp``."""
    payload = "\n".join((method.upper(), path, query, hashlib.sha512(body).hexdigest(), timestamp))
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha512).hexdigest()


def ws_signature(secret: str, channel: str, event: str, ts: int | str) -> str:
    """Gate v4 websocket subscribe SIGN: HMAC-SHA512 hex of ``channel=..&event=..&time=..``."""
    payload = f"channel={channel}&event={event}&time={ts}"
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha512).hexdigest()


def _num(value: float | None, decimals: int = 10) -> str:
    """A plain decimal string (Gate sends numbers as strings), no exponent, no trailing zeros."""
    if value is None:
        return "0"
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _pair(symbol: str) -> str:
    return symbol.replace("/", "_")


def _uid(api_key: str) -> int:
    return 10_000_000 + int(hashlib.sha256(api_key.encode()).hexdigest()[:6], 16)


def _fresh(ts: str | int | float | None) -> bool:
    try:
        return abs(time.time() - float(ts)) <= MAX_CLOCK_SKEW_S  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


class GatePayloads:
    """Builds Gate's JSON shapes from the venue's structs (pure: no I/O, no state but the instruments)."""

    def __init__(self, instruments: dict[str, Instrument]) -> None:
        self.instruments = instruments
        self.by_pair = {_pair(s): inst for s, inst in instruments.items()}

    def inst(self, pair: str | None) -> Instrument:
        inst = self.by_pair.get(pair or "")
        if inst is None:
            raise GateError("INVALID_CURRENCY_PAIR", f"Invalid currency pair {pair}")
        return inst

    @staticmethod
    def currency_pair(inst: Instrument) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": _pair(inst.symbol),
            "base": inst.base,
            "base_name": inst.base,
            "quote": inst.quote,
            "quote_name": inst.quote,
            "fee": _num(inst.taker_fee * 100, 6),
            "min_base_amount": _num(inst.min_qty, inst.qty_decimals),
            "min_quote_amount": _num(inst.min_notional),
            "max_quote_amount": "5000000",
            "amount_precision": inst.qty_decimals,
            "precision": inst.price_decimals,
            "trade_status": "tradable",
            "sell_start": 0,
            "buy_start": 0,
            "type": "normal",
        }
        if inst.maker_fee != inst.taker_fee:
            out["maker_fee_rate"] = _num(inst.maker_fee * 100, 6)
        return out

    @staticmethod
    def levels(inst: Instrument, levels: list[tuple[float, float]]) -> list[list[str]]:
        pd, qd = inst.price_decimals, inst.qty_decimals
        return [[_num(p, pd), _num(q, qd)] for p, q in levels]

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
            "currency_pair": _pair(inst.symbol),
            "last": _num(last, pd),
            "lowest_ask": _num(book.best_ask, pd),
            "lowest_size": _num(book.asks[0][1] if book.asks else 0.0, inst.qty_decimals),
            "highest_bid": _num(book.best_bid, pd),
            "highest_size": _num(book.bids[0][1] if book.bids else 0.0, inst.qty_decimals),
            "change_percentage": _num(change, 2),
            "base_volume": _num(sum(t.qty for t in trades), inst.qty_decimals),
            "quote_volume": _num(sum(t.qty * t.price for t in trades), 8),
            "high_24h": _num(high, pd),
            "low_24h": _num(low, pd),
        }

    @staticmethod
    def trade(inst: Instrument, trade: PublicTrade) -> dict[str, Any]:
        return {
            "id": str(trade.trade_id),
            "create_time": str(trade.timestamp // 1000),
            "create_time_ms": f"{trade.timestamp}.000",
            "currency_pair": _pair(inst.symbol),
            "side": trade.side,
            "amount": _num(trade.qty, inst.qty_decimals),
            "price": _num(trade.price, inst.price_decimals),
        }

    def order(self, order: VenueOrder, event: str | None = None, user: int | None = None) -> dict[str, Any]:
        """A spot order as Gate returns it (REST) or pushes it (``event``: put / update / finish)."""
        inst = self.instruments[order.symbol]
        pd, qd = inst.price_decimals, inst.qty_decimals
        quote_buy = order.type is OrderType.MARKET and order.quote_quantity is not None
        amount = _num(order.quote_quantity, 8) if quote_buy else _num(order.quantity, qd)
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
        text = order.client_order_id if order.client_order_id.startswith("t-") else "apiv4"
        out: dict[str, Any] = {
            "id": str(order.order_id),
            "text": text,
            "amend_text": "-",
            "create_time": str(order.created // 1000),
            "update_time": str(order.updated // 1000),
            "create_time_ms": order.created,
            "update_time_ms": order.updated,
            "status": status,
            "currency_pair": _pair(order.symbol),
            "type": order.type.value,
            "account": "spot",
            "side": order.side.value,
            "amount": amount,
            "price": _num(order.price, pd) if order.price is not None else "0",
            "time_in_force": tif,
            "iceberg": "0",
            "left": _num(max(left, 0.0), 8 if quote_buy else qd),
            "filled_amount": _num(order.filled, qd),
            "fill_price": _num(order.quote_filled, 8),
            "filled_total": _num(order.quote_filled, 8),
            "avg_deal_price": _num(order.average, pd + 4) if order.average else "0",
            "fee": _num(order.fee),
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
            "currency_pair": _pair(fill.symbol),
            "create_time": fill.timestamp // 1000,
            "create_time_ms": f"{fill.timestamp}.000",
            "side": fill.side.value,
            "amount": _num(fill.qty, inst.qty_decimals),
            "role": "maker" if fill.maker else "taker",
            "price": _num(fill.price, inst.price_decimals),
            "fee": _num(fill.fee),
            "fee_currency": fill.fee_asset,
            "point_fee": "0",
            "gt_fee": "0",
            "text": text,
        }

    def fees(self, user: int, pair: str | None) -> dict[str, Any]:
        inst = self.inst(pair) if pair else next(iter(self.instruments.values()))
        return {
            "user_id": user,
            "taker_fee": _num(inst.taker_fee),
            "maker_fee": _num(inst.maker_fee),
            "gt_discount": False,
            "gt_taker_fee": "0",
            "gt_maker_fee": "0",
            "loan_fee": "0.18",
            "point_type": "1",
            "futures_taker_fee": "0.0005",
            "futures_maker_fee": "0",
        }


def _message(channel: str, event: str, result: Any, **extra: Any) -> dict[str, Any]:
    now = time.time()
    return {"time": int(now), "time_ms": int(now * 1000), "channel": channel, "event": event, **extra, "result": result}


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
        return web.json_response({"server_time": int(time.time() * 1000)})


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
    if value <= 0:
        raise GateError("INVALID_PARAM_VALUE", f"invalid argument: {name} must be positive")
    return value


def _order_ref(raw: str) -> tuple[int | None, str | None]:
    """A path order id is either Gate's numeric id or the ``t-...`` text given at creation."""
    return (int(raw), None) if raw.isdigit() else (None, raw)


class GatePrivateRest:
    """Signed endpoints (KEY / Timestamp / SIGN verified as Gate does): accounts, orders, fees."""

    def __init__(self, ctx: ExchangeContext, payloads: GatePayloads) -> None:
        self.ctx, self.p = ctx, payloads
        self.prefix = f"/{ctx.name}"

    def routes(self) -> list[web.RouteDef]:
        signed = self._signed
        return [
            web.get(f"{API}/spot/accounts", signed(self.accounts)),
            web.post(f"{API}/spot/orders", signed(self.create_order)),
            web.get(f"{API}/spot/orders", signed(self.list_orders)),
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
        if not _fresh(ts):
            raise GateError("REQUEST_EXPIRED", "gap between request Timestamp and server time exceeds 60", 401)
        body = await request.read()
        path = request.path.removeprefix(self.prefix)
        raw = request.rel_url.raw_query_string
        for query in {raw, unquote_plus(raw)}:
            if hmac.compare_digest(rest_signature(secret, request.method, path, query, body, ts), sign):
                return key, body
        raise GateError("INVALID_SIGNATURE", "Signature mismatch", 401)

    async def accounts(self, request: web.Request, api_key: str, _: bytes) -> web.Response:
        wanted = request.query.get("currency")
        balances = self.ctx.engine.account(api_key).balances
        return web.json_response(
            [
                {"currency": asset, "available": _num(b.free), "locked": _num(b.locked), "update_id": 1}
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
            groups.setdefault(_pair(order.symbol), []).append(self.p.order(order))
        return web.json_response([{"currency_pair": k, "total": len(v), "orders": v} for k, v in groups.items()])

    async def my_trades(self, request: web.Request, api_key: str, _: bytes) -> web.Response:
        pair = request.query.get("currency_pair")
        symbol = self.p.inst(pair).symbol if pair else None
        order_id = request.query.get("order_id")
        account = self.ctx.engine.account(api_key)
        fills = [
            f
            for f in reversed(account.fills)
            if (symbol is None or f.symbol == symbol) and (order_id is None or str(f.order_id) == order_id)
        ][: _int_param(request, "limit", 100, 1, 1000)]
        user = _uid(api_key)
        return web.json_response([self.p.user_trade(f, _text(account.orders.get(f.order_id)), user) for f in fills])

    async def fee(self, request: web.Request, api_key: str, _: bytes) -> web.Response:
        return web.json_response(self.p.fees(_uid(api_key), request.query.get("currency_pair")))

    async def account_detail(self, request: web.Request, api_key: str, _: bytes) -> web.Response:
        user = _uid(api_key)
        return web.json_response(
            {"user_id": user, "ip_whitelist": [], "currency_pairs": [], "key": {"mode": 1}, "tier": 0}
        )


def _text(order: VenueOrder | None) -> str:
    return order.client_order_id if order is not None and order.client_order_id.startswith("t-") else "apiv4"


class GateStream:
    """The ``/ws/v4/`` websocket: public ``spot.obu`` / ``spot.trades``, ``spot.ping``, and the authenticated
    private channels, each message fanned out through the shared hub (so drop and stall faults apply)."""

    def __init__(self, ctx: ExchangeContext, payloads: GatePayloads) -> None:
        self.ctx, self.p = ctx, payloads
        self._totals: dict[tuple[str, str], float] = {}

    async def handle(self, request: web.Request) -> web.StreamResponse:
        return await self.ctx.hub.serve(request, self.on_message)

    async def on_message(self, conn: Connection, data: Any) -> None:
        if not isinstance(data, dict):
            await conn.send(_message("", "", {"status": "fail"}, error={"code": 1, "message": "invalid request"}))
            return
        channel, event = str(data.get("channel", "")), str(data.get("event", ""))
        if channel == "spot.ping":
            await conn.send(_message("spot.pong", "", None, id=data.get("id")))
        elif event not in ("subscribe", "unsubscribe"):
            await self._fail(conn, data, 1, f"unknown event {event!r}")
        elif channel == "spot.obu":
            await self._obu(conn, data, event == "subscribe")
        elif channel == "spot.trades":
            await self._trades(conn, data, event == "subscribe")
        elif channel in PRIVATE_CHANNELS:
            await self._private(conn, data, event == "subscribe")
        else:
            await self._fail(conn, data, 1, f"unknown channel {channel!r}")

    async def _fail(self, conn: Connection, data: dict[str, Any], code: int, message: str) -> None:
        extra = {"id": data.get("id"), "payload": data.get("payload")}
        error = {"code": code, "message": message}
        await conn.send(
            _message(str(data.get("channel", "")), str(data.get("event", "")), {"status": "fail"}, **extra, error=error)
        )

    async def _ack(self, conn: Connection, data: dict[str, Any]) -> None:
        extra = {"id": data.get("id"), "payload": data.get("payload")}
        await conn.send(_message(str(data["channel"]), str(data["event"]), {"status": "success"}, **extra))

    async def _obu(self, conn: Connection, data: dict[str, Any], subscribe: bool) -> None:
        streams = [str(s) for s in data.get("payload") or []]
        parsed: list[tuple[str, Instrument]] = []
        for stream in streams:
            parts = stream.split(".")
            inst = self.p.by_pair.get(parts[1]) if len(parts) == 3 and parts[0] == "ob" else None
            if inst is None or parts[2] not in OBU_LEVELS:
                await self._fail(conn, data, 2, f"invalid order book stream: {stream}")
                return
            parsed.append((stream, inst))
        await self._ack(conn, data)
        for stream, inst in parsed:
            if not subscribe:
                conn.topics.discard(stream)
                continue
            snap = self.ctx.book(inst.symbol).snapshot()
            conn.topics.add(stream)  # before the send: no delta after ``snap`` can be missed
            full = {"t": snap.timestamp, "full": True, "s": stream, "u": snap.seq}
            book = {"b": self.p.levels(inst, snap.bids), "a": self.p.levels(inst, snap.asks)}
            await conn.send(_message("spot.obu", "update", {**full, **book}))

    async def _trades(self, conn: Connection, data: dict[str, Any], subscribe: bool) -> None:
        pairs = [str(s) for s in data.get("payload") or []]
        bad = [p for p in pairs if p not in self.p.by_pair]
        if bad or not pairs:
            await self._fail(conn, data, 2, f"unknown currency pair: {', '.join(bad) or '(none)'}")
            return
        for pair in pairs:
            (conn.topics.add if subscribe else conn.topics.discard)(f"spot.trades.{pair}")
        await self._ack(conn, data)

    async def _private(self, conn: Connection, data: dict[str, Any], subscribe: bool) -> None:
        """Verify ``auth`` (SIGN over channel, event and time, as ccxt signs it), then (un)subscribe the key."""
        channel, event = str(data["channel"]), str(data["event"])
        auth = data.get("auth") if isinstance(data.get("auth"), dict) else {}
        key, sign, ts = auth.get("KEY"), str(auth.get("SIGN", "")), data.get("time")
        secret = self.ctx.secret_for(key)
        label = None
        if secret is None:
            label = "INVALID_KEY"
        elif not _fresh(ts):
            label = "REQUEST_EXPIRED"
        elif not hmac.compare_digest(ws_signature(secret, channel, event, str(ts)), sign):
            label = "INVALID_SIGNATURE"
        if label is not None:
            await self._fail(conn, data, 4, msgspec.json.encode({"label": label, "message": label}).decode())
            return
        topic = f"{channel}#{key}"
        pairs = {str(p) for p in data.get("payload") or []}
        if subscribe:
            conn.topics.add(topic)
            conn.state[topic] = None if not pairs or "!all" in pairs else pairs
        else:
            conn.topics.discard(topic)
        await self._ack(conn, data)

    async def _send_private(self, topic: str, pair: str | None, message: dict[str, Any]) -> None:
        for conn in self.ctx.hub.subscribers(topic):
            wanted = conn.state.get(topic)
            if pair is None or wanted is None or pair in wanted:
                await conn.send(message)

    # ------------------------------------------------------------------ hooks from the core

    async def on_book_delta(self, symbol: str, delta: BookDelta) -> None:
        inst = self.ctx.instruments[symbol]
        pair = _pair(symbol)
        for level in OBU_LEVELS:
            stream = f"ob.{pair}.{level}"
            if not self.ctx.hub.subscribers(stream):
                continue
            result = {
                "t": delta.timestamp,
                "s": stream,
                "U": delta.prev_seq + 1,
                "u": delta.seq,
                "b": self.p.levels(inst, delta.bids),
                "a": self.p.levels(inst, delta.asks),
            }
            await self.ctx.hub.broadcast(stream, _message("spot.obu", "update", result))

    async def on_trade(self, symbol: str, trade: PublicTrade) -> None:
        topic = f"spot.trades.{_pair(symbol)}"
        if self.ctx.hub.subscribers(topic):
            payload = self.p.trade(self.ctx.instruments[symbol], trade)
            await self.ctx.hub.broadcast(topic, _message("spot.trades", "update", payload))

    async def on_order_event(self, event: OrderEvent) -> None:
        order, user = event.order, _uid(event.api_key)
        if event.kind is ExecKind.NEW:
            kind = "put"
        else:
            kind = "update" if order.is_open else "finish"
        pair = _pair(order.symbol)
        result = [self.p.order(order, kind, user)]
        await self._send_private(f"spot.orders#{event.api_key}", pair, _message("spot.orders", "update", result))
        if event.fill is not None:
            trades = [self.p.user_trade(event.fill, _text(order), user)]
            message = _message("spot.usertrades", "update", trades)
            await self._send_private(f"spot.usertrades#{event.api_key}", pair, message)

    async def on_balance_event(self, event: BalanceEvent) -> None:
        user, ts = str(_uid(event.api_key)), event.timestamp
        rows = []
        for asset, bal in event.balances.items():
            total = bal.free + bal.locked
            before = self._totals.get((event.api_key, asset), total)
            self._totals[(event.api_key, asset)] = total
            rows.append(
                {
                    "timestamp": str(ts // 1000),
                    "timestamp_ms": str(ts),
                    "user": user,
                    "currency": asset,
                    "change": _num(total - before),
                    "total": _num(total),
                    "available": _num(bal.free),
                    "freeze": _num(bal.locked),
                    "change_type": "order-match",
                }
            )
        if rows:
            await self._send_private(f"spot.balances#{event.api_key}", None, _message("spot.balances", "update", rows))


class GateioProtocol:
    """The Gate.io spot protocol object the venue server mounts under ``/gateio``."""

    name = "gateio"

    def __init__(self, ctx: ExchangeContext) -> None:
        self.ctx = ctx
        payloads = GatePayloads(ctx.instruments)
        self.public = GatePublicRest(ctx, payloads)
        self.private = GatePrivateRest(ctx, payloads)
        self.stream = GateStream(ctx, payloads)

    @property
    def credentials(self) -> tuple[str, str]:
        return self.ctx.api_key, self.ctx.secret

    def routes(self) -> list[web.RouteDef]:
        ws = [web.get(path, self.stream.handle) for path in ("/ws/v4/", "/ws/v4")]
        return [*self.public.routes(), *self.private.routes(), *ws]

    def urls(self, origin: str) -> dict[str, str]:
        base = f"{origin.rstrip('/')}/{self.name}"
        ws = "ws" + base.removeprefix("http") + "/ws/v4/"
        return {"base_url": base, "websocket_url": ws, "private_websocket_url": ws}

    async def on_book_delta(self, symbol: str, delta: BookDelta) -> None:
        await self.stream.on_book_delta(symbol, delta)

    async def on_trade(self, symbol: str, trade: PublicTrade) -> None:
        await self.stream.on_trade(symbol, trade)

    async def on_order_event(self, event: OrderEvent) -> None:
        await self.stream.on_order_event(event)

    async def on_balance_event(self, event: BalanceEvent) -> None:
        await self.stream.on_balance_event(event)
