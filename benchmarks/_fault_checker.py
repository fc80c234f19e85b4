"""The fault campaign's checker, run on the venue's own thread: it mirrors every exchange's outgoing book stream and
compares each book the client emitted with the venue's book at the same sequence id, so none of that work lands on
the session's event loop (whose blocks the campaign measures). The tops it keeps per sequence id are flat
bytes (packed doubles), objects the garbage collector does not track: kept as tuples of (price, qty) tuples they were
tens of thousands of young objects a second, and every collection, in either thread, stops the session's loop
while it walks them.

The session side only appends a summary of each emitted update to ``inbox`` (a deque: thread-safe appends); the
checker drains it on the venue's loop every ``drain_every`` seconds, after the frames it refers to were sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from array import array
from collections import defaultdict, deque
from itertools import chain, islice
from typing import Any, NamedTuple

from arbkit.venue import LocalVenue

_KEPT = 400  # sequence ids of top-of-book kept per book (about 20 s of updates)


class Emitted(NamedTuple):
    """What the session hands over for one emitted update: the book's top levels, its state and when it was emitted."""

    exchange: str
    symbol: str
    seq: int | None
    bids: list[tuple[float, float]]
    asks: list[tuple[float, float]]
    live: bool
    failures: int  # the feed's failure count (gaps, checksum failures, resyncs, reconnects) at this update
    at: float  # time.monotonic() when the session emitted it


class Checker:
    """Venue-side mirror and comparison; ``comparisons``, ``divergent`` and ``delays_ms`` are read after ``finish``."""

    def __init__(self, venue: LocalVenue, depth: int, drain_every: float = 0.01) -> None:
        self.venue, self.depth, self.drain_every = venue, depth, drain_every
        self.inbox: deque[Emitted] = deque()
        self.comparisons = 0
        self.divergent: list[str] = []
        self.delays_ms: list[float] = []
        self._client: dict[tuple[str, str], tuple[bool, int]] = {}  # last handed-over (live, failures) per book
        self._sent: dict[tuple[str, str], deque[tuple[int, float, int]]] = defaultdict(deque)
        self._books: dict[tuple[str, str], tuple[dict[float, float], dict[float, float]]] = {}
        self._tops: dict[tuple[str, str], dict[int, tuple[bytes, bytes]]] = defaultdict(dict)
        self._task: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ on the venue's loop
    def start(self) -> None:
        self.venue.on_sent(self.on_sent)
        self._task = asyncio.get_running_loop().create_task(self._drain_loop(), name="campaign-checker")

    async def finish(self) -> None:
        """Stop draining on a timer, check whatever is still queued, stop mirroring."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.drain()
        self.venue.on_sent(None)

    async def _drain_loop(self) -> None:
        while True:
            await asyncio.sleep(self.drain_every)
            self.drain()

    def drain(self) -> None:
        inbox = self.inbox
        while inbox:
            self.check(inbox.popleft())

    def on_sent(self, exchange: str, symbol: str, delta: Any, sent: bool) -> None:
        """After each delta's turn in the outgoing stream: mirror it, and clock it if the client's book was live."""
        key = (exchange, symbol)
        self._mirror(key, delta)
        client = self._client.get(key)
        if sent and client is not None and client[0]:
            self._sent[key].append((delta.seq, time.monotonic(), client[1]))

    def _mirror(self, key: tuple[str, str], delta: Any) -> None:
        """The venue book as the stream reaches it, top ``depth`` kept per sequence id (cheaper than ``book_at``)."""
        book = self._books.get(key)
        if book is None:
            start = self.venue.book_at(key[0], key[1], delta.prev_seq)
            if start is None:
                return
            book = self._books[key] = (dict(start.bids), dict(start.asks))
        for side, levels in ((book[0], delta.bids), (book[1], delta.asks)):
            for price, qty in levels:
                if qty > 0:
                    side[price] = qty
                else:
                    side.pop(price, None)
        tops = self._tops[key]
        depth = self.depth
        bids = islice(sorted(book[0].items(), reverse=True), depth)
        tops[delta.seq] = (_flat(bids), _flat(islice(sorted(book[1].items()), depth)))
        while len(tops) > _KEPT:
            del tops[next(iter(tops))]

    def expected(self, exchange: str, symbol: str, seq: int) -> tuple[bytes, bytes] | None:
        """The venue's top ``depth`` levels a side at ``seq``, packed (price, qty, price, qty, ...)."""
        top = self._tops[(exchange, symbol)].get(seq)
        if top is not None:
            return top
        snap = self.venue.book_at(exchange, symbol, seq)
        if snap is None:
            return None
        return _flat(snap.bids[: self.depth]), _flat(snap.asks[: self.depth])

    def check(self, update: Emitted) -> None:
        """One emitted update: the delay of every frame it covers, then (if live) its book against the venue's."""
        key = (update.exchange, update.symbol)
        self._client[key] = (update.live, update.failures)
        pending = self._sent[key]
        seq = update.seq
        while pending and seq is not None and pending[0][0] <= seq:
            _, sent, failures_then = pending.popleft()
            if failures_then == update.failures:  # frames a resync threw away were never meant to be evaluated
                self.delays_ms.append((update.at - sent) * 1000.0)
        if not update.live or seq is None:
            return
        expected = self.expected(update.exchange, update.symbol, seq)
        if expected is None:
            return
        self.comparisons += 1
        if _flat(update.bids) != expected[0] or _flat(update.asks) != expected[1]:
            self.divergent.append(f"{update.exchange} {update.symbol} seq {seq}")


def _flat(levels: Any) -> bytes:
    """(price, qty) levels packed as doubles: equal exactly when the levels are equal, and untracked by the GC."""
    return array("d", chain.from_iterable(levels)).tobytes()
