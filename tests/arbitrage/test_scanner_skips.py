"""The scanner's skipped re-evaluations change nothing: on random book streams over three venues, with a clock that
moves so books also go stale by age, its events are those of evaluating every venue pair of the updated book on
every update, less the UPDATED events that repeat the last answer (a skip keeps the last answer standing and says
nothing)."""

from __future__ import annotations

import re

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import arbkit.arbitrage.scanner as scanner_module
from arbkit.arbitrage.config import parse_arbitrage_config
from arbkit.arbitrage.evaluate import BookRejectedError, evaluate_levels
from arbkit.arbitrage.gating import gate
from arbkit.arbitrage.lifecycle import EventKind, OpportunityEvent, OpportunityTracker
from arbkit.arbitrage.scanner import Scanner
from arbkit.structs import BookHealth, BookState, BookUpdate, OrderBook
from tests.arbitrage.test_scanner import BTC, Source, _config

VENUES = ["a", "b", "c"]
NOW = 1_700_000_000_000

prices = st.integers(9980, 10020).map(lambda tick: tick / 100.0)  # a narrow grid: tops often cross and often tie
sizes = st.sampled_from([0.5, 1.0, 2.0])
side = st.lists(st.tuples(prices, sizes), max_size=4)
states = st.sampled_from([BookState.LIVE] * 5 + [BookState.RESYNCING])
new_book = st.tuples(st.sampled_from(VENUES), side, side, states)
# one level set (size 0: removed) on the venue's last book, so changes below the top are common too
one_level = st.tuples(
    st.sampled_from(VENUES), st.sampled_from(["bids", "asks"]), prices, st.sampled_from([0.0, 0.5, 1.0])
)
update = st.one_of(new_book, one_level)
elapsed = st.sampled_from([0, 0, 0, 700, 2500])  # ms before an update (max_book_age_ms is 2000)


def _book(venue: str, bids: list[tuple[float, float]], asks: list[tuple[float, float]]) -> OrderBook:
    bids = sorted(dict(bids).items(), reverse=True)
    asks = sorted(dict(asks).items())
    return OrderBook(venue, BTC, bids, asks, sequence=1, received_ms=float(NOW))


Seen = tuple[str, tuple[str, str, str], object, str]
_stale_age = re.compile(r"age \d+")  # a kept gate decision says the age at which the book was found stale


def _news(stream: list[list[OpportunityEvent]]) -> list[list[Seen]]:
    """Per update, what a consumer acts on (kind, venue pair, opportunity, close reason, in key order), less the
    UPDATED events that repeat the last answer of their venue pair. Opportunities are compared without the time they
    were evaluated at: a skip keeps the last answer, with its time, standing."""
    last: dict[tuple[str, str, str], object] = {}
    out = []
    for events in stream:
        news = []
        for e in events:
            key = e.lifecycle.key
            answer = msgspec.structs.replace(e.opportunity, timestamp_ms=0)
            if e.kind is not EventKind.UPDATED or last.get(key) != answer:
                news.append((e.kind.value, key, answer, _stale_age.sub("age N", e.lifecycle.close_reason or "")))
            last[key] = None if e.kind is EventKind.CLOSED else answer
        out.append(sorted(news, key=lambda seen: seen[1]))
    return out


def _reference(scanner: Scanner, updates: list[tuple[int, BookUpdate]]) -> list[list[OpportunityEvent]]:
    """Every venue pair of the updated book evaluated on every update, gated on both books' health aged by the time
    since it arrived."""
    specs = scanner.pairs()
    thresholds = scanner.config.gate_thresholds
    tracker = OpportunityTracker()
    books: dict[str, BookUpdate] = {}
    seen_ms: dict[str, int] = {}
    out = []
    for now, new in updates:
        venue = new.book.exchange
        books[venue] = new
        seen_ms[venue] = now
        events = []
        for spec in specs:
            if venue not in (spec.buy_exchange, spec.sell_exchange):
                continue
            buy, sell = books.get(spec.buy_exchange), books.get(spec.sell_exchange)
            opp, reason = None, "gone"
            mine, theirs = (buy, sell) if venue == spec.buy_exchange else (sell, buy)
            other = spec.sell_exchange if venue == spec.buy_exchange else spec.buy_exchange
            own = gate(mine.health, thresholds)
            their = gate(theirs.health, thresholds, now - seen_ms[other]) if theirs else gate(None, thresholds)
            if not own.usable:
                reason = own.reason
            elif theirs is None:
                reason = f"{other} {BTC}: no book yet"
            elif not their.usable:
                reason = their.reason
            elif buy.book.asks and sell.book.bids:
                try:
                    opp = evaluate_levels(spec, buy.book.asks, sell.book.bids, now)
                except BookRejectedError:
                    opp = None
            events.extend(tracker.observe(spec.key, opp, now, reason))
        out.append(events)
    return out


@settings(max_examples=100, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(elapsed, update), min_size=1, max_size=40), st.sampled_from([0.0, 5.0]))
def test_skipped_evaluations_leave_every_event_as_evaluating_everything_would(
    stream: list[tuple[int, tuple]], min_bps: float
) -> None:
    clock = [NOW]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scanner_module, "_now_ms", lambda: clock[0])
        cfg = _config(VENUES, min_bps=min_bps)
        scanner = Scanner(parse_arbitrage_config(cfg.sections["arbitrage"], cfg))
        sources = {venue: Source(venue, fee=0.0) for venue in VENUES}
        for source in sources.values():
            scanner.attach(source)
        got: list[OpportunityEvent] = []
        scanner.add_listener(got.append)
        updates, seen = [], []
        books: dict[str, dict[str, dict[float, float]]] = {venue: {"bids": {}, "asks": {}} for venue in VENUES}
        for dt, (venue, *change) in stream:
            clock[0] += dt
            state = BookState.LIVE
            if isinstance(change[0], list):  # a whole new book
                bids, asks, state = change
                books[venue] = {"bids": dict(bids), "asks": dict(asks)}
            else:
                which, price, size = change
                books[venue][which][price] = size
                books[venue][which] = {p: q for p, q in books[venue][which].items() if q}
            book = _book(venue, list(books[venue]["bids"].items()), list(books[venue]["asks"].items()))
            health = BookHealth(venue, BTC, state, 1, 0.0, 1, 1.0, 0, 0, 0, 0)
            updates.append((clock[0], BookUpdate(book, health)))
            before = len(got)
            for listener in sources[venue]._listeners:
                listener(updates[-1][1])
            seen.append(got[before:])
        assert _news(seen) == _news(_reference(scanner, updates))
