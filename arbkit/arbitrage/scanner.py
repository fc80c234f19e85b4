"""The live Scanner: on a book update, re-evaluate the ordered venue pairs that book takes part in.

Composites feed it (``attach``); it gates each evaluation on book health, tracks opportunity lifecycles and hands
``OpportunityEvent``s to callbacks or an ``async for`` stream. Exchanges can join and leave while it runs.

Bookkeeping is kept small because it, not the math, dominates the cost of an update: a venue pair is evaluated
again only when the levels its last evaluation read (``evaluate_read``) changed on the updated book, or a book's
gate decision changed; gate decisions are kept until their inputs change (a new health state, or a usable book
ageing past ``max_book_age_ms``). A skipped evaluation emits nothing: the last answer stands.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Protocol

from arbkit.arbitrage.config import ArbitrageConfig, ArbitragePair
from arbkit.arbitrage.evaluate import BookRejectedError, Opportunity, VenuePairSpec, evaluate_read, make_spec
from arbkit.arbitrage.gating import GateThresholds, HealthRow, HealthTable, gate, usable_for_ms
from arbkit.arbitrage.lifecycle import OpportunityEvent, OpportunityLifecycle, OpportunityTracker
from arbkit.clock import now_ms
from arbkit.exchanges.listeners import Listeners
from arbkit.structs import BookHealth, BookUpdate, Level, OrderBook, Symbol, SymbolInfo

BookKey = tuple[str, Symbol]


class _Book:
    """The latest book of one (exchange, symbol) and its kept gate decision."""

    __slots__ = ("book", "exchange", "health", "reason", "routes", "seen_ms", "symbol", "usable_until")

    def __init__(self, exchange: str, symbol: Symbol) -> None:
        self.exchange = exchange
        self.symbol = symbol
        self.book: OrderBook | None = None
        self.routes: list[tuple[_Pair, bool]] = []  # the venue pairs this book is in; True where it is the buy side
        self.health: BookHealth | None = None
        self.reason = "no book yet"
        self.seen_ms = 0.0
        self.usable_until = -1.0  # usable while now <= usable_until

    def set_health(self, health: BookHealth, now: float, thresholds: GateThresholds) -> None:
        old = self.health
        self.health = health
        self.seen_ms = now
        if (
            old is not None
            and self.usable_until >= 0.0
            and health.state is old.state
            and health.crossed == old.crossed
            and health.checksum_failures == old.checksum_failures
            and health.age_ms is not None
        ):  # same inputs, still usable: only the age moved
            self.usable_until = now + usable_for_ms(health, thresholds)
            if self.usable_until >= now:
                return
        decision = gate(health, thresholds)
        self.reason = decision.reason
        self.usable_until = now + usable_for_ms(health, thresholds) if decision.usable else -1.0

    def decision(self, now: float, thresholds: GateThresholds) -> str | None:
        """None when usable at ``now``, else why not (a usable book ages into staleness without news)."""
        if now <= self.usable_until:
            return None
        if self.health is None or self.book is None:
            return f"{self.exchange} {self.symbol}: no book yet"
        if self.usable_until >= 0.0:  # it was usable: it has gone stale since
            self.reason = gate(self.health, thresholds, now - self.seen_ms).reason
            self.usable_until = -1.0
        return self.reason


class _Pair:
    """One ordered venue pair: its spec, its two books, and the levels its last evaluation read (None: evaluate)."""

    __slots__ = ("asks_read", "bids_read", "buy", "key", "sell", "spec")

    def __init__(self, spec: VenuePairSpec, buy: _Book, sell: _Book) -> None:
        self.spec = spec
        self.key = spec.key
        self.buy = buy
        self.sell = sell
        self.asks_read: list[Level] | None = None
        self.bids_read: list[Level] | None = None


class BookSource(Protocol):
    """What the scanner needs from a composite (CompositePublicSpotExchange satisfies it)."""

    name: str
    symbols_info: dict[Symbol, SymbolInfo]

    def add_listener(self, listener: Callable[[BookUpdate], None]) -> Callable[[], None]: ...


class Scanner:
    """Depth- and fee-aware opportunities across every venue pair of every enabled arbitrage pair."""

    def __init__(self, arbitrage: ArbitrageConfig, latency_samples: int = 0) -> None:
        self.config = arbitrage
        self.health = HealthTable(arbitrage.gate_thresholds)
        self.tracker = OpportunityTracker()
        self._thresholds = arbitrage.gate_thresholds
        self._infos: dict[BookKey, SymbolInfo] = {}
        self._books: dict[BookKey, _Book] = {}
        self._pairs: list[_Pair] = []
        self._detach: dict[str, Callable[[], None]] = {}
        self.out: dict[str, str] = {}  # exchange -> why it is not scanning
        self.open: dict[tuple[str, str, str], Opportunity] = {}
        self._events: Listeners[OpportunityEvent] = Listeners("opportunities")
        self.latencies_ms: deque[float] = deque(maxlen=latency_samples or 1)
        self._measure = latency_samples > 0
        self.evaluations = 0

    def measure_latency(self, samples: int) -> None:
        """Keep the last ``samples`` latencies (ms) from a book update's arrival to the end of its evaluation."""
        self.latencies_ms = deque(maxlen=max(samples, 1))
        self._measure = samples > 0

    # ------------------------------------------------------------------ venues joining and leaving
    def attach(self, source: BookSource) -> None:
        """Start scanning an exchange's books (also used when an exchange rejoins)."""
        self.detach(source.name)
        for symbol, info in source.symbols_info.items():
            self._infos[(source.name, symbol)] = info
        self._detach[source.name] = source.add_listener(self._on_update)
        self.out.pop(source.name, None)
        self._rebuild()

    def detach(self, name: str, reason: str | None = None) -> None:
        """Stop using an exchange: its open opportunities close with ``reason``."""
        remove = self._detach.pop(name, None)
        if remove is not None:
            remove()
        for key in [k for k in self._infos if k[0] == name]:
            self._infos.pop(key, None)
            self._books.pop(key, None)
        if reason is not None:
            self.out[name] = reason
            for event in self.tracker.close_venue(name, _now_ms(), reason):
                self._publish(event)
        self._rebuild()

    def mark_out(self, name: str, reason: str) -> None:
        """Record why an exchange is not part of the scan (e.g. it failed to start)."""
        self.out[name] = reason

    def _rebuild(self) -> None:
        books = self._books
        for key in self._infos:
            if key not in books:
                books[key] = _Book(*key)
        for slot in books.values():
            slot.routes = []
        self._pairs = []
        for pair in self.config.enabled_pairs():
            for spec in self._pair_specs(pair):
                buy, sell = books[(spec.buy_exchange, spec.symbol)], books[(spec.sell_exchange, spec.symbol)]
                venue_pair = _Pair(spec, buy, sell)
                self._pairs.append(venue_pair)
                buy.routes.append((venue_pair, True))
                sell.routes.append((venue_pair, False))

    def _pair_specs(self, pair: ArbitragePair) -> Iterable[VenuePairSpec]:
        symbol = pair.symbol
        venues = [name for name in pair.exchanges if (name, symbol) in self._infos]
        for buy in venues:
            for sell in venues:
                if buy == sell:
                    continue
                buy_info, sell_info = self._infos[(buy, symbol)], self._infos[(sell, symbol)]
                yield make_spec(
                    pair.id,
                    buy_info,
                    sell_info,
                    pair.min_profit_bps,
                    pair.max_notional,
                    buy_fee=self.config.taker_fee(buy, symbol, buy_info.taker_fee),
                    sell_fee=self.config.taker_fee(sell, symbol, sell_info.taker_fee),
                )

    def pairs(self) -> list[VenuePairSpec]:
        """Every ordered venue pair being evaluated."""
        return [pair.spec for pair in self._pairs]

    # ------------------------------------------------------------------ the hot path
    def _on_update(self, update: BookUpdate) -> None:
        book = update.book
        now = _now_ms()
        slot = self._books.get((book.exchange, book.symbol))
        if slot is None:
            slot = self._books[(book.exchange, book.symbol)] = _Book(book.exchange, book.symbol)
        slot.book = book
        thresholds = self._thresholds
        slot.set_health(update.health, now, thresholds)
        self.health.update(update.health, now)
        if not slot.routes:
            return
        own = slot.decision(now, thresholds)
        tracker = self.tracker
        open_now = self.open
        for pair, buying in slot.routes:
            other = pair.sell if buying else pair.buy
            if own is not None:
                reason: str | None = own
            elif now <= other.usable_until:
                reason = None
            else:
                reason = other.decision(now, thresholds)
            if reason is not None:
                pair.asks_read = pair.bids_read = None
                if pair.key in open_now:
                    for event in tracker.observe(pair.key, None, now, reason):
                        self._publish(event)
                continue
            other_book = other.book
            assert other_book is not None
            if buying:  # unchanged where the last evaluation looked: its answer stands
                asks, bids = book.asks, other_book.bids
                read = pair.asks_read
                if read is not None and asks[: len(read)] == read:
                    continue
            else:
                asks, bids = other_book.asks, book.bids
                read = pair.bids_read
                if read is not None and bids[: len(read)] == read:
                    continue
            self.evaluations += 1
            pair.asks_read = pair.bids_read = None
            opp = None
            if asks and bids:
                try:
                    opp, n_asks, n_bids = evaluate_read(pair.spec, asks, bids, now)
                    pair.asks_read = asks[:n_asks]
                    pair.bids_read = bids[:n_bids]
                except BookRejectedError:
                    pass
            if opp is not None or pair.key in open_now:
                for event in tracker.observe(pair.key, opp, now, "gone"):
                    self._publish(event)
        if self._measure:
            self.latencies_ms.append(time.time() * 1000.0 - book.received_ms)

    def _publish(self, event: OpportunityEvent) -> None:
        key = event.lifecycle.key
        if event.lifecycle.is_open:
            self.open[key] = event.opportunity
        else:
            self.open.pop(key, None)
        self._events.emit(event)

    # ------------------------------------------------------------------ consumers
    def add_listener(self, listener: Callable[[OpportunityEvent], None]) -> Callable[[], None]:
        return self._events.add(listener)

    def events(self, maxsize: int = 4096) -> AsyncIterator[OpportunityEvent]:
        """``async for event in scanner.events():`` every lifecycle event from now on."""
        return self._events.stream(maxsize)

    def lifecycles(self) -> list[OpportunityLifecycle]:
        """Closed lifecycles, oldest first."""
        return list(self.tracker.closed)

    def health_rows(self) -> list[HealthRow]:
        return self.health.rows(_now_ms())

    def close(self) -> None:
        for name in list(self._detach):
            self._detach.pop(name)()
        for event in self.tracker.close_all(_now_ms()):
            self._publish(event)
        self._events.close()


def _now_ms() -> int:
    return now_ms()  # recorded time in a replay (arbkit.clock)
