"""One live order book: a ccxt.pro watch loop with health accounting, recovery and self-supervision.

Every failure ccxt (or the socket under it) raises, a sequence gap or checksum mismatch, a dropped connection, a
stalled stream, a persistently crossed book, leads to a resync with exponential backoff and full jitter, never to a
silently wrong book, a dead task or a loop that spins without yielding. A book-level failure resyncs that symbol
alone (unsubscribe and subscribe again on a shared socket); a repeated one resets the connection.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from typing import Any

import ccxt

from arbkit.config import WebsocketConfig
from arbkit.exchanges.ccxt_books import (
    ChecksumMismatch,
    SequenceGap,
    book_hash,
    drop_book,
    fail_watch,
    forget_stale,
    interrupt_watch,
    reset_connections,
    settled_watch,
    socket_alive,
    ws_clients,
)
from arbkit.exchanges.convert import levels
from arbkit.exchanges.tuple_book import TUPLE_SIDES
from arbkit.structs import BookHealth, BookState, BookUpdate, OrderBook, Symbol

__all__ = ["BookFeed", "BookStalled", "ChecksumMismatch", "SequenceGap", "fail_watch", "reset_connections"]

log = logging.getLogger(__name__)

_CROSSED_LIMIT = 3  # consecutive crossed books before a forced resync
_BOOK_RETRIES = 3  # per-symbol resyncs in a row before the connection itself is reset
_MIN_SYNC_S = 1.0  # a (re)subscribe gets at least this long to deliver its first book before it counts as stuck
_BOOK, _NETWORK, _RECONNECT = "book", "network", "reconnect"  # recovery scopes, narrowest first
_LIVE = BookState.LIVE  # the per-update path reads module names: an enum member lookup costs ~0.2 us on 3.11
_DISCONNECTED = BookState.DISCONNECTED


class BookStalled(ccxt.NetworkError):
    """Raised into a pending watch by the supervisor when the book went silent or never became live."""


class BookFeed:
    """Keeps one symbol's book live, says how healthy it is, and restarts itself when its task ends."""

    def __init__(
        self,
        client: Any,
        exchange: str,
        symbol: Symbol,
        ws_config: WebsocketConfig,
        emit: Callable[[BookUpdate], None],
        limit: int | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._client = client
        self.exchange = exchange
        self.symbol = symbol
        self._ccxt_symbol = str(symbol)
        self._cfg = ws_config
        self._emit = emit
        self._limit = limit
        self._depth = ws_config.book_depth
        self._rng = rng or random.Random()
        self._task: asyncio.Task[None] | None = None
        self._live = asyncio.Event()
        self._closing = False
        self.book: OrderBook | None = None
        self.state = BookState.CONNECTING
        self._updates = 0
        self._gaps = 0
        self._resyncs = 0
        self._checksum_failures = 0
        self._reconnects = 0
        self.restarts = 0
        self._crossed_run = 0
        self._failures = 0  # consecutive failures without a book in between
        self._book_failures = 0  # consecutive book-level failures: the second one resets the connection
        self._pending: tuple[BookState, str, str] | None = None  # a failure waiting for recovery
        self._watching = False
        self._url: str | None = None  # the connection that last carried this book
        self._carrier: Any = None  # that connection, while ccxt keeps it and the book's subscription on it
        self._hash = ""  # ccxt's message hash of this book
        self._down_since = time.monotonic()
        self._last_ms: float | None = None
        self._last_error: str | None = None
        self._rate_mark = (time.time() * 1000.0, 0)  # (wall ms, updates) where the current rate window began
        self._rate = 0.0

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name=f"arbkit-book-{self.exchange}-{self.symbol}"
            )

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def wait_live(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self._live.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def stop(self) -> None:
        self._closing = True
        self.state = BookState.CLOSED
        self._live.clear()
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
            self._task = None

    # ------------------------------------------------------------------ health
    def health(self) -> BookHealth:
        return self._health(time.time() * 1000.0, self.running)

    def _health(self, now_ms: float, running: bool) -> BookHealth:
        """The health at wall time ``now_ms`` (one clock read per update on the hot path; positional for speed)."""
        mark_ms, mark_n = self._rate_mark
        elapsed = now_ms - mark_ms
        if elapsed >= 1000.0 or elapsed < 0.0:  # (a wall clock stepped back restarts the rate window)
            if elapsed > 0.0:
                self._rate = (self._updates - mark_n) * 1000.0 / elapsed
            self._rate_mark = (now_ms, self._updates)
        book = self.book
        state = self.state
        if state is _LIVE and not running:  # a book nobody keeps is never live
            state = _DISCONNECTED
        last_ms = self._last_ms
        return BookHealth(
            self.exchange,
            self.symbol,
            state,
            None if book is None else book.sequence,
            None if last_ms is None else now_ms - last_ms,
            self._updates,
            self._rate,
            self._gaps,
            self._resyncs,
            self._checksum_failures,
            self._reconnects,
            self._crossed_run > 0,
            self._last_error,
        )

    def check_stall(self, now_ms: float) -> bool:
        """The supervisor's check, called by the websocket's watchdog: restart a feed task that ended, resync a live
        book silent for ``stall_timeout``, and reset the connection of a book not live for longer than that while a
        watch is pending. Returns True when it acted."""
        if self._closing:
            return False
        if not self.running:
            self.restarts += 1
            self._note_failure(BookState.DISCONNECTED, "feed task ended; restarted")
            self._pending = (BookState.DISCONNECTED, "feed task ended", _RECONNECT)
            self._task = None
            self.start()
            return True
        timeout = self._cfg.stall_timeout
        if self.state is BookState.LIVE and self._last_ms is not None:
            silent = now_ms - self._last_ms
            if silent < timeout * 1000.0:
                return False
            self._interrupt(BookState.STALE, f"no update for {silent / 1000.0:.1f}s", _BOOK)
            return True
        down = time.monotonic() - self._down_since  # since the last (re)subscribe attempt
        patience = max(timeout, _MIN_SYNC_S) * min(2**self._book_failures, 8)  # grows while resyncs keep failing
        if self.state is not BookState.LIVE and self._watching and down >= patience:
            self._interrupt(self.state, f"not live for {down:.1f}s", _BOOK)
            return True
        return False

    # ------------------------------------------------------------------ the loop
    async def _run(self) -> None:
        me = asyncio.current_task()
        client, symbol = self._client, self._ccxt_symbol
        self._hash, self._carrier = book_hash(client, symbol), None
        try:
            while not self._closing:
                if self._pending is not None:
                    await self._recover(*self._pending)
                    self._hash, self._carrier = book_hash(client, symbol), None
                    continue
                # never await a future that can no longer yield (ccxt deletes the futures it settles: one left on
                # the carrier, or anywhere while the carrier is unknown, may be an already-failed watch)
                carrier = self._carrier
                if carrier is None or carrier.futures.get(self._hash) is not None:
                    if settled_watch(client, self._hash):
                        forget_stale(client, self._hash)
                self._watching = True
                try:
                    raw = await client.watch_order_book(symbol, self._limit)
                except asyncio.CancelledError:
                    if self._closing or (me is not None and me.cancelling()):
                        raise
                    self._reconnects += 1  # ccxt cancelled our future while closing its connection
                    self._pending = (BookState.DISCONNECTED, "connection closed", _NETWORK)
                    continue
                except Exception as exc:  # ccxt's errors and builtin ones (ConnectionError from its ws client) alike
                    self._pending = self._classify(exc)
                    continue
                finally:
                    self._watching = False
                if not self._track(raw):  # dropped by a failed check after it resolved: its failure follows
                    await asyncio.sleep(0)
                    continue
                self._failures = 0
                self._on_book(raw)
        finally:
            if self._task is me and not self._closing:
                self.state = BookState.DISCONNECTED
                self._live.clear()
                self._down_since = time.monotonic()

    def _track(self, raw: Any) -> bool:
        """After a watch: note the connection carrying the book (looked up again only when ccxt moved it or dropped
        its subscription) and say whether ``raw`` is still ccxt's book (a check failing after it resolved drops it)."""
        client = self._client
        carrier = self._carrier
        if carrier is None or self._hash not in carrier.subscriptions or client.clients.get(carrier.url) is not carrier:
            message_hash = self._hash = book_hash(client, self._ccxt_symbol)
            self._carrier = carrier = next((ws for ws in ws_clients(client) if message_hash in ws.subscriptions), None)
            if carrier is not None:
                self._url = carrier.url
        return client.orderbooks.get(self._ccxt_symbol) is raw

    def _classify(self, exc: BaseException) -> tuple[BookState, str, str]:
        """Count a failure and say how to recover: a wrong book resyncs the symbol, anything else reconnects."""
        reason = str(exc) or type(exc).__name__
        if isinstance(exc, BookStalled) and self._pending is not None:
            return self._pending
        if isinstance(exc, ChecksumMismatch):
            self._checksum_failures += 1
            return BookState.RESYNCING, reason, _BOOK
        if isinstance(exc, ccxt.ChecksumError):  # SequenceGap, or ccxt's own sequence check (binance's U/u rules)
            self._gaps += 1
            if not isinstance(exc, SequenceGap):  # ccxt words its gap as "checksum validation failed"
                reason = "sequence gap: update ids not contiguous"
            return BookState.RESYNCING, reason, _BOOK
        if isinstance(exc, BookStalled):
            return BookState.STALE, reason, _BOOK
        self._reconnects += 1
        if not isinstance(exc, ccxt.BaseError | ConnectionError | OSError):
            log.warning("%s %s: unexpected %s in the watch loop: %s", self.exchange, self.symbol, type(exc), exc)
        return BookState.DISCONNECTED, f"{type(exc).__name__}: {reason}", _NETWORK

    def _on_book(self, raw: Any) -> None:
        """ccxt's book -> an arbkit OrderBook and its health, emitted: the per-update hot path (one clock read)."""
        now_ms = time.time() * 1000.0
        depth = self._depth
        bids = raw["bids"]  # tuple-row sides are sliced (their rows are never changed), others copied (book_levels)
        bids = bids[:depth] if type(bids) in TUPLE_SIDES else levels(bids, depth)
        asks = raw["asks"]
        asks = asks[:depth] if type(asks) in TUPLE_SIDES else levels(asks, depth)
        book = OrderBook(self.exchange, self.symbol, bids, asks, raw.get("timestamp"), raw.get("nonce"), now_ms)
        self._updates += 1
        self._last_ms = now_ms
        self.book = book
        if bids and asks and bids[0][0] >= asks[0][0]:
            self._crossed_run += 1
            if self._crossed_run >= _CROSSED_LIMIT:
                self._crossed_run = 0
                self._pending = (BookState.RESYNCING, f"book crossed for {_CROSSED_LIMIT} updates", _BOOK)
                return
        else:
            self._crossed_run = 0
            self._book_failures = 0
            if self.state is not _LIVE:
                self.state = _LIVE
                self._live.set()
        self._emit(BookUpdate(book, self._health(now_ms, True)))  # called from the feed's own running task

    # ------------------------------------------------------------------ recovery
    def _interrupt(self, state: BookState, reason: str, scope: str) -> None:
        """Fail the pending watch so the loop recovers now; a task not waiting on ccxt is restarted instead."""
        self._pending = (state, reason, scope)
        message_hash = book_hash(self._client, self._ccxt_symbol)
        if self._watching and interrupt_watch(self._client, message_hash, BookStalled(reason)):
            return
        if self._watching and self._task is not None:  # awaiting something ccxt does not expose (e.g. a race)
            self.restarts += 1
            self._task.cancel()
            self._task = None
            self.start()

    async def _recover(self, state: BookState, reason: str, scope: str) -> None:
        self._pending = None
        self._failures += 1
        self._note_failure(state, reason)
        symbol = self._ccxt_symbol
        forget_stale(self._client, book_hash(self._client, symbol))
        if scope != _NETWORK:
            # a socket still carrying frames for its other books is fine: resync this symbol alone; a silent one (or
            # a symbol that keeps failing) gets its connection reset
            self._book_failures += 1
            alive = socket_alive(self._client, symbol, self._cfg.stall_timeout, self._url)
            if alive and self._book_failures <= _BOOK_RETRIES:
                await drop_book(self._client, symbol, self._url)
            else:
                self._reconnects += 1
                reset_connections(self._client, symbol, reason)
        attempts = self._cfg.reconnect_attempts
        if attempts and self._failures == attempts + 1:
            log.error("%s %s: still failing after %d attempts; retrying", self.exchange, self.symbol, attempts)
        await self._backoff(self._failures)
        self._down_since = time.monotonic()

    def _note_failure(self, state: BookState, reason: str) -> None:
        if self.state is BookState.LIVE:  # one resync per loss of a live book, however many errors follow
            self._resyncs += 1
            self._down_since = time.monotonic()
        self.state = state
        self._last_error = reason.splitlines()[0][:200]
        self._live.clear()
        log.warning("%s %s: %s; resyncing", self.exchange, self.symbol, self._last_error)

    async def _backoff(self, failures: int) -> None:
        """Sleep (always yielding): exponential in consecutive failures, with full jitter."""
        cap = min(self._cfg.reconnect_backoff_max, self._cfg.reconnect_backoff_initial * (2 ** (failures - 1)))
        await asyncio.sleep(self._rng.uniform(cap / 2.0, cap))
