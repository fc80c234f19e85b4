"""Kraken spot on the local venue: REST ``/0/public|private/...`` and websocket v2 (``/v2``, ``/auth/v2``), as ccxt's
``kraken`` and ccxt.pro's ``kraken`` speak them. Private calls are verified exactly as Kraken signs them.

Books go out on the v2 ``book`` channel: a snapshot, then updates that keep each subscriber's top-``depth`` window
(levels entering the window are sent, levels pushed out are left for the client to truncate), each with Kraken's CRC32
``checksum`` of the true top 10. Kraken has no sequence ids: every book message also carries ``venue_seq`` (the venue
book's sequence id, a venue-only field ccxt ignores) so tests can compare a client's book with ``book_at(seq)``.
A skipped delta (core fault) reaches the client as a lost update with a failing checksum; ``corrupt_checksum``
sends one wrong checksum.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import re
import secrets
import time
import weakref
import zlib
from collections import deque
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from arbkit.structs import OrderStatus, OrderType, Side, TimeInForce
from arbkit.venue.book import BookDelta, Level
from arbkit.venue.engine import BalanceEvent, ErrorKind, ExecKind, OrderEvent, VenueError, VenueOrder
from arbkit.venue.hub import Connection
from arbkit.venue.instruments import Instrument
from arbkit.venue.market import PublicTrade
from arbkit.venue.protocols import ExchangeContext

__all__ = ["KrakenProtocol", "book_checksum", "corrupt_checksum", "rest_signature"]

DEPTHS = (10, 25, 100, 500, 1000)
NONCE_WINDOW = 10_000  # a nonce may trail the highest seen by this much (Kraken's "nonce window"), never repeat
# unified asset -> (Kraken asset id, altname)
ASSETS: dict[str, tuple[str, str]] = {
    "BTC": ("XXBT", "XBT"),
    "ETH": ("XETH", "ETH"),
    "USD": ("ZUSD", "USD"),
    "USDT": ("USDT", "USDT"),
    "SOL": ("SOL", "SOL"),
    "XRP": ("XXRP", "XRP"),
    "DOGE": ("XXDG", "XDG"),
}
_ERRORS: dict[ErrorKind, str] = {
    ErrorKind.UNKNOWN_SYMBOL: "EQuery:Unknown asset pair",
    ErrorKind.PRECISION: "EGeneral:Invalid arguments:volume",
    ErrorKind.MIN_QTY: "EOrder:Order minimum not met",
    ErrorKind.MIN_NOTIONAL: "EOrder:Order minimum not met",
    ErrorKind.INSUFFICIENT_FUNDS: "EOrder:Insufficient funds",
    ErrorKind.UNKNOWN_ORDER: "EOrder:Unknown order",
    ErrorKind.UNKNOWN_ACCOUNT: "EAPI:Invalid key",
    ErrorKind.INVALID: "EGeneral:Invalid arguments",
    ErrorKind.WOULD_TAKE: "EOrder:Post only order",
    ErrorKind.DUPLICATE_ORDER: "EGeneral:Invalid arguments:cl_ord_id",
}
_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_TXID = re.compile(r"^[OT][A-Z2-7]{5}-[A-Z2-7]{5}-[A-Z2-7]{6}$")
# id(context) -> its protocol, for the corrupt_checksum fault (weak: a closed venue leaves nothing behind)
_PROTOCOLS: weakref.WeakValueDictionary[int, KrakenProtocol] = weakref.WeakValueDictionary()


class KrakenError(Exception):
    """A refusal in Kraken's form: HTTP 200 with ``{"error": [code], "result": {}}``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def rest_signature(secret_b64: str, path: str, nonce: str, body: bytes) -> str:
    """API-Sign: base64(HMAC-SHA512(base64-decoded secret, path + SHA256(nonce + POST body)))."""
    digest = hashlib.sha256(nonce.encode() + body).digest()
    mac = hmac.new(base64.b64decode(secret_b64), path.encode() + digest, hashlib.sha512)
    return base64.b64encode(mac.digest()).decode()


def _digits(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}".replace(".", "").lstrip("0")


def book_checksum(bids: list[Level], asks: list[Level], price_decimals: int, qty_decimals: int) -> int:
    """Kraken's CRC32 of the top 10 asks (ascending) then bids (descending), points and leading zeros removed."""
    text = "".join(_digits(p, price_decimals) + _digits(q, qty_decimals) for p, q in [*asks[:10], *bids[:10]])
    return zlib.crc32(text.encode()) & 0xFFFFFFFF


def corrupt_checksum(venue: Any, symbol: str) -> None:
    """Fault: the next book message of ``symbol`` on the venue's kraken carries a wrong checksum."""
    ctx = venue.context("kraken")
    ctx.book(symbol)
    protocol = _PROTOCOLS.get(id(ctx))
    if protocol is None or protocol.ctx is not ctx:
        raise ValueError("local venue: kraken is not served by this venue")
    protocol.corrupt.add(symbol)


def _txid(prefix: str, number: int) -> str:
    chars = "".join(_B32[(number >> (5 * i)) & 31] for i in range(15, -1, -1))
    return f"{prefix}{chars[:5]}-{chars[5:10]}-{chars[10:]}"


def _untxid(txid: str) -> int:
    if not _TXID.match(txid):
        raise KrakenError("EOrder:Invalid order")
    number = 0
    for ch in txid[1:].replace("-", ""):
        number = number * 32 + _B32.index(ch)
    return number


def _iso(ms: int | float) -> str:
    return datetime.fromtimestamp(ms / 1000.0, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _f(value: float | None, decimals: int) -> str:
    return f"{value or 0.0:.{decimals}f}"


def _pair_ids(inst: Instrument) -> tuple[str, str, str]:
    """(pair id, altname, wsname) as Kraken names them: XXBTZUSD / XBTUSD / XBT/USD, XBTUSDT / XBTUSDT / XBT/USDT."""
    (base_id, base_alt), (quote_id, quote_alt) = ASSETS[inst.base], ASSETS[inst.quote]
    legacy = len(base_id) == 4 and base_id[0] == "X" and len(quote_id) == 4 and quote_id[0] == "Z"
    return (base_id + quote_id if legacy else base_alt + quote_alt), base_alt + quote_alt, f"{base_alt}/{quote_alt}"


def _levels(side: dict[float, float], reverse: bool, depth: int) -> list[Level]:
    return sorted(side.items(), reverse=reverse)[:depth]


class _BookSub:
    """One subscriber's window on one book: the levels it holds, as Kraken keeps them."""

    __slots__ = ("asks", "bids", "depth")

    def __init__(self, depth: int, bids: list[Level], asks: list[Level]) -> None:
        self.depth, self.bids, self.asks = depth, dict(bids), dict(asks)


def _window_update(held: dict[float, float], target: dict[float, float], alive: dict[float, float]) -> list[Level]:
    """Levels to send so ``held`` becomes ``target``; levels pushed out but still alive are left to truncation."""
    out = [(p, q) for p, q in target.items() if held.get(p) != q]
    out += [(p, 0.0) for p in held if p not in target and p not in alive]
    return out


class KrakenProtocol:
    """The Kraken wire protocol over one exchange context."""

    name = "kraken"

    def __init__(self, ctx: ExchangeContext) -> None:
        self.ctx = ctx
        self.by_pair: dict[str, Instrument] = {}
        for inst in ctx.instruments.values():
            pid, alt, ws = _pair_ids(inst)
            self.by_pair.update({pid: inst, alt: inst, ws: inst})
        self.corrupt: set[str] = set()
        self._last_seq: dict[str, int] = {}
        self._tokens: dict[str, str] = {}
        self._nonces: dict[str, tuple[int, deque[int]]] = {}
        self._totals: dict[tuple[str, str], float] = {}
        _PROTOCOLS[id(ctx)] = self

    @property
    def credentials(self) -> tuple[str, str]:
        return self.ctx.api_key, self.ctx.secret

    def urls(self, origin: str) -> dict[str, str]:
        ws = "ws" + origin.removeprefix("http")
        return {
            "base_url": f"{origin}/kraken",
            "websocket_url": f"{ws}/kraken/v2",
            "private_websocket_url": f"{ws}/kraken/auth/v2",
        }

    def routes(self) -> list[web.RouteDef]:
        public = {
            "Assets": self._assets,
            "AssetPairs": self._asset_pairs,
            "Depth": self._depth,
            "Ticker": self._ticker,
            "Trades": self._trades,
            "Time": self._time,
            "SystemStatus": self._status,
        }
        private = {
            "Balance": self._balance,
            "BalanceEx": self._balance_ex,
            "AddOrder": self._add_order,
            "CancelOrder": self._cancel,
            "QueryOrders": self._query_orders,
            "OpenOrders": self._open_orders,
            "ClosedOrders": self._closed_orders,
            "TradeVolume": self._trade_volume,
            "GetWebSocketsToken": self._ws_token,
        }
        routes = [web.get(f"/0/public/{name}", self._public(fn)) for name, fn in public.items()]
        routes += [web.post(f"/0/public/{name}", self._public(fn)) for name, fn in public.items()]
        routes += [web.post(f"/0/private/{name}", self._private(fn)) for name, fn in private.items()]
        routes += [web.get("/v2", self._public_ws), web.get("/auth/v2", self._private_ws)]
        return routes

    # ------------------------------------------------------------------ REST plumbing

    @staticmethod
    def _reply(result: Any = None, error: str | None = None) -> web.Response:
        return web.json_response({"error": [error] if error else [], "result": {} if result is None else result})

    def _public(self, fn: Any) -> Any:
        async def handler(request: web.Request) -> web.Response:
            params = dict(request.query)
            if request.method == "POST":
                params.update(parse_qsl((await request.read()).decode(), keep_blank_values=True))
            try:
                return self._reply(fn(params))
            except KrakenError as exc:
                return self._reply(error=exc.code)
            except VenueError as exc:
                return self._reply(error=_ERRORS.get(exc.kind, "EGeneral:Invalid arguments"))

        return handler

    def _private(self, fn: Any) -> Any:
        async def handler(request: web.Request) -> web.Response:
            try:
                api_key, params = await self._authenticate(request)
                return self._reply(fn(api_key, params))
            except KrakenError as exc:
                return self._reply(error=exc.code)
            except VenueError as exc:
                code = _ERRORS.get(exc.kind, "EGeneral:Invalid arguments")
                if exc.kind is ErrorKind.PRECISION and "price" in exc.message:
                    code = "EOrder:Invalid price:Invalid price argument"
                return self._reply(error=code)

        return handler

    async def _authenticate(self, request: web.Request) -> tuple[str, dict[str, str]]:
        """The api key of a correctly signed request with a fresh nonce, and its form parameters."""
        key, sign = request.headers.get("API-Key"), request.headers.get("API-Sign")
        secret = self.ctx.secret_for(key)
        if not key or not sign or secret is None:
            raise KrakenError("EAPI:Invalid key")
        body = await request.read()
        params = dict(parse_qsl(body.decode(), keep_blank_values=True))
        nonce = params.get("nonce", "")
        path = request.path.removeprefix(f"/{self.name}")
        if not hmac.compare_digest(rest_signature(secret, path, nonce, body), sign):
            raise KrakenError("EAPI:Invalid key")  # Kraken answers a bad signature with EAPI:Invalid key
        self._check_nonce(key, nonce)
        return key, params

    def _check_nonce(self, key: str, raw: str) -> None:
        if not raw.isdigit():
            raise KrakenError("EAPI:Invalid nonce")
        nonce = int(raw)
        highest, recent = self._nonces.get(key, (0, deque(maxlen=2048)))
        if nonce <= highest - NONCE_WINDOW or nonce in recent:
            raise KrakenError("EAPI:Invalid nonce")
        recent.append(nonce)
        self._nonces[key] = (max(highest, nonce), recent)

    def _inst(self, pair: str | None) -> Instrument:
        inst = self.by_pair.get(pair or "")
        if inst is None:
            raise KrakenError("EQuery:Unknown asset pair")
        return inst

    # ------------------------------------------------------------------ public REST

    def _assets(self, params: dict[str, str]) -> dict[str, Any]:
        wanted = {a for a in params.get("asset", "").split(",") if a}
        out: dict[str, Any] = {}
        for code, (asset_id, alt) in ASSETS.items():
            if wanted and asset_id not in wanted and alt not in wanted:
                continue
            decimals = 4 if code == "USD" else 8 if code in ("USDT", "DOGE", "XRP") else 10
            out[asset_id] = {
                "aclass": "currency",
                "altname": alt,
                "decimals": decimals,
                "display_decimals": min(decimals, 5),
                "collateral_value": 1.0,
                "status": "enabled",
            }
        return out

    def _asset_pair(self, inst: Instrument) -> tuple[str, dict[str, Any]]:
        pid, alt, ws = _pair_ids(inst)
        quote_decimals = 5 if inst.quote == "USD" else 8
        return pid, {
            "altname": alt,
            "wsname": ws,
            "aclass_base": "currency",
            "base": ASSETS[inst.base][0],
            "aclass_quote": "currency",
            "quote": ASSETS[inst.quote][0],
            "lot": "unit",
            "cost_decimals": quote_decimals,
            "pair_decimals": inst.price_decimals,
            "lot_decimals": inst.qty_decimals,
            "lot_multiplier": 1,
            "leverage_buy": [],
            "leverage_sell": [],
            "fees": [[0, round(inst.taker_fee * 100, 4)]],
            "fees_maker": [[0, round(inst.maker_fee * 100, 4)]],
            "fee_volume_currency": "ZUSD",
            "margin_call": 80,
            "margin_stop": 40,
            "ordermin": _f(inst.min_qty, inst.qty_decimals),
            "costmin": _f(inst.min_notional, 2),
            "tick_size": _f(inst.tick_size, inst.price_decimals),
            "status": "online",
        }

    def _asset_pairs(self, params: dict[str, str]) -> dict[str, Any]:
        pairs = [p for p in params.get("pair", "").split(",") if p]
        insts = [self._inst(p) for p in pairs] if pairs else list(self.ctx.instruments.values())
        return dict(self._asset_pair(inst) for inst in insts)

    def _depth(self, params: dict[str, str]) -> dict[str, Any]:
        inst = self._inst(params.get("pair"))
        count = int(params.get("count") or 100)
        snap = self.ctx.book(inst.symbol).snapshot(max(1, min(count, 500)))
        ts = snap.timestamp // 1000
        pd, qd = inst.price_decimals, inst.qty_decimals
        asks = [[_f(p, pd), _f(q, qd), ts] for p, q in snap.asks]
        bids = [[_f(p, pd), _f(q, qd), ts] for p, q in snap.bids]
        return {_pair_ids(inst)[0]: {"asks": asks, "bids": bids}}

    def _ticker(self, params: dict[str, str]) -> dict[str, Any]:
        pairs = [p for p in params.get("pair", "").split(",") if p]
        insts = [self._inst(p) for p in pairs] if pairs else list(self.ctx.instruments.values())
        return {_pair_ids(inst)[0]: self._ticker_of(inst) for inst in insts}

    def _ticker_of(self, inst: Instrument) -> dict[str, Any]:
        pd, qd = inst.price_decimals, inst.qty_decimals
        snap = self.ctx.book(inst.symbol).snapshot(1)
        tape = self.ctx.trades(inst.symbol)
        prices = [t.price for t in tape] or [((snap.best_bid or 0.0) + (snap.best_ask or 0.0)) / 2]
        volume = sum(t.qty for t in tape)
        vwap = sum(t.qty * t.price for t in tape) / volume if volume else prices[-1]
        bid, ask = (snap.bids or [(0.0, 0.0)])[0], (snap.asks or [(0.0, 0.0)])[0]
        last_qty = tape[-1].qty if tape else 0.0
        return {
            "a": [_f(ask[0], pd), str(max(1, round(ask[1]))), _f(ask[1], qd)],
            "b": [_f(bid[0], pd), str(max(1, round(bid[1]))), _f(bid[1], qd)],
            "c": [_f(prices[-1], pd), _f(last_qty, qd)],
            "v": [_f(volume, qd), _f(volume, qd)],
            "p": [_f(vwap, pd)] * 2,
            "t": [len(tape)] * 2,
            "l": [_f(min(prices), pd)] * 2,
            "h": [_f(max(prices), pd)] * 2,
            "o": _f(prices[0], pd),
        }

    def _trades(self, params: dict[str, str]) -> dict[str, Any]:
        inst = self._inst(params.get("pair"))
        tape = self.ctx.trades(inst.symbol, int(params.get("count") or 1000))
        pd, qd = inst.price_decimals, inst.qty_decimals
        rows = [[_f(t.price, pd), _f(t.qty, qd), t.timestamp / 1000.0, t.side[0], "l", "", t.trade_id] for t in tape]
        last = str(tape[-1].timestamp * 1_000_000) if tape else "0"
        return {_pair_ids(inst)[0]: rows, "last": last}

    def _time(self, params: dict[str, str]) -> dict[str, Any]:
        now = time.time()
        return {"unixtime": int(now), "rfc1123": time.strftime("%a, %d %b %y %H:%M:%S +0000", time.gmtime(now))}

    def _status(self, params: dict[str, str]) -> dict[str, Any]:
        return {"status": "online", "timestamp": _iso(time.time() * 1000)[:19] + "Z"}

    # ------------------------------------------------------------------ private REST

    def _balance_ex(self, api_key: str, params: dict[str, str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for asset, bal in sorted(self.ctx.engine.account(api_key).balances.items()):
            asset_id = ASSETS.get(asset, (asset, asset))[0]
            out[asset_id] = {"balance": _f(bal.free + bal.locked, 10), "hold_trade": _f(bal.locked, 10)}
        return out

    def _balance(self, api_key: str, params: dict[str, str]) -> dict[str, Any]:
        return {k: v["balance"] for k, v in self._balance_ex(api_key, params).items()}

    def _add_order(self, api_key: str, params: dict[str, str]) -> dict[str, Any]:
        inst = self._inst(params.get("pair"))
        side, kind = params.get("type", ""), params.get("ordertype", "")
        if side not in ("buy", "sell") or kind not in ("limit", "market"):
            raise KrakenError("EGeneral:Invalid arguments:ordertype")
        flags = set(params.get("oflags", "").split(","))
        volume = _number(params, "volume")
        price = _number(params, "price") if kind == "limit" else None
        tif = params.get("timeinforce", "GTC").upper()
        if tif not in ("GTC", "IOC", "FOK"):
            raise KrakenError("EGeneral:Invalid arguments:timeinforce")
        quote = kind == "market" and side == "buy" and "viqc" in flags
        desc = self._descr_text(inst, side, volume, kind, price)
        if params.get("validate") in ("true", "True", "1"):
            return {"descr": {"order": desc}}
        order = self.ctx.engine.place(
            api_key,
            inst.symbol,
            Side(side),
            OrderType(kind),
            quantity=None if quote else volume,
            price=price,
            time_in_force=TimeInForce(tif),
            quote_quantity=volume if quote else None,
            client_order_id=params.get("cl_ord_id") or params.get("userref") or None,
            post_only="post" in flags,
        )
        return {"descr": {"order": desc}, "txid": [_txid("O", order.order_id)]}

    @staticmethod
    def _descr_text(inst: Instrument, side: str, volume: float, kind: str, price: float | None) -> str:
        tail = f"limit {_f(price, inst.price_decimals)}" if kind == "limit" else "market"
        return f"{side} {volume:.8f} {_pair_ids(inst)[1]} @ {tail}"

    def _find(self, api_key: str, txid: str) -> VenueOrder | None:
        return self.ctx.engine.account(api_key).orders.get(_untxid(txid))

    def _cancel(self, api_key: str, params: dict[str, str]) -> dict[str, Any]:
        account = self.ctx.engine.account(api_key)
        ref = params.get("cl_ord_id")
        if ref:
            order = next((o for o in account.orders.values() if o.client_order_id == ref and o.is_open), None)
        else:
            order = self._find(api_key, params.get("txid", ""))
        if order is None or not order.is_open:
            raise KrakenError("EOrder:Unknown order")
        self.ctx.engine.cancel(api_key, order.symbol, order.order_id)
        return {"count": 1, "pending": False}

    def _order_info(self, order: VenueOrder, trades: bool = False) -> dict[str, Any]:
        inst = self.ctx.instruments[order.symbol]
        pd, side = inst.price_decimals, order.side.value
        status = {
            OrderStatus.FILLED: "closed",
            OrderStatus.CANCELED: "canceled",
            OrderStatus.EXPIRED: "expired",
            OrderStatus.REJECTED: "canceled",
        }.get(order.status, "open")
        out: dict[str, Any] = {
            "refid": None,
            "userref": 0,
            "cl_ord_id": order.client_order_id,
            "status": status,
            "opentm": order.created / 1000.0,
            "starttm": 0,
            "expiretm": 0,
            "descr": {
                "pair": _pair_ids(inst)[1],
                "type": side,
                "ordertype": order.type.value,
                "price": _f(order.price, pd),
                "price2": "0",
                "leverage": "none",
                "order": self._descr_text(inst, side, order.quantity, order.type.value, order.price),
                "close": "",
            },
            "vol": f"{order.quantity:.8f}",
            "vol_exec": f"{order.filled:.8f}",
            "cost": _f(order.quote_filled, 8),
            "fee": _f(order.fee, 8),
            "price": _f(order.average, pd + 4),
            "stopprice": "0.00000",
            "limitprice": "0.00000",
            "misc": "",
            "oflags": ("fcib" if order.side is Side.BUY else "fciq") + (",post" if order.post_only else ""),
        }
        if status != "open":
            out["closetm"] = order.updated / 1000.0
            out["reason"] = "User requested" if status == "canceled" else None
        if trades:
            fills = self.ctx.engine.account(self._owner(order)).fills
            out["trades"] = [_txid("T", f.trade_id) for f in fills if f.order_id == order.order_id]
        return out

    def _owner(self, order: VenueOrder) -> str:
        return next(k for k, a in self.ctx.engine.accounts.items() if order.order_id in a.orders)

    def _query_orders(self, api_key: str, params: dict[str, str]) -> dict[str, Any]:
        want_trades = params.get("trades") in ("true", "True", "1")
        out: dict[str, Any] = {}
        for txid in [t for t in params.get("txid", "").split(",") if t]:
            order = self._find(api_key, txid)
            if order is not None:
                out[txid] = self._order_info(order, want_trades)
        return out

    def _open_orders(self, api_key: str, params: dict[str, str]) -> dict[str, Any]:
        orders = self.ctx.engine.open_orders(api_key)
        return {"open": {_txid("O", o.order_id): self._order_info(o) for o in orders}}

    def _closed_orders(self, api_key: str, params: dict[str, str]) -> dict[str, Any]:
        done = [o for o in self.ctx.engine.account(api_key).orders.values() if not o.is_open]
        return {"closed": {_txid("O", o.order_id): self._order_info(o) for o in done}, "count": len(done)}

    def _trade_volume(self, api_key: str, params: dict[str, str]) -> dict[str, Any]:
        self.ctx.engine.account(api_key)
        insts = [self._inst(p) for p in params.get("pair", "").split(",") if p]
        return {
            "currency": "ZUSD",
            "volume": "0.0000",
            "fees": {_pair_ids(i)[0]: _fee_tier(i.taker_fee) for i in insts},
            "fees_maker": {_pair_ids(i)[0]: _fee_tier(i.maker_fee) for i in insts},
        }

    def _ws_token(self, api_key: str, params: dict[str, str]) -> dict[str, Any]:
        token = base64.b64encode(secrets.token_bytes(32)).decode()
        self._tokens[token] = api_key
        return {"token": token, "expires": 900}

    # ------------------------------------------------------------------ websockets

    async def _public_ws(self, request: web.Request) -> web.WebSocketResponse:
        return await self._serve(request, self._on_public)

    async def _private_ws(self, request: web.Request) -> web.WebSocketResponse:
        return await self._serve(request, self._on_private)

    async def _serve(self, request: web.Request, handler: Any) -> web.WebSocketResponse:
        beats: list[asyncio.Future[None]] = []

        async def opened(conn: Connection) -> None:
            conn.state.update(books={}, seq=0)
            status = {"version": "2.0.9", "system": "online", "api_version": "v2", "connection_id": conn.id}
            await conn.send({"channel": "status", "type": "update", "data": [status]})
            beats.append(asyncio.ensure_future(self._heartbeat(conn)))

        try:
            return await self.ctx.hub.serve(request, handler, opened)
        finally:
            for beat in beats:
                beat.cancel()

    async def _heartbeat(self, conn: Connection) -> None:
        """Kraken sends ``{"channel": "heartbeat"}`` about once a second on a subscribed connection."""
        with contextlib.suppress(asyncio.CancelledError):
            while not conn.closed:
                await asyncio.sleep(1.0)
                if conn.topics and not self.ctx.hub.stalled:
                    await conn.send({"channel": "heartbeat"})

    @staticmethod
    def _ack(
        method: str, req_id: Any, result: dict[str, Any] | None = None, error: str | None = None
    ) -> dict[str, Any]:
        now = _iso(time.time() * 1000)
        out: dict[str, Any] = {"method": method, "success": error is None, "time_in": now, "time_out": now}
        if req_id is not None:
            out["req_id"] = req_id
        if error is not None:
            out["error"] = error
        elif result is not None:
            out["result"] = result
        return out

    async def _on_public(self, conn: Connection, msg: Any) -> None:
        if not isinstance(msg, dict):
            return
        method, req_id = msg.get("method"), msg.get("req_id")
        params = msg.get("params") or {}
        if method == "ping":
            await conn.send(self._ack("pong", req_id))
            return
        channel = params.get("channel")
        if method not in ("subscribe", "unsubscribe") or channel not in ("book", "trade"):
            await conn.send(self._ack(str(method), req_id, error="Malformed request"))
            return
        depth = params.get("depth", 10)
        if channel == "book" and depth not in DEPTHS:
            await conn.send(self._ack(method, req_id, error="Subscription depth not supported"))
            return
        for symbol in params.get("symbol") or []:
            topic = f"{channel}:{symbol}"
            if symbol not in self.ctx.instruments:
                await conn.send(
                    {**self._ack(method, req_id, error=f"Currency pair not supported {symbol}"), "symbol": symbol}
                )
            elif method == "unsubscribe":
                conn.topics.discard(topic)
                conn.state["books"].pop(symbol, None)
                await conn.send(self._ack(method, req_id, {"channel": channel, "symbol": symbol}))
            elif topic in conn.topics:
                await conn.send({**self._ack(method, req_id, error="Already subscribed"), "symbol": symbol})
            else:
                result = {"channel": channel, "symbol": symbol, "snapshot": True}
                await conn.send(self._ack(method, req_id, {**result, "depth": depth} if channel == "book" else result))
                conn.topics.add(topic)
                if channel == "book":
                    await self._send_snapshot(conn, symbol, depth)

    async def _send_snapshot(self, conn: Connection, symbol: str, depth: int) -> None:
        book = self.ctx.book(symbol)
        bids, asks = book.sorted_bids(depth), book.sorted_asks(depth)
        conn.state["books"][symbol] = _BookSub(depth, bids, asks)
        await conn.send(self._book_message("snapshot", symbol, bids, asks, bids, asks, book.seq, book.timestamp))

    def _book_message(
        self,
        kind: str,
        symbol: str,
        bids: list[Level],
        asks: list[Level],
        true_bids: list[Level],
        true_asks: list[Level],
        seq: int,
        ts: int,
        wrong: bool = False,
    ) -> dict[str, Any]:
        inst = self.ctx.instruments[symbol]
        checksum = book_checksum(true_bids, true_asks, inst.price_decimals, inst.qty_decimals)
        if wrong:
            checksum ^= 0x5A5A5A5A
        data = {
            "symbol": symbol,
            "bids": _rows(bids),
            "asks": _rows(asks),
            "checksum": checksum,
            "timestamp": _iso(ts),
            "venue_seq": seq,
        }
        return {"channel": "book", "type": kind, "data": [data]}

    async def on_book_delta(self, symbol: str, delta: BookDelta) -> None:
        last = self._last_seq.get(symbol)
        self._last_seq[symbol] = delta.seq
        subs = self.ctx.hub.subscribers(f"book:{symbol}")
        if not subs:
            return
        lost = last is not None and delta.prev_seq != last  # the core skipped a delta: clients miss it
        book = self.ctx.book(symbol)
        truth = book.snapshot() if book.seq == delta.seq else (book.at(delta.seq) or book.snapshot())
        true_bids, true_asks = dict(truth.bids), dict(truth.asks)
        wrong = symbol in self.corrupt
        self.corrupt.discard(symbol)
        for conn in subs:
            sub: _BookSub | None = conn.state["books"].get(symbol)
            if sub is None:
                continue
            if lost:  # only this delta's own levels reach the client; the truth's checksum then disagrees
                bids, asks = dict(sub.bids), dict(sub.asks)
                for side, levels in ((bids, delta.bids), (asks, delta.asks)):
                    for p, q in levels:
                        if q > 0:
                            side[p] = q
                        else:
                            side.pop(p, None)
                new_bids, new_asks = dict(_levels(bids, True, sub.depth)), dict(_levels(asks, False, sub.depth))
            else:
                new_bids, new_asks = dict(truth.bids[: sub.depth]), dict(truth.asks[: sub.depth])
            bid_changes = _window_update(sub.bids, new_bids, {} if lost else true_bids)
            ask_changes = _window_update(sub.asks, new_asks, {} if lost else true_asks)
            sub.bids, sub.asks = new_bids, new_asks
            if not bid_changes and not ask_changes and not wrong and not lost:
                continue
            top_b, top_a = truth.bids[:10], truth.asks[:10]
            held_b, held_a = _levels(new_bids, True, 10), _levels(new_asks, False, 10)
            inst = self.ctx.instruments[symbol]
            force = lost and book_checksum(held_b, held_a, inst.price_decimals, inst.qty_decimals) == book_checksum(
                top_b, top_a, inst.price_decimals, inst.qty_decimals
            )
            message = self._book_message(
                "update",
                symbol,
                sorted(bid_changes, reverse=True),
                sorted(ask_changes),
                top_b,
                top_a,
                delta.seq,
                delta.timestamp,
                wrong or force,
            )
            await conn.send(message)

    async def on_trade(self, symbol: str, trade: PublicTrade) -> None:
        data = {
            "symbol": symbol,
            "side": trade.side,
            "price": trade.price,
            "qty": trade.qty,
            "ord_type": "limit",
            "trade_id": trade.trade_id,
            "timestamp": _iso(trade.timestamp),
        }
        await self.ctx.hub.broadcast(f"trade:{symbol}", {"channel": "trade", "type": "update", "data": [data]})

    # ------------------------------------------------------------------ private websocket

    async def _on_private(self, conn: Connection, msg: Any) -> None:
        if not isinstance(msg, dict):
            return
        method, req_id = msg.get("method"), msg.get("req_id")
        params = msg.get("params") or {}
        if method == "ping":
            await conn.send(self._ack("pong", req_id))
            return
        channel = params.get("channel")
        api_key = self._tokens.get(str(params.get("token")))
        if method != "subscribe" or channel not in ("executions", "balances"):
            await conn.send(self._ack(str(method), req_id, error="Malformed request"))
            return
        if api_key is None:
            await conn.send(self._ack(method, req_id, error="ESession:Invalid session"))
            return
        await conn.send(self._ack(method, req_id, {"channel": channel, "snapshot": True}))
        conn.topics.add(f"{channel}:{api_key}")
        if channel == "executions":
            orders = self.ctx.engine.open_orders(api_key) if params.get("snap_orders", True) else []
            data = [self._execution(o, "new") for o in orders]
        else:
            data = []
            for asset, bal in sorted(self.ctx.engine.account(api_key).balances.items()):
                total = bal.free + bal.locked
                self._totals[(api_key, asset)] = total
                wallet = {"type": "spot", "id": "main", "balance": total}
                data.append({"asset": asset, "asset_class": "currency", "balance": total, "wallets": [wallet]})
        await self._push(conn, channel, "snapshot", data)

    async def _push(self, conn: Connection, channel: str, kind: str, data: list[dict[str, Any]]) -> None:
        conn.state["seq"] = conn.state.get("seq", 0) + 1
        await conn.send({"channel": channel, "type": kind, "data": data, "sequence": conn.state["seq"]})

    def _execution(self, order: VenueOrder, exec_type: str) -> dict[str, Any]:
        status = {
            OrderStatus.OPEN: "new",
            OrderStatus.PARTIALLY_FILLED: "partially_filled",
            OrderStatus.FILLED: "filled",
            OrderStatus.CANCELED: "canceled",
            OrderStatus.EXPIRED: "expired",
            OrderStatus.REJECTED: "canceled",
        }[order.status]
        base = self.ctx.instruments[order.symbol].base
        fee_quote = order.fee * (order.average or 0.0) if order.fee_asset == base else order.fee
        out: dict[str, Any] = {
            "order_id": _txid("O", order.order_id),
            "order_userref": 0,
            "cl_ord_id": order.client_order_id,
            "symbol": order.symbol,
            "side": order.side.value,
            "order_type": order.type.value,
            "order_qty": order.quantity,
            "time_in_force": order.time_in_force.value,
            "exec_type": exec_type,
            "order_status": status,
            "cum_qty": order.filled,
            "cum_cost": order.quote_filled,
            "avg_price": order.average or 0.0,
            "fee_usd_equiv": fee_quote,
            "fee_ccy_pref": "fcib" if order.side is Side.BUY else "fciq",
            "timestamp": _iso(order.updated),
        }
        if order.price is not None:
            out.update(limit_price=order.price, limit_price_type="static")
        if exec_type == "canceled":
            out["reason"] = out["cancel_reason"] = "User requested"
        return out

    async def on_order_event(self, event: OrderEvent) -> None:
        subs = self.ctx.hub.subscribers(f"executions:{event.api_key}")
        if not subs:
            return
        order, fill = event.order, event.fill
        items: list[dict[str, Any]] = []
        if event.kind is ExecKind.TRADE and fill is not None:
            trade = self._execution(order, "trade")
            trade.update(
                exec_id=_txid("T", fill.trade_id),
                trade_id=fill.trade_id,
                last_qty=fill.qty,
                last_price=fill.price,
                cost=fill.quote_qty,
                liquidity_ind="m" if fill.maker else "t",
                fees=[{"asset": fill.fee_asset, "qty": fill.fee}],
            )
            items.append(trade)
            if order.status is OrderStatus.FILLED:
                items.append(self._execution(order, "filled"))
        else:
            items.append(self._execution(order, event.kind.value))
        for conn in subs:
            for item in items:  # one execution per message, as Kraken sends them
                await self._push(conn, "executions", "update", [item])

    async def on_balance_event(self, event: BalanceEvent) -> None:
        data = []
        for asset, bal in event.balances.items():
            total = bal.free + bal.locked
            amount = total - self._totals.get((event.api_key, asset), 0.0)
            self._totals[(event.api_key, asset)] = total
            data.append(
                {
                    "asset": asset,
                    "asset_class": "currency",
                    "amount": amount,
                    "balance": total,
                    "fee": 0.0,
                    "ledger_id": _txid("L", event.timestamp),
                    "ref_id": "",
                    "timestamp": _iso(event.timestamp),
                    "type": "trade",
                    "subtype": "",
                    "category": "trade",
                    "wallet_type": "spot",
                    "wallet_id": "main",
                }
            )
        for conn in self.ctx.hub.subscribers(f"balances:{event.api_key}"):
            await self._push(conn, "balances", "update", data)


def _fee_tier(rate: float) -> dict[str, Any]:
    pct = f"{rate * 100:.4f}"
    return {"fee": pct, "minfee": "0.1000", "maxfee": pct, "nextfee": None, "tiervolume": "0.0000", "nextvolume": None}


def _rows(levels: list[Level]) -> list[dict[str, float]]:
    return [{"price": p, "qty": q} for p, q in levels]


def _number(params: dict[str, str], key: str) -> float:
    try:
        value = float(params[key])
    except (KeyError, ValueError):
        raise KrakenError(f"EGeneral:Invalid arguments:{key}") from None
    if value <= 0:
        raise KrakenError(f"EGeneral:Invalid arguments:{key}")
    return value
