"""The live Scanner: on every book update, evaluate every ordered venue pair that book takes part in.

Composites feed it (``attach``); it gates each evaluation on book health, tracks opportunity lifecycles and hands
``OpportunityEvent``s to callbacks or an ``async for`` stream. Exchanges can join and leave while it runs.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Protocol

from arbkit.arbitrage.config import ArbitrageConfig, ArbitragePair
from arbkit.arbitrage.evaluate import BookRejectedError, Opportunity, VenuePairSpec, evaluate_levels, make_spec
from arbkit.arbitrage.gating import HealthRow, HealthTable, gate
from arbkit.arbitrage.lifecycle import OpportunityEvent, OpportunityLifecycle, OpportunityTracker
from arbkit.exchanges.listeners import Listeners
from arbkit.structs import BookUpdate, OrderBook, Symbol, SymbolInfo

BookKey = tuple[str, Symbol]


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
        self._books: dict[BookKey, OrderBook] = {}
        self._specs: dict[BookKey, list[VenuePairSpec]] = {}
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
        self._books[key] = book
        self.health.update(update.health, now)
        specs = self._specs.get(key)
        if not specs:
            return
        own = gate(update.health, self._thresholds)
        for spec in specs:
            other = spec.sell_exchange if spec.buy_exchange == book.exchange else spec.buy_exchange
            other_book = self._books.get((other, book.symbol))
            if not own.usable:
                opp, reason = None, own.reason
            elif other_book is None:
                opp, reason = None, f"{other} {book.symbol}: no book yet"
            else:
                decision = self.health.decision(other, book.symbol, now)
                if decision.usable:
                    opp, reason = self._evaluate(spec, book, other_book, now), "gone"
                else:
                    opp, reason = None, decision.reason
            for event in self.tracker.observe(spec.key, opp, now, reason):
                self._publish(event)
        if self._measure:
            self.latencies_ms.append(time.time() * 1000.0 - book.received_ms)

    def _evaluate(self, spec: VenuePairSpec, book: OrderBook, other: OrderBook, now: int) -> Opportunity | None:
        buy, sell = (book, other) if spec.buy_exchange == book.exchange else (other, book)
        self.evaluations += 1
        if not buy.asks or not sell.bids:
            return None
        try:
            return evaluate_levels(spec, buy.asks, sell.bids, now)
        except BookRejectedError:
            return None

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
