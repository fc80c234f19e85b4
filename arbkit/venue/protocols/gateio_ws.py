"""Gate.io v4 websocket ``/ws/v4/`` on the local venue: ``spot.obu`` books (a ``full`` snapshot, then deltas whose
``U``/``u`` are the venue book's sequence ids), ``spot.trades``, ``spot.ping`` and the authenticated private
channels ``spot.orders``, ``spot.balances``, ``spot.usertrades``."""

from __future__ import annotations

import hmac
import time
from typing import Any

import msgspec
from aiohttp import web

from arbkit.venue.book import BookDelta
from arbkit.venue.engine import BalanceEvent, ExecKind, OrderEvent
from arbkit.venue.hub import Connection
from arbkit.venue.instruments import Instrument
from arbkit.venue.market import PublicTrade
from arbkit.venue.protocols import ExchangeContext
from arbkit.venue.protocols.gateio_auth import is_fresh, ws_signature
from arbkit.venue.protocols.gateio_payloads import GatePayloads, num, order_text, pair_id, user_id

__all__ = ["GateStream"]

OBU_LEVELS = ("50", "400")
PRIVATE_CHANNELS = ("spot.orders", "spot.balances", "spot.usertrades")


def _message(channel: str, event: str, result: Any, **extra: Any) -> dict[str, Any]:
    now = time.time()
    return {"time": int(now), "time_ms": int(now * 1000), "channel": channel, "event": event, **extra, "result": result}


def _answer(data: dict[str, Any], error: tuple[int, str] | None = None) -> dict[str, Any]:
    """The reply to a (un)subscribe request, echoing its channel, event, id and payload; ``error`` (code, message)
    makes it a failure."""
    channel, event = str(data.get("channel", "")), str(data.get("event", ""))
    extra: dict[str, Any] = {"id": data.get("id"), "payload": data.get("payload")}
    if error is None:
        return _message(channel, event, {"status": "success"}, **extra)
    return _message(channel, event, {"status": "fail"}, **extra, error={"code": error[0], "message": error[1]})


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
        if not isinstance(data.get("payload") or [], list):
            await conn.send(_answer(data, (2, "invalid argument: payload must be a list")))
            return
        if channel == "spot.ping":
            await conn.send(_message("spot.pong", "", None, id=data.get("id")))
        elif event not in ("subscribe", "unsubscribe"):
            await conn.send(_answer(data, (1, f"unknown event {event!r}")))
        elif channel == "spot.obu":
            await self._obu(conn, data, event == "subscribe")
        elif channel == "spot.trades":
            await self._trades(conn, data, event == "subscribe")
        elif channel in PRIVATE_CHANNELS:
            await self._private(conn, data, event == "subscribe")
        else:
            await conn.send(_answer(data, (1, f"unknown channel {channel!r}")))

    async def _obu(self, conn: Connection, data: dict[str, Any], subscribe: bool) -> None:
        streams = [str(s) for s in data.get("payload") or []]
        parsed: list[tuple[str, Instrument]] = []
        for stream in streams:
            parts = stream.split(".")
            inst = self.p.by_pair.get(parts[1]) if len(parts) == 3 and parts[0] == "ob" else None
            if inst is None or parts[2] not in OBU_LEVELS:
                await conn.send(_answer(data, (2, f"invalid order book stream: {stream}")))
                return
            parsed.append((stream, inst))
        await conn.send(_answer(data))
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
            await conn.send(_answer(data, (2, f"unknown currency pair: {', '.join(bad) or '(none)'}")))
            return
        for pair in pairs:
            (conn.topics.add if subscribe else conn.topics.discard)(f"spot.trades.{pair}")
        await conn.send(_answer(data))

    async def _private(self, conn: Connection, data: dict[str, Any], subscribe: bool) -> None:
        """Verify ``auth`` (SIGN over channel, event and time, as ccxt signs it), then (un)subscribe the key."""
        channel, event = str(data["channel"]), str(data["event"])
        auth = data.get("auth") if isinstance(data.get("auth"), dict) else {}
        key, sign, ts = auth.get("KEY"), str(auth.get("SIGN", "")), data.get("time")
        secret = self.ctx.secret_for(key)
        label = None
        if secret is None:
            label = "INVALID_KEY"
        elif not is_fresh(ts):
            label = "REQUEST_EXPIRED"
        elif not hmac.compare_digest(ws_signature(secret, channel, event, str(ts)), sign):
            label = "INVALID_SIGNATURE"
        if label is not None:
            await conn.send(_answer(data, (4, msgspec.json.encode({"label": label, "message": label}).decode())))
            return
        topic = f"{channel}#{key}"
        pairs = {str(p) for p in data.get("payload") or []}
        if subscribe:
            conn.topics.add(topic)
            conn.state[topic] = None if not pairs or "!all" in pairs else pairs
            conn.state["private"] = True
        else:
            conn.topics.discard(topic)
        await conn.send(_answer(data))

    async def _send_private(self, topic: str, pair: str | None, message: dict[str, Any]) -> None:
        for conn in self.ctx.hub.subscribers(topic):
            wanted = conn.state.get(topic)
            if pair is None or wanted is None or pair in wanted:
                await conn.send(message)

    # ------------------------------------------------------------------ hooks from the core

    async def on_book_delta(self, symbol: str, delta: BookDelta) -> None:
        inst = self.ctx.instruments[symbol]
        pair = pair_id(symbol)
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
        topic = f"spot.trades.{pair_id(symbol)}"
        if self.ctx.hub.subscribers(topic):
            payload = self.p.trade(self.ctx.instruments[symbol], trade)
            await self.ctx.hub.broadcast(topic, _message("spot.trades", "update", payload))

    async def on_order_event(self, event: OrderEvent) -> None:
        order, user = event.order, user_id(event.api_key)
        if event.kind is ExecKind.NEW:
            kind = "put"
        else:
            kind = "update" if order.is_open else "finish"
        pair = pair_id(order.symbol)
        result = [self.p.order(order, kind, user)]
        await self._send_private(f"spot.orders#{event.api_key}", pair, _message("spot.orders", "update", result))
        if event.fill is not None:
            trades = [self.p.user_trade(event.fill, order_text(order), user)]
            message = _message("spot.usertrades", "update", trades)
            await self._send_private(f"spot.usertrades#{event.api_key}", pair, message)

    async def on_balance_event(self, event: BalanceEvent) -> None:
        user, ts = str(user_id(event.api_key)), event.timestamp
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
                    "change": num(total - before),
                    "total": num(total),
                    "available": num(bal.free),
                    "freeze": num(bal.locked),
                    "change_type": "order-match",
                }
            )
        if rows:
            await self._send_private(f"spot.balances#{event.api_key}", None, _message("spot.balances", "update", rows))
