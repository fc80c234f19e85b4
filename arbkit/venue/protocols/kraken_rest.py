"""Kraken REST on the local venue: ``/0/public/...`` market data and the signed ``/0/private/...`` calls, every answer
in Kraken's ``{"error": [...], "result": ...}`` envelope (refusals too, with HTTP 200)."""

from __future__ import annotations

import hmac
import math
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from arbkit.structs import OrderType, Side, TimeInForce
from arbkit.venue.cancel_timers import CancelTimers
from arbkit.venue.clock import venue_time
from arbkit.venue.engine import ErrorKind, Fill, VenueError, VenueOrder
from arbkit.venue.instruments import Instrument
from arbkit.venue.protocols import ExchangeContext
from arbkit.venue.protocols.kraken_auth import NonceWindow, WsTokens, rest_signature
from arbkit.venue.protocols.kraken_payloads import (
    ASSETS,
    KrakenError,
    KrakenPairs,
    asset_pair,
    descr_text,
    fee_tier,
    fixed,
    from_txid,
    iso_time,
    order_info,
    pair_ids,
    ticker,
    to_txid,
    trade_info,
)

__all__ = ["KrakenPrivateRest", "KrakenPublicRest"]

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
    ErrorKind.RATE_LIMIT: "EOrder:Rate limit exceeded",
}
MAX_DEADLINE_S = 60.0  # Kraken accepts an AddOrder deadline at most 60 s ahead
MAX_CANCEL_AFTER_S = 86400  # CancelAllOrdersAfter timeout ceiling


def _reply(result: Any = None, error: str | None = None) -> web.Response:
    return web.json_response({"error": [error] if error else [], "result": {} if result is None else result})


def _answer(fn: Callable[..., Any], *args: Any) -> web.Response:
    """Kraken's envelope around ``fn(*args)``: its result, or its refusal as a Kraken error code."""
    try:
        return _reply(fn(*args))
    except KrakenError as exc:
        return _reply(error=exc.code)
    except VenueError as exc:
        code = _ERRORS.get(exc.kind, "EGeneral:Invalid arguments")
        if exc.kind is ErrorKind.PRECISION and "price" in exc.message:
            code = "EOrder:Invalid price:Invalid price argument"
        return _reply(error=code)


def _number(params: dict[str, str], key: str) -> float:
    """A positive finite decimal parameter (volume, price); Kraken's invalid-arguments error otherwise."""
    try:
        value = float(params[key])
    except (KeyError, ValueError):
        raise KrakenError(f"EGeneral:Invalid arguments:{key}") from None
    if not math.isfinite(value) or value <= 0:
        raise KrakenError(f"EGeneral:Invalid arguments:{key}")
    return value


def _userref(params: dict[str, str]) -> str | None:
    """AddOrder's ``userref``: a signed 32-bit integer (Kraken's invalid-arguments error otherwise), or None."""
    raw = params.get("userref")
    if raw is None or raw == "":
        return None
    digits = raw[1:] if raw[:1] in "+-" else raw
    if not (digits.isascii() and digits.isdigit() and -(2**31) <= int(raw) < 2**31):
        raise KrakenError("EGeneral:Invalid arguments:userref")
    return raw


def _count(params: dict[str, str], default: int) -> int:
    """The ``count`` parameter of Depth / Trades; Kraken's invalid-arguments error when it is not an integer."""
    raw = params.get("count") or str(default)
    if not raw.isascii() or not raw.isdigit():
        raise KrakenError("EGeneral:Invalid arguments:count")
    return int(raw)


class KrakenPublicRest:
    """Public market data: assets, asset pairs, depth, ticker, trades, time, system status (GET or POST)."""

    def __init__(self, ctx: ExchangeContext, pairs: KrakenPairs) -> None:
        self.ctx, self.pairs = ctx, pairs

    def routes(self) -> list[web.RouteDef]:
        public = {
            "Assets": self.assets,
            "AssetPairs": self.asset_pairs,
            "Depth": self.depth,
            "Ticker": self.ticker,
            "Trades": self.trades,
            "Time": self.server_time,
            "SystemStatus": self.status,
        }
        routes = [web.get(f"/0/public/{name}", self._handler(fn)) for name, fn in public.items()]
        return routes + [web.post(f"/0/public/{name}", self._handler(fn)) for name, fn in public.items()]

    @staticmethod
    def _handler(fn: Callable[[dict[str, str]], Any]) -> Any:
        async def handler(request: web.Request) -> web.Response:
            params = dict(request.query)
            if request.method == "POST":
                params.update(parse_qsl((await request.read()).decode(), keep_blank_values=True))
            return _answer(fn, params)

        return handler

    def assets(self, params: dict[str, str]) -> dict[str, Any]:
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

    def _insts(self, params: dict[str, str]) -> list[Instrument]:
        """The instruments of the comma-separated ``pair`` parameter; all of them when it is absent."""
        pairs = [p for p in params.get("pair", "").split(",") if p]
        return [self.pairs.inst(p) for p in pairs] if pairs else list(self.ctx.instruments.values())

    def asset_pairs(self, params: dict[str, str]) -> dict[str, Any]:
        return dict(asset_pair(inst) for inst in self._insts(params))

    def depth(self, params: dict[str, str]) -> dict[str, Any]:
        inst = self.pairs.inst(params.get("pair"))
        count = _count(params, 100)
        snap = self.ctx.book(inst.symbol).snapshot(max(1, min(count, 500)))
        ts = snap.timestamp // 1000
        pd, qd = inst.price_decimals, inst.qty_decimals
        asks = [[fixed(p, pd), fixed(q, qd), ts] for p, q in snap.asks]
        bids = [[fixed(p, pd), fixed(q, qd), ts] for p, q in snap.bids]
        return {pair_ids(inst)[0]: {"asks": asks, "bids": bids}}

    def ticker(self, params: dict[str, str]) -> dict[str, Any]:
        return {
            pair_ids(i)[0]: ticker(i, self.ctx.book(i.symbol).snapshot(1), self.ctx.trades(i.symbol))
            for i in self._insts(params)
        }

    def trades(self, params: dict[str, str]) -> dict[str, Any]:
        inst = self.pairs.inst(params.get("pair"))
        tape = self.ctx.trades(inst.symbol, max(1, min(_count(params, 1000), 1000)))
        pd, qd = inst.price_decimals, inst.qty_decimals
        rows = [
            [fixed(t.price, pd), fixed(t.qty, qd), t.timestamp / 1000.0, t.side[0], "l", "", t.trade_id] for t in tape
        ]
        last = str(tape[-1].timestamp * 1_000_000) if tape else "0"
        return {pair_ids(inst)[0]: rows, "last": last}

    def server_time(self, params: dict[str, str]) -> dict[str, Any]:
        now = venue_time()
        return {"unixtime": int(now), "rfc1123": time.strftime("%a, %d %b %y %H:%M:%S +0000", time.gmtime(now))}

    def status(self, params: dict[str, str]) -> dict[str, Any]:
        return {"status": "online", "timestamp": iso_time(time.time() * 1000)[:19] + "Z"}


class KrakenPrivateRest:
    """Signed calls (API-Key / API-Sign / nonce verified as Kraken does): balances, orders, fees, websocket tokens."""

    def __init__(self, ctx: ExchangeContext, pairs: KrakenPairs, tokens: WsTokens) -> None:
        self.ctx, self.pairs, self.tokens = ctx, pairs, tokens
        self.nonces = NonceWindow()
        self.timers = CancelTimers(ctx.engine)

    def routes(self) -> list[web.RouteDef]:
        private = {
            "Balance": self.balance,
            "BalanceEx": self.balance_ex,
            "AddOrder": self.add_order,
            "CancelOrder": self.cancel,
            "QueryOrders": self.query_orders,
            "OpenOrders": self.open_orders,
            "ClosedOrders": self.closed_orders,
            "TradesHistory": self.trades_history,
            "CancelAll": self.cancel_all,
            "CancelAllOrdersAfter": self.cancel_all_after,
            "TradeVolume": self.trade_volume,
            "GetWebSocketsToken": self.ws_token,
        }
        routes = {name: self._handler(fn) for name, fn in private.items()}
        routes["AddOrder"] = self.ctx.engine.faults.entry(routes["AddOrder"])
        return [web.post(f"/0/private/{name}", handler) for name, handler in routes.items()]

    def _handler(self, fn: Callable[[str, dict[str, str]], Any]) -> Any:
        async def handler(request: web.Request) -> web.Response:
            try:
                api_key, params = await self.authenticate(request)
            except KrakenError as exc:
                return _reply(error=exc.code)
            return _answer(fn, api_key, params)

        return handler

    async def authenticate(self, request: web.Request) -> tuple[str, dict[str, str]]:
        """The api key of a correctly signed request with a fresh nonce, and its form parameters."""
        key, sign = request.headers.get("API-Key"), request.headers.get("API-Sign")
        secret = self.ctx.secret_for(key)
        if not key or not sign or secret is None:
            raise KrakenError("EAPI:Invalid key")
        body = await request.read()
        params = dict(parse_qsl(body.decode(), keep_blank_values=True))
        nonce = params.get("nonce", "")
        path = request.path.removeprefix(f"/{self.ctx.name}")
        if not hmac.compare_digest(rest_signature(secret, path, nonce, body), sign):
            raise KrakenError("EAPI:Invalid key")  # Kraken answers a bad signature with EAPI:Invalid key
        self.nonces.check(key, nonce)
        return key, params

    def balance_ex(self, api_key: str, params: dict[str, str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for asset, bal in sorted(self.ctx.engine.account(api_key).balances.items()):
            asset_id = ASSETS.get(asset, (asset, asset))[0]
            out[asset_id] = {"balance": fixed(bal.free + bal.locked, 10), "hold_trade": fixed(bal.locked, 10)}
        return out

    def balance(self, api_key: str, params: dict[str, str]) -> dict[str, Any]:
        return {k: v["balance"] for k, v in self.balance_ex(api_key, params).items()}

    def add_order(self, api_key: str, params: dict[str, str]) -> dict[str, Any]:
        inst = self.pairs.inst(params.get("pair"))
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
        desc = descr_text(inst, side, volume, kind, price)
        _check_deadline(params.get("deadline"))
        userref = _userref(params)
        if params.get("validate") in ("true", "True", "1"):  # every check, nothing placed
            qty, quote_qty = (None, volume) if quote else (volume, None)
            self.ctx.engine.check(api_key, inst.symbol, Side(side), OrderType(kind), qty, price, quote_qty)
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
            client_order_id=params.get("cl_ord_id") or userref,
            post_only="post" in flags,
        )
        return {"descr": {"order": desc}, "txid": [to_txid("O", order.order_id)]}

    def _find(self, api_key: str, txid: str) -> VenueOrder | None:
        return self.ctx.engine.account(api_key).orders.get(from_txid(txid))

    def cancel(self, api_key: str, params: dict[str, str]) -> dict[str, Any]:
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

    def _info(self, order: VenueOrder, trades: bool = False) -> dict[str, Any]:
        """``order_info`` of an order, with the txids of its fills when ``trades`` is asked for."""
        trade_ids = None
        if trades:
            owner = next(k for k, a in self.ctx.engine.accounts.items() if order.order_id in a.orders)
            fills = self.ctx.engine.account(owner).fills
            trade_ids = [to_txid("T", f.trade_id) for f in fills if f.order_id == order.order_id]
        return order_info(self.ctx.instruments[order.symbol], order, trade_ids)

    def query_orders(self, api_key: str, params: dict[str, str]) -> dict[str, Any]:
        want_trades = params.get("trades") in ("true", "True", "1")
        out: dict[str, Any] = {}
        for ref in [t for t in params.get("txid", "").split(",") if t]:
            order = self._find(api_key, ref)
            if order is not None:
                out[ref] = self._info(order, want_trades)
        return out

    def open_orders(self, api_key: str, params: dict[str, str]) -> dict[str, Any]:
        orders = [o for o in self.ctx.engine.open_orders(api_key) if _ref_matches(o, params)]
        return {"open": {to_txid("O", o.order_id): self._info(o) for o in orders}}

    def closed_orders(self, api_key: str, params: dict[str, str]) -> dict[str, Any]:
        start, end = _time_bound(params, "start"), _time_bound(params, "end")
        done = [
            o
            for o in reversed(self.ctx.engine.account(api_key).orders.values())
            if not o.is_open
            and _ref_matches(o, params)
            and (start is None or o.updated > start)
            and (end is None or o.updated <= end)
        ]
        return {"closed": {to_txid("O", o.order_id): self._info(o) for o in done}, "count": len(done)}

    def trades_history(self, api_key: str, params: dict[str, str]) -> dict[str, Any]:
        """TradesHistory: the account's fills, newest first, 50 per page (``ofs``), ``start`` exclusive and ``end``
        inclusive (unix seconds)."""
        start, end = _time_bound(params, "start"), _time_bound(params, "end")
        account = self.ctx.engine.account(api_key)
        fills: list[Fill] = [
            f
            for f in reversed(account.fills)
            if (start is None or f.timestamp > start) and (end is None or f.timestamp <= end)
        ]
        offset = int(params.get("ofs") or 0)
        page = fills[offset : offset + 50]
        trades = {
            to_txid("T", f.trade_id): trade_info(self.ctx.instruments[f.symbol], f, to_txid("O", f.order_id))
            for f in page
        }
        return {"trades": trades, "count": len(fills)}

    def cancel_all(self, api_key: str, params: dict[str, str]) -> dict[str, Any]:
        """CancelAll: every open order of the account, on every pair."""
        return {"count": len(self.ctx.engine.cancel_all(api_key))}

    def cancel_all_after(self, api_key: str, params: dict[str, str]) -> dict[str, Any]:
        """CancelAllOrdersAfter: (re)arm the dead-man switch for ``timeout`` seconds; 0 disarms it."""
        raw = params.get("timeout", "")
        if not raw.isdigit() or int(raw) > MAX_CANCEL_AFTER_S:
            raise KrakenError("EGeneral:Invalid arguments:timeout")
        now = time.time() * 1000
        trigger = self.timers.arm(api_key, int(raw))
        return {"currentTime": _rfc3339(now), "triggerTime": "0" if trigger is None else _rfc3339(trigger)}

    def trade_volume(self, api_key: str, params: dict[str, str]) -> dict[str, Any]:
        self.ctx.engine.account(api_key)
        insts = [self.pairs.inst(p) for p in params.get("pair", "").split(",") if p]
        return {
            "currency": "ZUSD",
            "volume": "0.0000",
            "fees": {pair_ids(i)[0]: fee_tier(i.taker_fee) for i in insts},
            "fees_maker": {pair_ids(i)[0]: fee_tier(i.maker_fee) for i in insts},
        }

    def ws_token(self, api_key: str, params: dict[str, str]) -> dict[str, Any]:
        return {"token": self.tokens.issue(api_key), "expires": 900}


def _rfc3339(ms: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms / 1000.0))


def _time_bound(params: dict[str, str], key: str) -> float | None:
    """A ``start``/``end`` bound in epoch ms from Kraken's unix seconds (fractions allowed); None when absent."""
    raw = params.get(key)
    if not raw:
        return None
    try:
        return float(raw) * 1000.0
    except ValueError:
        raise KrakenError(f"EGeneral:Invalid arguments:{key}") from None


def _ref_matches(order: VenueOrder, params: dict[str, str]) -> bool:
    """The ``cl_ord_id`` / ``userref`` filters of OpenOrders and ClosedOrders."""
    for key in ("cl_ord_id", "userref"):
        wanted = params.get(key)
        if wanted and order.client_order_id != wanted:
            return False
    return True


def _check_deadline(raw: str | None) -> None:
    """AddOrder's ``deadline`` (RFC3339): the engine refuses an order it would act on after it; at most 60 s ahead."""
    if raw is None:
        return
    try:
        deadline = datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise KrakenError("EGeneral:Invalid arguments:deadline") from None
    now = venue_time()
    if deadline > now + MAX_DEADLINE_S:
        raise KrakenError("EGeneral:Invalid arguments:deadline")
    if now > deadline:
        raise KrakenError("EOrder:Deadline elapsed")
