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
from arbkit.exchanges.listeners import Listeners
from arbkit.structs import BookHealth, BookUpdate, Level, OrderBook, Symbol, SymbolInfo

BookKey = tuple[str, Symbol]


class _Book:
    """The latest book of one (exchange, symbol) and its kept gate decision."""

    __slots__ = ("book", "health", "reason", "seen_ms", "usable_until")

    def __init__(self, book: OrderBook) -> None:
        self.book = book
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
        if self.health is None:
            return f"{self.book.exchange} {self.book.symbol}: no book yet"
        if self.usable_until >= 0.0:  # it was usable: it has gone stale since
            self.reason = gate(self.health, thresholds, now - self.seen_ms).reason
            self.usable_until = -1.0
        return self.reason


class _Read:
    """What one venue pair's last evaluation read: the ask and bid levels that decided it."""

    __slots__ = ("asks", "bids")

    def __init__(self, asks: list[Level], bids: list[Level]) -> None:
        self.asks = asks
        self.bids = bids


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
        self._specs: dict[BookKey, list[VenuePairSpec]] = {}
        self._read: dict[tuple[str, str, str], _Read] = {}  # venue pair -> levels its last evaluation read
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
        specs: dict[BookKey, list[VenuePairSpec]] = {}
        for pair in self.config.enabled_pairs():
            for spec in self._pair_specs(pair):
                specs.setdefault((spec.buy_exchange, spec.symbol), []).append(spec)
                specs.setdefault((spec.sell_exchange, spec.symbol), []).append(spec)
        self._specs = specs
        self._read.clear()

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
        seen = {id(s): s for specs in self._specs.values() for s in specs}
        return list(seen.values())

    # ------------------------------------------------------------------ the hot path
    def _on_update(self, update: BookUpdate) -> None:
        book = update.book
        key = (book.exchange, book.symbol)
        now = _now_ms()
        slot = self._books.get(key)
        if slot is None:
            slot = self._books[key] = _Book(book)
        else:
            slot.book = book
        thresholds = self._thresholds
        slot.set_health(update.health, now, thresholds)
        self.health.update(update.health, now)
        specs = self._specs.get(key)
        if not specs:
            return
        own = slot.decision(now, thresholds)
        name = book.exchange
        for spec in specs:
            buying = spec.buy_exchange == name
            other = self._books.get((spec.sell_exchange if buying else spec.buy_exchange, book.symbol))
            reason = own
            if reason is None:
                if other is None:
                    reason = f"{spec.sell_exchange if buying else spec.buy_exchange} {book.symbol}: no book yet"
                else:
                    reason = other.decision(now, thresholds)
            pair = spec.key
            if reason is not None:
                self._read.pop(pair, None)
                if self.tracker.is_open(pair):
                    for event in self.tracker.observe(pair, None, now, reason):
                        self._publish(event)
                continue
            assert other is not None
            buy, sell = (book, other.book) if buying else (other.book, book)
            read = self._read.get(pair)
            if read is not None:  # unchanged where the last evaluation looked: its answer stands
                if buying:
                    if buy.asks[: len(read.asks)] == read.asks:
                        continue
                elif sell.bids[: len(read.bids)] == read.bids:
                    continue
            opp = self._evaluate(spec, buy, sell, now, pair)
            for event in self.tracker.observe(pair, opp, now, "gone"):
                self._publish(event)
        if self._measure:
            self.latencies_ms.append(time.time() * 1000.0 - book.received_ms)

    def _evaluate(
        self, spec: VenuePairSpec, buy: OrderBook, sell: OrderBook, now: int | float, pair: tuple[str, str, str]
    ) -> Opportunity | None:
        self.evaluations += 1
        asks, bids = buy.asks, sell.bids
        if not asks or not bids:
            self._read.pop(pair, None)
            return None
        try:
            opp, n_asks, n_bids = evaluate_read(spec, asks, bids, int(now))
        except BookRejectedError:
            self._read.pop(pair, None)
            return None
        self._read[pair] = _Read(asks[:n_asks], bids[:n_bids])
        return opp

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
    return int(time.time() * 1000)
