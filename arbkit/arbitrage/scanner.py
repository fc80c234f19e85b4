"""The live Scanner: on a book update, re-evaluate the ordered venue pairs that book takes part in.

Composites feed it (``attach``); it gates each evaluation on book health, tracks opportunity lifecycles and hands
``OpportunityEvent``s to callbacks or an ``async for`` stream. Exchanges can join and leave while it runs.

Bookkeeping is kept small because it, not the math, dominates the cost of an update: a venue pair is evaluated
again only when the levels its last evaluation read (``evaluate_levels``' ``read`` counts) changed on the updated
book (one prefix comparison per side against the previous book serves every venue pair of that book), or when a
book's gate decision changed. A pair whose best edge was below the hurdle (an early exit, which reads the two best
prices alone) is kept as it is while the updated book's best price moves away from an opportunity (a higher best ask
or a lower best bid cannot clear a hurdle the old one did not) and, when it moves towards one, while the two best
prices still fail ``evaluate_levels``' own first test, made here without the call; a book side whose pairs are all
at the early exit is skipped whole (a count per side) when its best price moved away. An early exit stands whatever
the books' health: it answers None, as a gated book does.
Gate decisions are kept until their inputs change (a new health state, or a usable book ageing past
``max_book_age_ms``); a kept decision that a book is stale names the age at which it was found stale. A skipped
evaluation emits nothing: the last answer, with its time, stands.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Protocol

from arbkit.arbitrage.config import ArbitrageConfig, ArbitragePair
from arbkit.arbitrage.evaluate import BookRejectedError, Opportunity, VenuePairSpec, evaluate_levels, make_spec
from arbkit.arbitrage.gating import GateThresholds, HealthRow, HealthTable, gate, usable_for_ms
from arbkit.arbitrage.lifecycle import OpportunityEvent, OpportunityLifecycle, OpportunityTracker
from arbkit.clock import now_ms
from arbkit.exchanges.listeners import Listeners
from arbkit.structs import BookHealth, BookUpdate, Level, OrderBook, Symbol, SymbolInfo

BookKey = tuple[str, Symbol]
_ALL = 1 << 30  # "every level": both books ended before it
_TOP_PRICE = -1  # the answer depends on the best price of that side only (an early exit)
_NO_LEVELS: list[Level] = []  # the previous side of a book's first update


class _Book:
    """The latest book of one (exchange, symbol) and its kept gate decision."""

    __slots__ = (
        "active_buys",
        "active_sells",
        "book",
        "buys",
        "exchange",
        "health",
        "reason",
        "routes",
        "seen_ms",
        "sells",
        "symbol",
        "usable_until",
    )

    def __init__(self, exchange: str, symbol: Symbol) -> None:
        self.exchange = exchange
        self.symbol = symbol
        self.book: OrderBook | None = None
        self.routes = 0  # how many venue pairs this book is in
        self.buys: list[_Pair] = []  # the venue pairs buying on this book (they read its asks)
        self.sells: list[_Pair] = []  # the venue pairs selling on this book (they read its bids)
        self.active_buys = 0  # how many of ``buys`` / ``sells`` are not at the early exit (``_TOP_PRICE``)
        self.active_sells = 0
        self.health: BookHealth | None = None
        self.reason = "no book yet"
        self.seen_ms = 0.0
        self.usable_until = -1.0  # usable while now <= usable_until

    def set_health(self, health: BookHealth, now: float, thresholds: GateThresholds) -> None:
        """Gate a new health afresh (the scanner keeps the decision itself when only the age moved)."""
        self.health = health
        self.seen_ms = now
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
    """One ordered venue pair: its spec, its two books, and how many levels of each its last answer depends on.

    ``asks_n`` / ``bids_n`` (0: evaluate at the next update) count the first levels of the buy book's asks and the
    sell book's bids that the last evaluation read, on the books current now; an update of either book that leaves
    those levels as they were leaves the answer as it was. ``_TOP_PRICE`` marks an early exit (the best marginal
    edge below the hurdle), which depends on the best ask and bid prices alone, not on their sizes."""

    __slots__ = ("asks_n", "bids_n", "buy", "buy_factor", "is_open", "key", "read", "sell", "sell_factor", "spec")

    def __init__(self, spec: VenuePairSpec, buy: _Book, sell: _Book, is_open: bool) -> None:
        self.spec = spec
        self.key = spec.key
        self.buy = buy
        self.sell = sell
        self.buy_factor = spec.buy_factor  # the early exit's test, as ``evaluate_levels`` makes it
        self.sell_factor = spec.sell_factor
        self.asks_n = 0
        self.bids_n = 0
        self.read = [1, 1]  # how many ask and bid levels the last evaluation read (filled by evaluate_levels)
        self.is_open = is_open  # an opportunity of this venue pair is open (kept by _publish)

    def settle(self, asks_n: int, bids_n: int) -> None:
        """Keep what the answer now depends on, and the two books' counts of early-exit pairs."""
        top = asks_n == _TOP_PRICE
        if top != (self.asks_n == _TOP_PRICE):
            change = -1 if top else 1
            self.buy.active_buys += change
            self.sell.active_sells += change
        self.asks_n = asks_n
        self.bids_n = bids_n


class BookSource(Protocol):
    """What the scanner needs from a composite (CompositePublicSpotExchange satisfies it)."""

    name: str
    symbols_info: dict[Symbol, SymbolInfo]

    def add_listener(self, listener: Callable[[BookUpdate], None]) -> Callable[[], None]: ...


class Scanner:
    """Depth- and fee-aware opportunities across every venue pair of every enabled arbitrage pair."""

    def __init__(self, arbitrage: ArbitrageConfig, latency_samples: int = 0) -> None:
        self.config = arbitrage
        self.tracker = OpportunityTracker()
        self._thresholds = arbitrage.gate_thresholds
        self._max_age_ms = arbitrage.gate_thresholds.max_age_ms
        self._gone: dict[BookKey, tuple[BookHealth, float]] = {}  # last health of books of detached exchanges
        self._infos: dict[BookKey, SymbolInfo] = {}
        self._books: dict[BookKey, _Book] = {}
        self._pairs: list[_Pair] = []
        self._by_key: dict[tuple[str, str, str], _Pair] = {}
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
            slot = self._books.pop(key, None)
            if slot is not None and slot.health is not None:
                self._gone[key] = (slot.health, slot.seen_ms)
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
            slot.routes = slot.active_buys = slot.active_sells = 0
            slot.buys = []
            slot.sells = []
        self._pairs = []
        self._by_key = {}
        for pair in self.config.enabled_pairs():
            for spec in self._pair_specs(pair):
                buy, sell = books[(spec.buy_exchange, spec.symbol)], books[(spec.sell_exchange, spec.symbol)]
                venue_pair = _Pair(spec, buy, sell, spec.key in self.open)
                self._pairs.append(venue_pair)
                self._by_key[venue_pair.key] = venue_pair
                buy.buys.append(venue_pair)
                sell.sells.append(venue_pair)
                buy.routes += 1
                sell.routes += 1
                buy.active_buys += 1
                sell.active_sells += 1

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
        health = update.health
        now = _now_ms()
        slot = self._books.get((book.exchange, book.symbol))
        if slot is None:
            slot = self._books[(book.exchange, book.symbol)] = _Book(book.exchange, book.symbol)
        prev = slot.book
        slot.book = book
        old = slot.health
        age = health.age_ms
        if (  # the kept gate decision's inputs are unchanged and the book is still young: only the age moved
            old is not None
            and slot.usable_until >= 0.0
            and health.state is old.state
            and health.crossed == old.crossed
            and health.checksum_failures == old.checksum_failures
            and age is not None
            and age <= self._max_age_ms  # (the one input of ``gate`` that moved)
        ):
            slot.health = health
            slot.seen_ms = now
            slot.usable_until = now + (self._max_age_ms - age)  # as ``usable_for_ms`` computes it
        else:
            slot.set_health(health, now, self._thresholds)
        if not slot.routes:
            return
        evaluations = 0
        # a side whose venue pairs all stopped at the early exit is skipped while its best price moves away from an
        # edge or stays (a higher best ask, or a lower best bid, cannot clear a hurdle the old one did not)
        if slot.buys:
            levels = book.asks
            old_levels = prev.asks if prev is not None else _NO_LEVELS
            if slot.active_buys or not levels or not old_levels or levels[0][0] < old_levels[0][0]:
                evaluations = self._side(slot, True, levels, old_levels, now)
        if slot.sells:
            levels = book.bids
            old_levels = prev.bids if prev is not None else _NO_LEVELS
            if slot.active_sells or not levels or not old_levels or levels[0][0] > old_levels[0][0]:
                evaluations += self._side(slot, False, levels, old_levels, now)
        if evaluations:
            self.evaluations += evaluations
        if self._measure:
            self.latencies_ms.append(time.time() * 1000.0 - book.received_ms)

    def _side(self, slot: _Book, buying: bool, levels: list[Level], old: list[Level], now: int) -> int:
        """Re-evaluate the venue pairs that read ``levels`` (the updated book's asks where it buys on ``slot``, else
        its bids; ``old``: the same side of its previous book) whose answer may have changed; returns how many it
        evaluated."""
        thresholds = self._thresholds
        own = None if now <= slot.usable_until else slot.decision(now, thresholds)  # why the book is not usable
        n_new, n_old = len(levels), len(old)
        # the best price moved away from an opportunity, or not at all
        no_better = n_new and n_old and (levels[0][0] >= old[0][0] if buying else levels[0][0] <= old[0][0])
        same = 0  # leading levels known unchanged since the previous book (a level absent from both counts as
        differs = False  # unchanged); ``differs``: the level at ``same`` is known to differ
        evaluations = 0
        for pair in slot.buys if buying else slot.sells:
            other = pair.sell if buying else pair.buy
            n = pair.asks_n if buying else pair.bids_n
            if n == _TOP_PRICE:  # an early exit stands while the best marginal edge stays below the hurdle
                if no_better:  # (whatever the books' health: an early exit and a gated book both answer None)
                    continue
                theirs = other.book.bids if buying else other.book.asks  # type: ignore[union-attr]
                if n_new and theirs:  # evaluate_levels' own first test, on the two best prices
                    if buying:
                        if pair.sell_factor * theirs[0][0] < pair.buy_factor * levels[0][0]:
                            continue
                    elif pair.sell_factor * levels[0][0] < pair.buy_factor * theirs[0][0]:
                        continue
            reason = own
            if reason is None and now > other.usable_until:
                reason = other.decision(now, thresholds)
            if reason is not None:
                pair.settle(0, 0)
                if pair.is_open:
                    for event in self.tracker.observe(pair.key, None, now, reason):
                        self._publish(event)
                continue
            if n > 0:  # unchanged where the last evaluation looked: its answer stands
                while same < n and not differs:
                    if same < n_new:
                        if same < n_old and levels[same] == old[same]:
                            same += 1
                        else:
                            differs = True
                    elif same < n_old:
                        differs = True
                    else:  # both books end here: nothing further differs
                        same = _ALL
                if same >= n:
                    continue
            evaluations += 1
            opp = None
            buy_levels, sell_levels = (levels, other.book.bids) if buying else (other.book.asks, levels)  # type: ignore[union-attr]
            if buy_levels and sell_levels:
                counts = pair.read
                try:
                    opp = evaluate_levels(pair.spec, buy_levels, sell_levels, now, counts)
                except BookRejectedError:
                    pair.settle(0, 0)
                else:
                    if opp is None and counts[0] == 1:  # only an early exit reads one level
                        pair.settle(_TOP_PRICE, _TOP_PRICE)
                    else:  # counts may be one past a short book: a level appearing there counts
                        pair.settle(counts[0], counts[1])
            else:
                pair.settle(0, 0)
            if opp is not None or pair.is_open:
                for event in self.tracker.observe(pair.key, opp, now, "gone"):
                    self._publish(event)
        return evaluations

    def _publish(self, event: OpportunityEvent) -> None:
        key = event.lifecycle.key
        is_open = event.lifecycle.is_open
        if is_open:
            self.open[key] = event.opportunity
        else:
            self.open.pop(key, None)
        pair = self._by_key.get(key)
        if pair is not None:
            pair.is_open = is_open
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

    @property
    def health(self) -> HealthTable:
        """The latest health of every book seen (those of detached exchanges included), as a ``HealthTable``;
        built on demand from the books' kept state, so the hot path does not keep a second copy."""
        table = HealthTable(self._thresholds)
        for key, (health, seen_ms) in self._gone.items():
            if key not in self._books or self._books[key].health is None:
                table.update(health, seen_ms)
        for slot in self._books.values():
            if slot.health is not None:
                table.update(slot.health, slot.seen_ms)
        return table

    def health_rows(self) -> list[HealthRow]:
        return self.health.rows(_now_ms())

    def close(self) -> None:
        for name in list(self._detach):
            self._detach.pop(name)()
        for event in self.tracker.close_all(_now_ms()):
            self._publish(event)
        self._events.close()


_now_ms = now_ms  # recorded time in a replay (arbkit.clock); a module name so tests can set the scanner's clock
