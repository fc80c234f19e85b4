"""MEXC spot REST handlers on the local venue: public market data and signed account/order/listenKey endpoints.

Each handler takes ``(params, api_key)`` and returns the JSON body; the protocol wraps them into routes.
"""

from __future__ import annotations

import secrets
from typing import Any

from arbkit.structs import Side
from arbkit.venue.engine import ErrorKind, VenueError
from arbkit.venue.instruments import Instrument
from arbkit.venue.market import PublicTrade
from arbkit.venue.protocols import ExchangeContext
from arbkit.venue.protocols.hmac_query import Reject, SymbolNames, fmt, ms
from arbkit.venue.protocols.mexc_wire import TYPES, instrument_of, integer, number, order_json, symbol_info

__all__ = ["MexcPrivateRest", "MexcPublicRest"]


class MexcPublicRest:
    """Market data: exchange info, depth (lastUpdateId = venue seq), 24h ticker, recent trades."""

    def __init__(self, ctx: ExchangeContext, names: SymbolNames) -> None:
        self.ctx, self.names = ctx, names

    def exchange_info(self, params: dict[str, str], _: str) -> dict[str, Any]:
        symbols = [symbol_info(self.names.wire[s], i) for s, i in self.ctx.instruments.items()]
        return {"timezone": "CST", "serverTime": ms(), "rateLimits": [], "exchangeFilters": [], "symbols": symbols}

    def depth(self, params: dict[str, str], _: str) -> dict[str, Any]:
        inst = instrument_of(self.names, params)
        snap = self.ctx.book(inst.symbol).snapshot(min(integer(params, "limit", 100) or 1, 5000))
        pd, qd = inst.price_decimals, inst.qty_decimals
        return {
            "lastUpdateId": snap.seq,
            "bids": [[fmt(p, pd), fmt(q, qd)] for p, q in snap.bids],
            "asks": [[fmt(p, pd), fmt(q, qd)] for p, q in snap.asks],
            "timestamp": snap.timestamp,
        }

    def ticker(self, params: dict[str, str], _: str) -> Any:
        if "symbol" in params:
            return self._ticker_of(instrument_of(self.names, params))
        return [self._ticker_of(inst) for inst in self.ctx.instruments.values()]

    def _ticker_of(self, inst: Instrument) -> dict[str, Any]:
        book = self.ctx.book(inst.symbol)
        bid = (book.sorted_bids(1) or [(0.0, 0.0)])[0]
        ask = (book.sorted_asks(1) or [(0.0, 0.0)])[0]
        trades = self.ctx.trades(inst.symbol)
        prices = [t.price for t in trades] or [inst.round_price((bid[0] + ask[0]) / 2)]
        first, last = prices[0], prices[-1]
        pd, qd = inst.price_decimals, inst.qty_decimals
        now = ms()
        return {
            "symbol": self.names.wire[inst.symbol], "priceChange": fmt(last - first, pd),
            "priceChangePercent": fmt((last - first) / first if first else 0.0, 6),  # a fraction on MEXC
            "prevClosePrice": fmt(first, pd), "lastPrice": fmt(last, pd),
            "bidPrice": fmt(bid[0], pd), "bidQty": fmt(bid[1], qd),
            "askPrice": fmt(ask[0], pd), "askQty": fmt(ask[1], qd),
            "openPrice": fmt(first, pd), "highPrice": fmt(max(prices), pd), "lowPrice": fmt(min(prices), pd),
            "volume": fmt(sum(t.qty for t in trades), qd), "quoteVolume": fmt(sum(t.qty * t.price for t in trades)),
            "openTime": trades[0].timestamp if trades else now - 86_400_000, "closeTime": now, "count": len(trades),
        }  # fmt: skip

    def _recent(self, params: dict[str, str]) -> tuple[Instrument, list[PublicTrade]]:
        inst = instrument_of(self.names, params)
        return inst, self.ctx.trades(inst.symbol, min(integer(params, "limit", 500) or 1, 1000))

    def agg_trades(self, params: dict[str, str], _: str) -> list[dict[str, Any]]:
        inst, trades = self._recent(params)
        pd, qd = inst.price_decimals, inst.qty_decimals
        return [
            {"a": t.trade_id, "f": None, "l": None, "p": fmt(t.price, pd), "q": fmt(t.qty, qd), "T": t.timestamp,
             "m": t.side == "sell", "M": True}
            for t in trades
        ]  # fmt: skip

    def trades(self, params: dict[str, str], _: str) -> list[dict[str, Any]]:
        inst, trades = self._recent(params)
        pd, qd = inst.price_decimals, inst.qty_decimals
        return [
            {"id": t.trade_id, "price": fmt(t.price, pd), "qty": fmt(t.qty, qd), "quoteQty": fmt(t.price * t.qty),
             "time": t.timestamp, "isBuyerMaker": t.side == "sell", "isBestMatch": True,
             "tradeType": "ASK" if t.side == "sell" else "BID"}
            for t in trades
        ]  # fmt: skip


class MexcPrivateRest:
    """Signed endpoints: account, fees, orders and the listenKey of the user data stream."""

    def __init__(self, ctx: ExchangeContext, names: SymbolNames) -> None:
        self.ctx, self.names = ctx, names
        self.listen_keys: dict[str, str] = {}  # listenKey -> api key

    def account(self, params: dict[str, str], api_key: str) -> dict[str, Any]:
        balances = [
            {"asset": a, "free": fmt(b.free), "locked": fmt(b.locked), "available": fmt(b.free)}
            for a, b in self.ctx.engine.account(api_key).balances.items()
            if b.free or b.locked
        ]
        return {
            "makerCommission": None, "takerCommission": None, "buyerCommission": None, "sellerCommission": None,
            "canTrade": True, "canWithdraw": True, "canDeposit": True, "updateTime": None, "accountType": "SPOT",
            "balances": balances, "permissions": ["SPOT"],
        }  # fmt: skip

    def trade_fee(self, params: dict[str, str], api_key: str) -> dict[str, Any]:
        inst = instrument_of(self.names, params)
        data = {"makerCommission": inst.maker_fee, "takerCommission": inst.taker_fee}
        return {"data": data, "code": 0, "msg": "success", "timestamp": ms()}

    def _order_args(self, params: dict[str, str]) -> tuple[Instrument, str, str, dict[str, Any]]:
        """The instrument, wire type, wire side and engine arguments of a new order (POST order and order/test)."""
        inst = instrument_of(self.names, params)
        kind, side = params.get("type", "").upper(), params.get("side", "").upper()
        if kind not in TYPES or side not in ("BUY", "SELL"):
            raise Reject(-1128, "Combination of optional parameters invalid.")
        order_type, tif, post_only = TYPES[kind]
        args = {
            "side": Side.BUY if side == "BUY" else Side.SELL,
            "type": order_type,
            "quantity": number(params, "quantity"),
            "price": number(params, "price"),
            "quote_quantity": number(params, "quoteOrderQty"),
        }
        extra = {"time_in_force": tif, "client_order_id": params.get("newClientOrderId"), "post_only": post_only}
        return inst, kind, side, {**args, **extra}

    def test_order(self, params: dict[str, str], api_key: str) -> dict[str, Any]:
        """POST /api/v3/order/test: every check of a new order, nothing placed; MEXC answers ``{}``."""
        inst, _, _, args = self._order_args(params)
        for key in ("time_in_force", "client_order_id", "post_only"):
            args.pop(key)
        self.ctx.engine.check(api_key, inst.symbol, **args)
        return {}

    def create(self, params: dict[str, str], api_key: str) -> dict[str, Any]:
        inst, kind, side, args = self._order_args(params)
        order = self.ctx.engine.place(api_key, inst.symbol, **args)
        pd, qd = inst.price_decimals, inst.qty_decimals
        # MEXC acknowledges a new order without its status or fills: ask GET /api/v3/order for those.
        return {
            "symbol": self.names.wire[inst.symbol], "orderId": str(order.order_id), "orderListId": -1,
            "price": fmt(order.price, pd), "origQty": fmt(order.quantity, qd), "type": kind, "side": side,
            "transactTime": order.created,
        }  # fmt: skip

    def _find(self, params: dict[str, str]) -> tuple[Instrument, int | None, str | None]:
        inst = instrument_of(self.names, params)
        oid, cid = params.get("orderId"), params.get("origClientOrderId")
        if not oid and not cid:
            raise Reject(700004, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null")
        if oid and not oid.isdigit():
            raise VenueError(ErrorKind.UNKNOWN_ORDER, f"order {oid} does not exist")
        return inst, int(oid) if oid else None, cid

    def cancel(self, params: dict[str, str], api_key: str) -> dict[str, Any]:
        inst, oid, cid = self._find(params)
        order = self.ctx.engine.cancel(api_key, inst.symbol, oid, cid)
        return {"origClientOrderId": order.client_order_id, **order_json(self.names.wire[inst.symbol], order, inst)}

    def get_order(self, params: dict[str, str], api_key: str) -> dict[str, Any]:
        inst, oid, cid = self._find(params)
        order = self.ctx.engine.get_order(api_key, inst.symbol, oid, cid)
        return order_json(self.names.wire[inst.symbol], order, inst)

    def cancel_open_orders(self, params: dict[str, str], api_key: str) -> list[dict[str, Any]]:
        """DELETE /api/v3/openOrders: cancel every open order of the (comma-separated, at most 5) symbols."""
        wires = [w for w in params.get("symbol", "").split(",") if w]
        if not wires or len(wires) > 5:
            raise Reject(-1121, "Invalid symbol.")
        out: list[dict[str, Any]] = []
        for wire in wires:
            inst = instrument_of(self.names, {"symbol": wire})
            for order in self.ctx.engine.cancel_all(api_key, inst.symbol):
                body = order_json(self.names.wire[inst.symbol], order, inst)
                out.append({"origClientOrderId": order.client_order_id, **body})
        return out

    def my_trades(self, params: dict[str, str], api_key: str) -> list[dict[str, Any]]:
        """GET /api/v3/myTrades: the account's fills of ``symbol`` (by order, time window), at most 100."""
        inst = instrument_of(self.names, params)
        oid, start, end = params.get("orderId"), number(params, "startTime"), number(params, "endTime")
        limit = max(1, min(int(number(params, "limit") or 100), 100))
        account = self.ctx.engine.account(api_key)
        fills = account.trades(
            inst.symbol,
            int(oid) if oid and oid.isdigit() else (-1 if oid else None),
            None if start is None else int(start),
            None if end is None else int(end),
        )
        fills = fills[:limit] if start is not None and end is None else fills[-limit:]
        pd, qd = inst.price_decimals, inst.qty_decimals
        wire = self.names.wire[inst.symbol]
        return [
            {"symbol": wire, "id": str(f.trade_id), "orderId": str(f.order_id), "orderListId": -1,
             "price": fmt(f.price, pd), "qty": fmt(f.qty, qd), "quoteQty": fmt(f.quote_qty),
             "commission": fmt(f.fee), "commissionAsset": f.fee_asset, "time": f.timestamp,
             "isBuyer": f.side is Side.BUY, "isMaker": f.maker, "isBestMatch": True, "isSelfTrade": False,
             "clientOrderId": account.orders[f.order_id].client_order_id}
            for f in fills
        ]  # fmt: skip

    def open_orders(self, params: dict[str, str], api_key: str) -> list[dict[str, Any]]:
        symbol = instrument_of(self.names, params).symbol if "symbol" in params else None
        orders = self.ctx.engine.open_orders(api_key, symbol)
        return [order_json(self.names.wire[o.symbol], o, self.ctx.instruments[o.symbol]) for o in orders]

    def new_listen_key(self, params: dict[str, str], api_key: str) -> dict[str, Any]:
        key = secrets.token_hex(32)
        self.listen_keys[key] = api_key
        return {"listenKey": key}

    def keep_listen_key(self, params: dict[str, str], api_key: str) -> dict[str, Any]:
        key = params.get("listenKey", "")
        if self.listen_keys.get(key) != api_key:
            raise Reject(730002, "Your input param is invalid")
        return {"listenKey": key}

    def close_listen_key(self, params: dict[str, str], api_key: str) -> dict[str, Any]:
        key = self.keep_listen_key(params, api_key)["listenKey"]
        del self.listen_keys[key]
        return {"listenKey": key}
