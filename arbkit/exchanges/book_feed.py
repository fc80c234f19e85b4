"""One live order book: a ccxt.pro watch loop with health accounting and recovery.

A sequence gap or checksum mismatch (ccxt ChecksumError), a dropped connection (NetworkError), a stalled stream
(no update for ``stall_timeout``) or a persistently crossed book all lead to a resync, with exponential backoff and
full jitter for reconnects, never to a silently wrong book.
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
from arbkit.exchanges.convert import levels
from arbkit.structs import BookHealth, BookState, BookUpdate, OrderBook, Symbol

log = logging.getLogger(__name__)

_CROSSED_LIMIT = 3
# Keeps closing connections referenced until they finish.
_closing: set[asyncio.Future[object]] = set()  # consecutive crossed books before a forced resync


class SequenceGap(ccxt.ChecksumError):
    """Raised into ccxt's futures by arbkit's exchange subclasses when a delta skips sequence ids."""


class ChecksumMismatch(ccxt.ChecksumError):
    """Raised into ccxt's futures when the exchange's book checksum disagrees with the local book."""


def fail_watch(exchange: Any, client: Any, symbol: str, message_hash: str, error: ccxt.ChecksumError) -> Any:
    """For an exchange subclass that found a book wrong: drop ccxt's local book and subscription and fail the watch
    with ``error``, so the feed counts it and the next watch subscribes again from a fresh snapshot.
    Returns the dropped subscription (a venue that needs an explicit unsubscribe reads its parameters)."""
    exchange.orderbooks.pop(symbol, None)
    subscription = client.subscriptions.pop(message_hash, None)
    client.reject(error, message_hash)
    return subscription


def reset_connections(client: Any, symbol: str, reason: str) -> int:
    """Fail and drop the ccxt websocket connection(s) that carry ``symbol`` so the next watch resubscribes."""
    clients = getattr(client, "clients", None) or {}
    targets = [c for c in clients.values() if any(symbol in str(key) for key in list(c.subscriptions))]
    for ws in targets or list(clients.values()):
        ws.reject(ccxt.NetworkError(f"{client.id} {symbol}: {reason}"))
        clients.pop(ws.url, None)
        task = asyncio.ensure_future(ws.close())
        _closing.add(task)
        task.add_done_callback(_closing.discard)
    if isinstance(getattr(client, "orderbooks", None), dict):
        client.orderbooks.pop(symbol, None)
    return len(targets)


class BookFeed:
    """Keeps one symbol's book live and says how healthy it is."""

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
        self._crossed_run = 0
        self._last_ms: float | None = None
        self._last_error: str | None = None
        self._rate_mark = (time.monotonic(), 0)
        self._rate = 0.0

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name=f"arbkit-book-{self.exchange}-{self.symbol}"
            )

    async def wait_live(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self._live.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def stop(self) -> None:
        self._closing = True
        self.state = BookState.CLOSED
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
            self._task = None

    # ------------------------------------------------------------------ health
    def health(self) -> BookHealth:
        now = time.monotonic()
        mark_t, mark_n = self._rate_mark
        if now - mark_t >= 1.0:
            self._rate = (self._updates - mark_n) / (now - mark_t)
            self._rate_mark = (now, self._updates)
        book = self.book
        return BookHealth(
            exchange=self.exchange,
            symbol=self.symbol,
            state=self.state,
            sequence=book.sequence if book else None,
            age_ms=None if self._last_ms is None else time.time() * 1000.0 - self._last_ms,
            updates=self._updates,
            updates_per_second=self._rate,
            gaps=self._gaps,
            resyncs=self._resyncs,
            checksum_failures=self._checksum_failures,
            reconnects=self._reconnects,
            crossed=self._crossed_run > 0,
            last_error=self._last_error,
        )

    def check_stall(self, now_ms: float) -> bool:
        """Called by the websocket's watchdog: a live book silent for ``stall_timeout`` is resynced."""
        if self.state is not BookState.LIVE or self._last_ms is None:
            return False
        silent = now_ms - self._last_ms
        if silent < self._cfg.stall_timeout * 1000.0:
            return False
        self._resync(BookState.STALE, f"no update for {silent / 1000.0:.1f}s")
        return True

    # ------------------------------------------------------------------ the loop
    async def _run(self) -> None:
        failures = 0
        watch = self._client.watch_order_book
        while not self._closing:
            try:
                raw = await watch(self._ccxt_symbol, self._limit)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if self._closing or (task is not None and task.cancelling()):
                    raise
                failures += 1  # ccxt cancelled our future while closing its connection
                self._note_failure(BookState.DISCONNECTED, "connection closed")
                await self._backoff(failures)
                continue
            except SequenceGap as exc:
                self._gaps += 1
                self._note_failure(BookState.RESYNCING, str(exc))
                continue
            except ChecksumMismatch as exc:
                self._checksum_failures += 1
                self._note_failure(BookState.RESYNCING, str(exc))
                continue
            except ccxt.ChecksumError as exc:  # ccxt's own sequence check (binance's U/u rules)
                self._gaps += 1
                self._note_failure(BookState.RESYNCING, str(exc))
                continue
            except ccxt.BaseError as exc:
                failures += 1
                self._reconnects += 1
                self._note_failure(BookState.DISCONNECTED, str(exc))
                if self._cfg.reconnect_attempts and failures > self._cfg.reconnect_attempts:
                    log.error("%s %s: giving up after %d reconnects", self.exchange, self.symbol, failures - 1)
                    return
                await self._backoff(failures)
                continue
            failures = 0
            self._on_book(raw)

    def _on_book(self, raw: Any) -> None:
        now_ms = time.time() * 1000.0
        depth = self._depth
        book = OrderBook(
            self.exchange,
            self.symbol,
            levels(raw["bids"], depth),
            levels(raw["asks"], depth),
            raw.get("timestamp"),
            raw.get("nonce"),
            now_ms,
        )
        self._updates += 1
        self._last_ms = now_ms
        self.book = book
        if book.bids and book.asks and book.bids[0][0] >= book.asks[0][0]:
            self._crossed_run += 1
            if self._crossed_run >= _CROSSED_LIMIT:
                self._resync(BookState.RESYNCING, f"book crossed for {self._crossed_run} updates")
                return
        else:
            self._crossed_run = 0
            if self.state is not BookState.LIVE:
                self.state = BookState.LIVE
                self._live.set()
        self._emit(BookUpdate(book, self.health()))

    # ------------------------------------------------------------------ recovery
    def _note_failure(self, state: BookState, reason: str) -> None:
        if self.state is BookState.LIVE:  # one resync per loss of a live book, however many errors follow
            self._resyncs += 1
        self.state = state
        self._last_error = reason.splitlines()[0][:200]
        self._live.clear()
        log.warning("%s %s: %s; resyncing", self.exchange, self.symbol, self._last_error)

    def _resync(self, state: BookState, reason: str) -> None:
        self._crossed_run = 0
        reset_connections(self._client, self._ccxt_symbol, reason)
        self._note_failure(state, reason)

    async def _backoff(self, failures: int) -> None:
        cap = min(self._cfg.reconnect_backoff_max, self._cfg.reconnect_backoff_initial * (2 ** (failures - 1)))
        await asyncio.sleep(self._rng.uniform(cap / 2.0, cap))
