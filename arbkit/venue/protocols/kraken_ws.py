"""Kraken websocket v2 on the local venue: the public ``/v2`` (``book``, ``trade``) and the private ``/auth/v2``
(``executions``, ``balances``, opened with a REST-issued token), with Kraken's status message and heartbeats."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from aiohttp import web

from arbkit.structs import OrderStatus
from arbkit.venue.engine import BalanceEvent, ExecKind, OrderEvent, VenueOrder
from arbkit.venue.hub import Connection
from arbkit.venue.market import PublicTrade
from arbkit.venue.protocols import ExchangeContext
from arbkit.venue.protocols.kraken_auth import WsTokens
from arbkit.venue.protocols.kraken_book import KrakenBooks
from arbkit.venue.protocols.kraken_payloads import execution, iso_time, to_txid

__all__ = ["DEPTHS", "KrakenStream"]

DEPTHS = (10, 25, 100, 500, 1000)


def _ack(method: str, req_id: Any, result: dict[str, Any] | None = None, error: str | None = None) -> dict[str, Any]:
    now = iso_time(time.time() * 1000)
    out: dict[str, Any] = {"method": method, "success": error is None, "time_in": now, "time_out": now}
    if req_id is not None:
        out["req_id"] = req_id
    if error is not None:
        out["error"] = error
    elif result is not None:
        out["result"] = result
    return out


async def _request(conn: Connection, msg: Any) -> tuple[Any, Any, dict[str, Any]] | None:
    """(method, req_id, params) of a client request; None for a non-request or a ping (answered here)."""
    if not isinstance(msg, dict):
        return None
    method, req_id = msg.get("method"), msg.get("req_id")
    params = msg.get("params") or {}
    if method == "ping":
        await conn.send(_ack("pong", req_id))
        return None
    symbols = params.get("symbol", []) if isinstance(params, dict) else None
    if not isinstance(symbols, list) or not all(isinstance(s, str) for s in symbols):
        await conn.send(_ack(str(method), req_id, error="Malformed request"))  # Kraken's answer to a bad shape
        return None
    return method, req_id, params


class KrakenStream:
    """Both websockets: subscriptions, public trades and the private pushes, fanned out through the shared hub."""

    def __init__(self, ctx: ExchangeContext, books: KrakenBooks, tokens: WsTokens) -> None:
        self.ctx, self.books, self.tokens = ctx, books, tokens
        self._totals: dict[tuple[str, str], float] = {}

    async def handle_public(self, request: web.Request) -> web.WebSocketResponse:
        return await self._serve(request, self._on_public)

    async def handle_private(self, request: web.Request) -> web.WebSocketResponse:
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

    async def _on_public(self, conn: Connection, msg: Any) -> None:
        request = await _request(conn, msg)
        if request is None:
            return
        method, req_id, params = request
        channel = params.get("channel")
        if method not in ("subscribe", "unsubscribe") or channel not in ("book", "trade"):
            await conn.send(_ack(str(method), req_id, error="Malformed request"))
            return
        depth = params.get("depth", 10)
        if channel == "book" and depth not in DEPTHS:
            await conn.send(_ack(method, req_id, error="Subscription depth not supported"))
            return
        for symbol in params.get("symbol") or []:
            topic = f"{channel}:{symbol}"
            if symbol not in self.ctx.instruments:
                await conn.send(
                    {**_ack(method, req_id, error=f"Currency pair not supported {symbol}"), "symbol": symbol}
                )
            elif method == "unsubscribe":
                conn.topics.discard(topic)
                conn.state["books"].pop(symbol, None)
                await conn.send(_ack(method, req_id, {"channel": channel, "symbol": symbol}))
            elif topic in conn.topics:
                await conn.send({**_ack(method, req_id, error="Already subscribed"), "symbol": symbol})
            else:
                result = {"channel": channel, "symbol": symbol, "snapshot": True}
                await conn.send(_ack(method, req_id, {**result, "depth": depth} if channel == "book" else result))
                conn.topics.add(topic)
                if channel == "book":
                    await self.books.send_snapshot(conn, symbol, depth)

    async def on_trade(self, symbol: str, trade: PublicTrade) -> None:
        data = {
            "symbol": symbol,
            "side": trade.side,
            "price": trade.price,
            "qty": trade.qty,
            "ord_type": "limit",
            "trade_id": trade.trade_id,
            "timestamp": iso_time(trade.timestamp),
        }
        await self.ctx.hub.broadcast(f"trade:{symbol}", {"channel": "trade", "type": "update", "data": [data]})

    # ------------------------------------------------------------------ private websocket

    async def _on_private(self, conn: Connection, msg: Any) -> None:
        request = await _request(conn, msg)
        if request is None:
            return
        method, req_id, params = request
        channel = params.get("channel")
        api_key = self.tokens.owner(str(params.get("token")))
        if method != "subscribe" or channel not in ("executions", "balances"):
            await conn.send(_ack(str(method), req_id, error="Malformed request"))
            return
        if api_key is None:
            await conn.send(_ack(method, req_id, error="ESession:Invalid session"))
            return
        await conn.send(_ack(method, req_id, {"channel": channel, "snapshot": True}))
        conn.topics.add(f"{channel}:{api_key}")
        conn.state["private"] = True
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

    @staticmethod
    async def _push(conn: Connection, channel: str, kind: str, data: list[dict[str, Any]]) -> None:
        conn.state["seq"] = conn.state.get("seq", 0) + 1
        await conn.send({"channel": channel, "type": kind, "data": data, "sequence": conn.state["seq"]})

    def _execution(self, order: VenueOrder, exec_type: str) -> dict[str, Any]:
        return execution(self.ctx.instruments[order.symbol], order, exec_type)

    async def on_order_event(self, event: OrderEvent) -> None:
        subs = self.ctx.hub.subscribers(f"executions:{event.api_key}")
        if not subs:
            return
        order, fill = event.order, event.fill
        items: list[dict[str, Any]] = []
        if event.kind is ExecKind.TRADE and fill is not None:
            trade = self._execution(order, "trade")
            trade.update(
                exec_id=to_txid("T", fill.trade_id),
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
                    "ledger_id": to_txid("L", event.timestamp),
                    "ref_id": "",
                    "timestamp": iso_time(event.timestamp),
                    "type": "trade",
                    "subtype": "",
                    "category": "trade",
                    "wallet_type": "spot",
                    "wallet_id": "main",
                }
            )
        for conn in self.ctx.hub.subscribers(f"balances:{event.api_key}"):
            await self._push(conn, "balances", "update", data)
