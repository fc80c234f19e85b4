"""Surgery on ccxt.pro's websocket state for one order book: fail a watch, forget stale futures and rejections,
drop one symbol's book (unsubscribing it alone where the exchange allows), reset a connection, and a receive loop
that yields to the event loop between batches of buffered frames.

ccxt.pro keeps per-connection ``futures``, ``rejections`` and ``subscriptions`` keyed by message hash; a book
failure recorded while no watch is pending is kept as a rejection that ``client.future()`` turns into an
already-failed future it then keeps returning. Everything here works on those dicts so the book feed can recover
one symbol without disturbing the others.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import ccxt
from ccxt.async_support.base.ws.client import MSG_SIZE_OVERHEAD, Client

from arbkit.exchanges.tuple_book import tuple_order_book

log = logging.getLogger(__name__)

# Keeps fire-and-forget closes and unsubscribes referenced until they finish.
_background: set[asyncio.Future[object]] = set()

#: frames ccxt handles from its receive buffer before it yields to the event loop
RECEIVE_BATCH = 32


class SequenceGap(ccxt.ChecksumError):
    """Raised into ccxt's futures by arbkit's exchange subclasses when a delta skips sequence ids."""


class ChecksumMismatch(ccxt.ChecksumError):
    """Raised into ccxt's futures when the exchange's book checksum disagrees with the local book."""


def _keep(future: asyncio.Future[Any]) -> None:
    _background.add(future)
    future.add_done_callback(_background.discard)


def ws_clients(exchange: Any) -> list[Any]:
    return list((getattr(exchange, "clients", None) or {}).values())


def book_hash(exchange: Any, symbol: str) -> str:
    """ccxt's message hash of ``symbol``'s order book on this exchange (an exchange subclass may say)."""
    hook = getattr(exchange, "arbkit_book_hash", None)
    if hook is not None:
        return str(hook(symbol))
    for ws in ws_clients(exchange):
        for key in [*ws.subscriptions, *ws.futures, *ws.rejections]:
            text = str(key)
            if "orderbook" in text and text.endswith(symbol) and not text.startswith("unsubscribe"):
                return text
    return "orderbook:" + symbol


def fail_watch(exchange: Any, client: Any, symbol: str, message_hash: str, error: ccxt.ChecksumError) -> Any:
    """For an exchange subclass that found a book wrong: drop ccxt's local book and subscription and fail the watch
    with ``error``, so the feed counts it and the next watch subscribes again from a fresh snapshot.
    Returns the dropped subscription (a venue that needs an explicit unsubscribe reads its parameters)."""
    exchange.orderbooks.pop(symbol, None)
    subscription = client.subscriptions.pop(message_hash, None)
    client.reject(error, message_hash)
    return subscription


def forget_stale(exchange: Any, message_hash: str) -> int:
    """Drop settled futures and recorded rejections of ``message_hash`` on every connection: after a failure has
    been handled, ccxt would otherwise hand the same failed future to every later watch. Returns how many."""
    dropped = 0
    for ws in ws_clients(exchange):
        future = ws.futures.get(message_hash)
        if future is not None and future.done():
            del ws.futures[message_hash]
            dropped += 1
        if ws.rejections.pop(message_hash, None) is not None:
            dropped += 1
    return dropped


def settled_watch(exchange: Any, message_hash: str) -> bool:
    """True when a watch of ``message_hash`` would return an already-settled future (it could never yield)."""
    for ws in ws_clients(exchange):
        future = ws.futures.get(message_hash)
        if future is not None and future.done() and not future.cancelled():
            return True
    return False


def socket_alive(exchange: Any, symbol: str, within_s: float, url: str | None = None) -> bool:
    """True when a connection carrying ``symbol``'s book received a frame in the last ``within_s`` seconds (its other
    books still stream, so a failure of this one is the book's, not the connection's)."""
    now = exchange.milliseconds()
    for ws in _carriers(exchange, book_hash(exchange, symbol), url):
        if not ws.closed() and ws.last_message_at and now - ws.last_message_at < within_s * 1000.0:
            return True
    return False


def _carriers(exchange: Any, message_hash: str, url: str | None = None) -> list[Any]:
    """The connection(s) carrying a book: by its hash, or (once ccxt forgot the subscription after a failed check)
    the connection at ``url`` where it was last seen, or the socket that still carries the exchange's books."""
    found = [ws for ws in ws_clients(exchange) if message_hash in ws.subscriptions or message_hash in ws.futures]
    if not found and url is not None:
        found = [ws for ws in ws_clients(exchange) if ws.url == url]
    if not found:
        found = [ws for ws in ws_clients(exchange) if any("orderbook" in str(k) for k in ws.subscriptions)][:1]
    return found


def interrupt_watch(exchange: Any, message_hash: str, error: Exception) -> bool:
    """Fail a pending watch of ``message_hash`` (e.g. a stall noticed by the supervisor); False if none pending."""
    hit = False
    for ws in ws_clients(exchange):
        future = ws.futures.get(message_hash)
        if future is not None and not future.done():
            ws.reject(error, message_hash)
            hit = True
    return hit


async def drop_book(exchange: Any, symbol: str, url: str | None = None) -> str:
    """Forget ccxt's book of ``symbol`` and unsubscribe that symbol alone, so the next watch subscribes again from a
    fresh snapshot while the other symbols on the same socket keep streaming. An exchange without a per-symbol
    unsubscribe (a hook ``arbkit_unsubscribe_book``) has its connection(s) carrying the symbol closed instead.
    Returns ``"unsubscribed"`` or ``"reconnected"``."""
    message_hash = book_hash(exchange, symbol)
    carriers = _carriers(exchange, message_hash, url)
    if isinstance(getattr(exchange, "orderbooks", None), dict):
        exchange.orderbooks.pop(symbol, None)
    unsubscribe = getattr(exchange, "arbkit_unsubscribe_book", None)
    for ws in carriers:
        subscription = ws.subscriptions.pop(message_hash, None)
        if unsubscribe is None or ws.closed():
            continue
        try:
            await unsubscribe(ws, symbol, subscription)
        except Exception as exc:  # the socket went away meanwhile: reconnecting is the fallback
            log.debug("%s %s: unsubscribe failed (%s); reconnecting", exchange.id, symbol, exc)
            unsubscribe = None
            break
    forget_stale(exchange, message_hash)
    if unsubscribe is None:
        reset_connections(exchange, symbol, "resync")
        return "reconnected"
    return "unsubscribed"


def reset_connections(exchange: Any, symbol: str, reason: str) -> int:
    """Fail and drop the ccxt websocket connection(s) that carry ``symbol`` so the next watch resubscribes."""
    clients = getattr(exchange, "clients", None) or {}
    message_hash = book_hash(exchange, symbol)
    targets = [
        c
        for c in clients.values()
        if message_hash in c.futures or any(symbol in str(key) for key in list(c.subscriptions))
    ]
    for ws in targets:
        ws.reject(ccxt.NetworkError(f"{exchange.id} {symbol}: {reason}"))
        clients.pop(ws.url, None)
        _keep(asyncio.ensure_future(ws.close()))
    if isinstance(getattr(exchange, "orderbooks", None), dict):
        exchange.orderbooks.pop(symbol, None)
    return len(targets)


def send_soon(client: Any, message: Any) -> None:
    """Send ``message`` on a ccxt connection without awaiting it (from a synchronous message handler)."""
    _keep(asyncio.ensure_future(client.send(message)))


class BatchedClient(Client):
    """ccxt's websocket client, except that a backlog of buffered frames is handled ``RECEIVE_BATCH`` at a time with
    a yield to the event loop in between, so book feeds and the scanner see a burst as it is applied, not after it;
    and that closing it ends a dial still in flight (ccxt leaves that task running)."""

    _dial: asyncio.Future[Any] | None = None  # a class default: instances are ccxt Clients with their class swapped

    def connect(self, session: Any, backoff_delay: float = 0) -> Any:
        """ccxt's, keeping the dial task. A dial first sleeps out ccxt's per-URL dial backoff (up to 30 s after
        failed dials); ccxt closes only an open connection, so without this a dial outlived its client's close,
        and the exchange's, by that long."""
        if not self.connection and not self.connecting:
            self.connecting = True
            self._dial = asyncio.ensure_future(self.open(session, backoff_delay), loop=self.asyncio_loop)
        return self.connected

    async def close(self, code: int = 1000) -> None:
        dial = self._dial
        if dial is not None and not dial.done() and dial is not asyncio.current_task():
            dial.cancel()
        await super().close(code)

    def _orphaned(self) -> bool:
        """ccxt has replaced or dropped this connection: frames still buffered on it must not touch the new books."""
        exchange = getattr(self.on_message_callback, "__self__", None)
        clients = getattr(exchange, "clients", None)
        return isinstance(clients, dict) and clients.get(self.url) is not self

    def receive_loop(self) -> None:
        if self._orphaned():
            return
        if self.closed():
            self.on_close(1006)  # terminated after the connection was made, before the loop ran
            return
        buffer = self.buffer
        if buffer and len(buffer) > 1:
            size_delta = 0
            handled = 0
            while len(buffer) > 1 and handled < RECEIVE_BATCH and not self._orphaned():
                message, size = buffer.popleft()
                size_delta += size + MSG_SIZE_OVERHEAD
                self.handle_message(message)
                handled += 1
            if buffer:  # aiohttp accounts the drained frames' size on the head it will return next
                buffer[0] = (buffer[0][0], buffer[0][1] + size_delta)
            if len(buffer) > 1:
                self.asyncio_loop.call_soon(self.receive_loop)
                return
        task = self.asyncio_loop.create_task(self.receive())
        task.add_done_callback(self._received)

    def _received(self, resolved: asyncio.Future[Any]) -> None:
        if resolved.cancelled():
            return
        exception = resolved.exception()
        if exception is not None:
            self.reject(ccxt.NetworkError(str(exception)))
            return
        if self._orphaned():
            return
        self.handle_message(resolved.result())
        self.asyncio_loop.call_soon(self.receive_loop)


class BatchedReceive:
    """Mixin for an exchange's ccxt.pro class: its websocket connections handle bursts in batches, and its books
    keep their rows as tuples (``tuple_book``), so the feed slices them instead of copying every level."""

    def order_book(self, snapshot: dict[str, Any] | None = None, depth: int | None = None) -> Any:
        return tuple_order_book(snapshot, depth)

    def client(self, url: str) -> Any:
        ws = super().client(url)  # type: ignore[misc]
        if type(ws) is Client:
            ws.__class__ = BatchedClient  # only methods differ: the instance keeps all of its state
        return ws
