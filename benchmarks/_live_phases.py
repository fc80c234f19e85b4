"""Live sessions against the venue process with today's or the baseline feed and scanner, and what they saw.

A phase is a whole session over the same venue, exchanges and symbols: ``arbkit`` (today's BookFeed and Scanner) or
``baseline`` (the BookFeed and Scanner at ``_baseline.BASELINE``, loaded from git history). A timed phase measures,
for every book update, the wall time from ccxt's ``watch_order_book`` returning a book to the feed's loop calling it
again: the whole per-update path of the feed's loop (its own checks, ccxt book -> OrderBook + health, the composite's
fan-out, the scanner), with ``perf_counter_ns`` (about 0.1 us a call here, calibrated and taken off; a thread-CPU
clock costs 0.7 us a call on this VM, as much as the work timed). The wrapper that takes the times is the same on
both sides. A capture phase is not timed: it keeps a frozen copy of every raw ccxt book, in order, for replay.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from _baseline import baseline, baseline_path

import arbkit.exchanges.components as components
import arbkit.runtime.session as session_module
from arbkit.config import ArbkitConfig
from arbkit.exchanges.tuple_book import TUPLE_SIDES, tuple_order_book
from arbkit.runtime.session import Session, connect
from arbkit.structs import Symbol, SymbolInfo

KEEP = 60  # levels of each side kept per captured book (the feed reads book_depth of them, 20 by default)


def classes(kind: str) -> tuple[Any, Any]:
    """(BookFeed, Scanner) classes of ``kind``: ``arbkit`` (today's) or ``baseline``."""
    if kind == "arbkit":
        return components.BookFeed, session_module.Scanner
    return baseline_path("arbkit/exchanges/book_feed.py").BookFeed, baseline("scanner").Scanner


def timer_ns() -> int:
    """The median cost of one ``perf_counter_ns`` call: one such call lands inside every timed span."""
    costs = []
    for _ in range(5001):
        start = time.perf_counter_ns()
        time.perf_counter_ns()
        costs.append(time.perf_counter_ns() - start)
    return int(statistics.median(costs) / 2)


def snapshot(raw: Any) -> Any:
    """A frozen copy of ccxt's (mutable, reused) book: tuple-row sides as arbkit's exchange classes build them,
    holding the very row tuples ccxt's book held (immutable), so consecutive captures of a book share the rows that
    did not change, as the live book does: the replay touches memory as the live feed does, not a fresh copy of
    every level of every update."""
    book = tuple_order_book({"timestamp": raw.get("timestamp"), "nonce": raw.get("nonce")})
    for name in ("bids", "asks"):
        side, rows = book[name], raw[name][:KEEP]
        if type(raw[name]) not in TUPLE_SIDES:  # mutable rows (not arbkit's exchange classes): copy them
            rows = [(price, size) for price, size, *_ in rows]
        list.extend(side, rows)
        side._index = [-price if side.side else price for price, _ in rows]
    return book


@dataclass
class Captured:
    """What one phase saw: per-call ns of the live feed path, raw books in order, symbol info, websocket config."""

    kind: str
    spans_ns: list[int] = field(default_factory=list)
    raws: list[tuple[str, Symbol, Any]] = field(default_factory=list)
    infos: dict[str, dict[Symbol, SymbolInfo]] = field(default_factory=dict)
    ws_configs: dict[str, Any] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    updates_per_s: float = 0.0
    pairs: int = 0
    arbitrage: Any = None
    checks_us: float = 0.0  # the feed loop's own per-update checks (BookFeed._track), on the live ccxt state


def _watch_classes() -> list[type]:
    from arbkit.exchanges.binance import BinancePro
    from arbkit.exchanges.gateio import GateioPro
    from arbkit.exchanges.kraken import KrakenPro
    from arbkit.exchanges.mexc import MexcPro

    return [BinancePro, GateioPro, KrakenPro, MexcPro]


async def run_phase(
    kind: str, config: ArbkitConfig, symbols: list[str], seconds: float, capture: bool, warmup: float = 1.0
) -> Captured:
    """Run a session of ``kind`` for ``warmup`` + ``seconds``: time every update, or capture the raw books."""
    feed_cls, scanner_cls = classes(kind)
    out = Captured(kind)
    recording = [False]
    spans, raws = out.spans_ns, out.raws
    returned: dict[tuple[int, str], int] = {}
    names: dict[int, str] = {}  # id of a ccxt instance -> the arbkit exchange name
    clock = time.perf_counter_ns
    originals = {cls: cls.watch_order_book for cls in _watch_classes()}

    def timed(original: Any) -> Any:
        async def watch_order_book(self: Any, symbol: str, limit: Any = None, params: Any = None) -> Any:
            key = (id(self), symbol)
            start = returned.pop(key, None)
            if start is not None and recording[0] and not capture:
                spans.append(clock() - start)
            raw = await original(self, symbol, limit, params or {})
            if capture and recording[0]:
                raws.append((names[id(self)], Symbol.parse(symbol), snapshot(raw)))
            returned[key] = clock()
            return raw

        return watch_order_book

    saved = components.BookFeed, session_module.Scanner
    components.BookFeed, session_module.Scanner = feed_cls, scanner_cls  # type: ignore[misc]
    for cls, original in originals.items():
        cls.watch_order_book = timed(original)
    try:
        session: Session = await connect(config, venue=False, symbols=symbols, name=f"bench-{kind}")
    finally:
        components.BookFeed, session_module.Scanner = saved  # type: ignore[misc]
    try:
        names.update({id(composite._client): name for name, composite in session.exchanges.items()})
        scanner = session.scanner
        scanner.measure_latency(1_000_000)
        await asyncio.sleep(warmup)
        scanner.latencies_ms.clear()
        recording[0] = True
        await asyncio.sleep(seconds)
        recording[0] = False
        out.latencies_ms = list(scanner.latencies_ms)
        out.checks_us = _checks_us(session)
        out.updates_per_s = len(spans or raws) / seconds
        out.pairs = len(scanner.pairs())
        out.arbitrage = scanner.config
        for name, composite in session.exchanges.items():
            out.infos[name] = dict(composite.symbols_info)
            out.ws_configs[name] = composite.config.websocket_config
        # the live feeds' books carry the very Symbol objects that key the exchanges' symbol info: so do the replay's
        same = {(name, symbol): symbol for name, infos in out.infos.items() for symbol in infos}
        out.raws[:] = [(name, same.get((name, symbol), symbol), raw) for name, symbol, raw in raws]
    finally:
        for cls, original in originals.items():
            cls.watch_order_book = original
        await session.stop()
    return out


def _checks_us(session: Session, calls: int = 2000) -> float:
    """CPU us of one ``BookFeed._track`` (the checks the feed's loop makes after each watch) on every live feed's
    own ccxt state and current book, median over feeds; 0 for a feed without them (the baseline's loop has none)."""
    costs = []
    for composite in session.exchanges.values():
        for feed in composite.ws._feeds.values():  # type: ignore[union-attr]
            track = getattr(feed, "_track", None)
            raw = feed._client.orderbooks.get(feed._ccxt_symbol)
            if track is None or raw is None:
                continue
            start = time.process_time_ns()
            for _ in range(calls):
                track(raw)
            costs.append((time.process_time_ns() - start) / calls / 1000.0)
    return statistics.median(costs) if costs else 0.0


def live_us(phases: list[Captured], timer: int) -> float:
    """Median ns of the timed feed path over every phase given, less one timer call, in us."""
    spans = [ns for phase in phases for ns in phase.spans_ns]
    return (statistics.median(spans) - timer) / 1000.0
