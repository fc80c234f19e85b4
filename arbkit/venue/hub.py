"""Websocket connection registry of one exchange: topic subscriptions, broadcast, and the generic faults.

Protocols call ``hub.serve(request, on_message)`` from their websocket route and ``hub.broadcast(topic, payload)``
from their hooks; drop, stall, close-on-connect and close-on-subscribe live here so no protocol re-implements them.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from aiohttp import WSMsgType, web

__all__ = ["Connection", "Hub", "HubFaults", "MessageHandler", "is_subscribe"]

log = logging.getLogger(__name__)
_encoder = msgspec.json.Encoder()


def encode(payload: Any) -> str | bytes:
    """str and bytes go out as they are; anything else as JSON text."""
    if isinstance(payload, str | bytes):
        return payload
    return _encoder.encode(payload).decode()


class Connection:
    """One client websocket: its topics and whatever per-connection state the protocol keeps."""

    _ids = itertools.count(1)

    def __init__(self, ws: web.WebSocketResponse, path: str, transport: asyncio.BaseTransport | None = None) -> None:
        self.id = next(self._ids)
        self.ws = ws
        self.path = path
        self.transport = transport
        self.topics: set[str] = set()
        self.state: dict[str, Any] = {}

    @property
    def closed(self) -> bool:
        return self.ws.closed

    async def send(self, payload: Any) -> bool:
        """Send JSON (or raw str/bytes); False when the socket is already gone."""
        if self.ws.closed:
            return False
        data = encode(payload)
        try:
            if isinstance(data, bytes):
                await self.ws.send_bytes(data)
            else:
                await self.ws.send_str(data)
        except (ConnectionError, RuntimeError):
            return False
        return True


MessageHandler = Callable[[Connection, Any], Awaitable[None]]
_SUBSCRIBE = {"subscribe", "subscription"}


def is_subscribe(data: Any) -> bool:
    """A subscribe request in any of the four wire protocols (binance/mexc ``method``, kraken ``method``, gate
    ``event``)."""
    if not isinstance(data, dict):
        return False
    return str(data.get("method", "")).lower() in _SUBSCRIBE or str(data.get("event", "")).lower() == "subscribe"


class HubFaults:
    """Pending one-shot connection faults: counters the hub consumes as connections and requests arrive."""

    def __init__(self) -> None:
        self.close_on_connect = 0
        self.close_on_subscribe = 0


class Hub:
    """All websockets of one exchange."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.connections: set[Connection] = set()
        self.faults = HubFaults()
        self._stalled_until = 0.0

    async def serve(
        self,
        request: web.Request,
        on_message: MessageHandler,
        on_open: Callable[[Connection], Awaitable[None]] | None = None,
    ) -> web.WebSocketResponse:
        """Run one websocket until it closes; ``on_message`` gets decoded JSON (or bytes for binary frames).

        Text frames that are not JSON are passed as the raw string.
        """
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        conn = Connection(ws, request.path, request.transport)
        if self.faults.close_on_connect > 0 and conn.transport is not None:
            self.faults.close_on_connect -= 1  # fault: the socket dies before the client's first send
            conn.transport.abort()
            return ws
        self.connections.add(conn)
        try:
            if on_open is not None:
                await on_open(conn)
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    try:
                        data: Any = msgspec.json.decode(msg.data)
                    except msgspec.DecodeError:
                        data = msg.data
                elif msg.type is WSMsgType.BINARY:
                    data = msg.data
                else:
                    break
                if self.faults.close_on_subscribe > 0 and is_subscribe(data):
                    self.faults.close_on_subscribe -= 1  # fault: a close frame instead of the subscription's ack
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(ws.close(code=1011, message=b"venue closed during subscribe"), 1.0)
                    break
                try:
                    await on_message(conn, data)
                except Exception:
                    log.exception("%s: websocket handler failed on %r", self.name, str(data)[:200])
        finally:
            self.connections.discard(conn)
        return ws

    def subscribers(self, topic: str) -> list[Connection]:
        return [c for c in self.connections if topic in c.topics and not c.closed]

    async def broadcast(self, topic: str, payload: Any) -> int:
        """Send one payload (encoded once) to every subscriber of ``topic``; returns how many got it."""
        targets = self.subscribers(topic)
        if not targets:
            return 0
        data = encode(payload)
        sent = 0
        for conn in targets:
            sent += await conn.send(data)
        return sent

    async def drop_all(self, graceful: bool = False) -> int:
        """Fault: cut every websocket of this exchange; returns how many.

        By default the TCP connection is aborted (a network drop: no close frame). ``graceful`` sends a close
        frame (1001) instead; ccxt 4.5.90 handles that close twice, and a watch issued in between can leave
        two live clients on one URL, so the abort is the default.
        """
        conns = list(self.connections)
        for conn in conns:
            if not graceful and conn.transport is not None:
                conn.transport.abort()
                continue
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.ws.close(code=1001, message=b"venue dropped connection"), 1.0)
        self.connections.difference_update(conns)
        await asyncio.sleep(0)
        return len(conns)

    def stall(self, seconds: float) -> None:
        """Fault: keep sockets open but hold every market-data message for ``seconds``."""
        self._stalled_until = time.monotonic() + max(0.0, seconds)

    @property
    def stalled(self) -> bool:
        return time.monotonic() < self._stalled_until
