"""Binance spot REST handlers on the local venue: public market data and signed account/order endpoints.

Each handler takes ``(params, api_key)`` and returns the JSON body; the protocol wraps them into routes.
"""

from __future__ import annotations

from typing import Any

from arbkit.structs import OrderType, Side, TimeInForce
from arbkit.venue.engine import Fill
from arbkit.venue.instruments import Instrument
from arbkit.venue.market import PublicTrade
from arbkit.venue.protocols import ExchangeContext
from arbkit.venue.protocols.binance_wire import (
    agg_json,
    instrument_of,
    integer,
    number,
    order_json,
    symbol_info,
    top_json,
)
from arbkit.venue.protocols.hmac_query import Reject, SymbolNames, fmt, ms

__all__ = ["BinancePrivateRest", "BinancePublicRest"]


class BinancePublicRest:
    """Market data: exchange info, depth (lastUpdateId = venue seq), tickers, book tickers, recent trades."""

    def __init__(self, ctx: ExchangeContext, names: SymbolNames) -> None:
        self.ctx, self.names, self.wire = ctx, names, names.wire

    def exchange_info(self, params: dict[str, str], _: str) -> dict[str, Any]:
        return {
            "timezone": "UTC",
            "serverTime": ms(),
            "rateLimits": [],
            "exchangeFilters": [],
            "symbols": [symbol_info(self.wire[s], i) for s, i in self.ctx.instruments.items()],
        }

    def depth(self, params: dict[str, str], _: str) -> dict[str, Any]:
        inst = instrument_of(self.names, params)
        limit = min(integer(params, "limit", 100) or 1, 5000)
        snap = self.ctx.book(inst.symbol).snapshot(limit)
        pd, qd = inst.price_decimals, inst.qty_decimals
        return {
            "lastUpdateId": snap.seq,
            "bids": [[fmt(p, pd), fmt(q, qd)] for p, q in snap.bids],
            "asks": [[fmt(p, pd), fmt(q, qd)] for p, q in snap.asks],
        }

    def ticker(self, params: dict[str, str], _: str) -> Any:
        if "symbol" in params:
            return self._ticker_of(instrument_of(self.names, params))
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
        now = ms()
        open_price, last_price = prices[0], prices[-1]
        return {
            "symbol": self.wire[inst.symbol],
            "priceChange": fmt(last_price - open_price, pd),
            "priceChangePercent": fmt((last_price - open_price) / open_price * 100 if open_price else 0.0, 3),
            "weightedAvgPrice": fmt(quote_volume / volume if volume else last_price, pd),
            "prevClosePrice": fmt(open_price, pd),
            "lastPrice": fmt(last_price, pd),
            "lastQty": fmt(last.qty if last else 0.0, qd),
            "bidPrice": fmt(bid[0], pd),
            "bidQty": fmt(bid[1], qd),
            "askPrice": fmt(ask[0], pd),
            "askQty": fmt(ask[1], qd),
            "openPrice": fmt(open_price, pd),
            "highPrice": fmt(max(prices), pd),
            "lowPrice": fmt(min(prices), pd),
            "volume": fmt(volume, qd),
            "quoteVolume": fmt(quote_volume, 8),
            "openTime": trades[0].timestamp if trades else now - 86_400_000,
            "closeTime": now,
            "firstId": trades[0].trade_id if trades else -1,
            "lastId": last.trade_id if last else -1,
            "count": len(trades),
        }

    def book_ticker(self, params: dict[str, str], _: str) -> Any:
        insts = [instrument_of(self.names, params)] if "symbol" in params else list(self.ctx.instruments.values())
        out = [top_json(self.wire[inst.symbol], inst, self.ctx.book(inst.symbol)) for inst in insts]
        return out[0] if "symbol" in params else out

    def _recent(self, params: dict[str, str]) -> tuple[Instrument, list[PublicTrade]]:
        inst = instrument_of(self.names, params)
        return inst, self.ctx.trades(inst.symbol, min(integer(params, "limit", 500) or 1, 1000))

    def agg_trades(self, params: dict[str, str], _: str) -> list[dict[str, Any]]:
        inst, trades = self._recent(params)
        return [agg_json(inst, t) for t in trades]

    def trades(self, params: dict[str, str], _: str) -> list[dict[str, Any]]:
        inst, trades = self._recent(params)
        pd, qd = inst.price_decimals, inst.qty_decimals
        return [
            {
                "id": t.trade_id,
                "price": fmt(t.price, pd),
                "qty": fmt(t.qty, qd),
                "quoteQty": fmt(t.price * t.qty),
                "time": t.timestamp,
                "isBuyerMaker": t.side == "sell",
                "isBestMatch": True,
            }
            for t in trades
        ]


class BinancePrivateRest:
    """Signed endpoints: account, commission and trade fees, orders and own trades."""

    def __init__(self, ctx: ExchangeContext, names: SymbolNames) -> None:
        self.ctx, self.names, self.wire = ctx, names, names.wire

    def account(self, params: dict[str, str], api_key: str) -> dict[str, Any]:
        account = self.ctx.engine.account(api_key)
        fee = next(iter(self.ctx.instruments.values()))
        rates = {"maker": fmt(fee.maker_fee), "taker": fmt(fee.taker_fee), "buyer": fmt(0), "seller": fmt(0)}
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
            "updateTime": ms(),
            "accountType": "SPOT",
            "balances": [
                {"asset": a, "free": fmt(b.free), "locked": fmt(b.locked)} for a, b in account.balances.items()
            ],
            "permissions": ["SPOT"],
            "uid": 1,
        }

    def commission(self, params: dict[str, str], api_key: str) -> dict[str, Any]:
        inst = instrument_of(self.names, params)
        zero = {"maker": fmt(0), "taker": fmt(0), "buyer": fmt(0), "seller": fmt(0)}
        standard = {"maker": fmt(inst.maker_fee), "taker": fmt(inst.taker_fee), "buyer": fmt(0), "seller": fmt(0)}
        discount = {"enabledForAccount": False, "enabledForSymbol": False, "discountAsset": "BNB", "discount": fmt(0)}
        return {
            "symbol": self.wire[inst.symbol],
            "standardCommission": standard,
            "taxCommission": zero,
            "discount": discount,
        }

    def trade_fee(self, params: dict[str, str], api_key: str) -> list[dict[str, Any]]:
        insts = [instrument_of(self.names, params)] if "symbol" in params else list(self.ctx.instruments.values())
        return [
            {"symbol": self.wire[i.symbol], "makerCommission": fmt(i.maker_fee), "takerCommission": fmt(i.taker_fee)}
            for i in insts
        ]

    def _order_args(self, params: dict[str, str]) -> tuple[Instrument, dict[str, Any]]:
        """The instrument and the engine arguments of a new-order request (POST order and order/test)."""
        inst = instrument_of(self.names, params)
        kind = params.get("type", "").upper()
        if kind not in ("LIMIT", "MARKET", "LIMIT_MAKER"):
            raise Reject(-1116, "Invalid orderType.")
        side = params.get("side", "").upper()
        if side not in ("BUY", "SELL"):
            raise Reject(-1117, "Invalid side.")
        tif = params.get("timeInForce", "GTC").upper()
        if tif not in ("GTC", "IOC", "FOK"):
            raise Reject(-1115, "Invalid timeInForce.")
        args = {
            "side": Side.BUY if side == "BUY" else Side.SELL,
            "type": OrderType.MARKET if kind == "MARKET" else OrderType.LIMIT,
            "quantity": number(params, "quantity"),
            "price": number(params, "price"),
            "time_in_force": TimeInForce(tif),
            "quote_quantity": number(params, "quoteOrderQty"),
            "client_order_id": params.get("newClientOrderId"),
            "post_only": kind == "LIMIT_MAKER",
        }
        return inst, args

    def test_order(self, params: dict[str, str], api_key: str) -> dict[str, Any]:
        """POST /api/v3/order/test: every check of a new order, nothing placed; ``{}`` (or the commission rates the
        order would pay when ``computeCommissionRates=true``)."""
        inst, args = self._order_args(params)
        self.ctx.engine.check(
            api_key,
            inst.symbol,
            args["side"],
            args["type"],
            quantity=args["quantity"],
            price=args["price"],
            quote_quantity=args["quote_quantity"],
        )
        if params.get("computeCommissionRates", "").lower() != "true":
            return {}
        rate = {"maker": fmt(inst.maker_fee), "taker": fmt(inst.taker_fee)}
        return {
            "standardCommissionForOrder": rate,
            "taxCommissionForOrder": {"maker": fmt(0), "taker": fmt(0)},
            "discount": {"enabledForAccount": False, "enabledForSymbol": False, "discountAsset": "BNB",
                         "discount": fmt(0)},
        }  # fmt: skip

    def create(self, params: dict[str, str], api_key: str) -> dict[str, Any]:
        inst, args = self._order_args(params)
        order = self.ctx.engine.place(api_key, inst.symbol, **args)
        out = order_json(self.wire[inst.symbol], order, inst)
        out["transactTime"] = order.created
        if params.get("newOrderRespType", "FULL").upper() == "FULL":
            fills = [f for f in self.ctx.engine.account(api_key).fills if f.order_id == order.order_id]
            out["fills"] = [
                {
                    "price": fmt(f.price, inst.price_decimals),
                    "qty": fmt(f.qty, inst.qty_decimals),
                    "commission": fmt(f.fee),
                    "commissionAsset": f.fee_asset,
                    "tradeId": f.trade_id,
                }
                for f in fills
            ]
        return out

    def _find(self, params: dict[str, str]) -> tuple[Instrument, int | None, str | None]:
        inst = instrument_of(self.names, params)
        oid = params.get("orderId") or None
        cid = params.get("origClientOrderId") or None
        if oid is None and cid is None:
            raise Reject(-1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!")
        return inst, integer(params, "orderId", None) if oid is not None else None, cid

    def cancel(self, params: dict[str, str], api_key: str) -> dict[str, Any]:
        inst, oid, cid = self._find(params)
        order = self.ctx.engine.cancel(api_key, inst.symbol, oid, cid)
        return {"origClientOrderId": order.client_order_id, **order_json(self.wire[inst.symbol], order, inst)}

    def get_order(self, params: dict[str, str], api_key: str) -> dict[str, Any]:
        inst, oid, cid = self._find(params)
        return order_json(self.wire[inst.symbol], self.ctx.engine.get_order(api_key, inst.symbol, oid, cid), inst)

    def cancel_open_orders(self, params: dict[str, str], api_key: str) -> list[dict[str, Any]]:
        """DELETE /api/v3/openOrders: cancel every open order of ``symbol``; -2011 when there is none."""
        inst = instrument_of(self.names, params)
        cancelled = self.ctx.engine.cancel_all(api_key, inst.symbol)
        if not cancelled:
            raise Reject(-2011, "Unknown order sent.")
        wire = self.wire[inst.symbol]
        return [{"origClientOrderId": o.client_order_id, **order_json(wire, o, inst)} for o in cancelled]

    def open_orders(self, params: dict[str, str], api_key: str) -> list[dict[str, Any]]:
        symbol = instrument_of(self.names, params).symbol if "symbol" in params else None
        orders = self.ctx.engine.open_orders(api_key, symbol)
        return [order_json(self.wire[o.symbol], o, self.ctx.instruments[o.symbol]) for o in orders]

    def _trade_window(self, params: dict[str, str], api_key: str, symbol: str, limit: int) -> list[Fill]:
        """myTrades with filters: by ``orderId``, from a trade id (``fromId``, oldest first), or in a time window
        (from ``startTime`` the oldest first, else the latest)."""
        order_id, from_id = number(params, "orderId"), number(params, "fromId")
        start, end = number(params, "startTime"), number(params, "endTime")
        fills = self.ctx.engine.account(api_key).trades(
            symbol,
            None if order_id is None else int(order_id),
            None if start is None else int(start),
            None if end is None else int(end),
        )
        if from_id is not None:
            return [f for f in fills if f.trade_id >= from_id][:limit]
        return fills[:limit] if start is not None and end is None else fills[-limit:]

    def my_trades(self, params: dict[str, str], api_key: str) -> list[dict[str, Any]]:
        inst = instrument_of(self.names, params)
        limit = min(integer(params, "limit", 500) or 1, 1000)
        fills = [f for f in self.ctx.engine.account(api_key).fills if f.symbol == inst.symbol][-limit:]
        if params.keys() & {"orderId", "fromId", "startTime", "endTime"}:
            fills = self._trade_window(params, api_key, inst.symbol, limit)
        pd, qd = inst.price_decimals, inst.qty_decimals
        return [
            {
                "symbol": self.wire[inst.symbol],
                "id": f.trade_id,
                "orderId": f.order_id,
                "orderListId": -1,
                "price": fmt(f.price, pd),
                "qty": fmt(f.qty, qd),
                "quoteQty": fmt(f.quote_qty),
                "commission": fmt(f.fee),
                "commissionAsset": f.fee_asset,
                "time": f.timestamp,
                "isBuyer": f.side is Side.BUY,
                "isMaker": f.maker,
                "isBestMatch": True,
            }
            for f in fills
        ]
