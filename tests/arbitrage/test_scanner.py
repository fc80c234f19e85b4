"""The live Scanner: gating, lifecycles, venues joining and leaving; and the dislocations the venue injects."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from arbkit.arbitrage.config import parse_arbitrage_config
from arbkit.arbitrage.lifecycle import EventKind, OpportunityEvent
from arbkit.arbitrage.scanner import Scanner
from arbkit.config import ArbkitConfig, ExchangeConfig
from arbkit.runtime.session import connect
from arbkit.structs import BookHealth, BookState, BookUpdate, OrderBook, Symbol, SymbolInfo
from arbkit.venue import LocalVenue

BTC = Symbol.parse("BTC/USDT")


def _config(names: list[str], min_bps: float = 1.0, max_age_ms: float = 2000) -> ArbkitConfig:
    exchanges = {n: ExchangeConfig(name=n, base_url=f"http://127.0.0.1:1/{n}") for n in names}
    return ArbkitConfig(
        exchanges=exchanges,
        sections={
            "arbitrage": {
                "max_book_age_ms": max_age_ms,
                "arbitrage_pairs": [
                    {"id": "btc", "base_asset": "BTC", "quote_asset": "USDT", "min_profit_bps": min_bps}
                ],
            }
        },
    )


class Source:
    """A hand-driven book source standing in for a composite in unit tests of the scanner's own logic."""

    def __init__(self, name: str, fee: float = 0.001) -> None:
        self.name = name
        self.symbols_info = {BTC: SymbolInfo(name, BTC, 0.01, 0.0001, 0.0001, 5.0, fee, fee)}
        self._listeners: list[Callable[[BookUpdate], None]] = []

    def add_listener(self, listener: Callable[[BookUpdate], None]) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def push(self, bid: float, ask: float, state: BookState = BookState.LIVE, qty: float = 1.0) -> None:
        self.push_levels([(bid, qty)], [(ask, qty)], state)

    def push_levels(
        self, bids: list[tuple[float, float]], asks: list[tuple[float, float]], state: BookState = BookState.LIVE
    ) -> None:
        book = OrderBook(self.name, BTC, bids, asks, sequence=1, received_ms=time.time() * 1000)
        health = BookHealth(self.name, BTC, state, 1, 0.0, 1, 1.0, 0, 0, 0, 0)
        for listener in list(self._listeners):
            listener(BookUpdate(book, health))


def _two_venues(cfg: ArbkitConfig, fee: float = 0.001) -> tuple[Scanner, Source, Source, list[OpportunityEvent]]:
    """A scanner over hand-driven sources "a" and "b" (taker ``fee`` on both), and the list its events go to."""
    scanner = Scanner(parse_arbitrage_config(cfg.sections["arbitrage"], cfg))
    a, b = Source("a", fee), Source("b", fee)
    scanner.attach(a)
    scanner.attach(b)
    events: list[OpportunityEvent] = []
    scanner.add_listener(events.append)
    return scanner, a, b, events


def test_opportunity_opens_updates_and_closes() -> None:
    scanner, a, b, events = _two_venues(_config(["a", "b"]))
    assert len(scanner.pairs()) == 2  # a->b and b->a
    a.push(99.0, 100.0)
    b.push(101.0, 102.0)  # buy a at 100, sell b at 101: 100 bps raw, 80 after fees
    assert [e.kind for e in events] == [EventKind.OPENED]
    opp = events[0].opportunity
    assert (opp.buy_exchange, opp.sell_exchange) == ("a", "b") and opp.quantity == pytest.approx(1.0)
    assert opp.edge_bps == pytest.approx((101 * 0.999 - 100 * 1.001) / 100 * 1e4)
    b.push(101.5, 102.0)
    assert events[-1].kind is EventKind.UPDATED
    b.push(100.0, 100.5)
    assert events[-1].kind is EventKind.CLOSED and not scanner.open
    assert scanner.lifecycles()[0].peak_edge_bps > opp.edge_bps


def test_unhealthy_book_takes_no_part_and_closes_open_opportunities() -> None:
    cfg = _config(["a", "b"])
    _scanner, a, b, events = _two_venues(cfg)
    a.push(99.0, 100.0, state=BookState.RESYNCING)
    b.push(101.0, 102.0)
    assert events == []  # the same dislocation, but a's book is resyncing
    a.push(99.0, 100.0)
    assert events[-1].kind is EventKind.OPENED
    a.push(99.0, 100.0, state=BookState.STALE)
    assert events[-1].kind is EventKind.CLOSED
    assert "stale" in (events[-1].lifecycle.close_reason or "")


def test_a_venue_leaving_closes_its_opportunities_and_others_keep_scanning() -> None:
    cfg = _config(["a", "b", "c"])
    scanner = Scanner(parse_arbitrage_config(cfg.sections["arbitrage"], cfg))
    sources = {n: Source(n) for n in "abc"}
    for s in sources.values():
        scanner.attach(s)
    sources["a"].push(99.0, 100.0)
    sources["b"].push(101.0, 102.0)
    sources["c"].push(101.2, 102.0)
    assert {k[1:] for k in scanner.open} == {("a", "b"), ("a", "c")}
    scanner.detach("b", "exchange b disconnected")
    assert {k[1:] for k in scanner.open} == {("a", "c")}
    assert scanner.out == {"b": "exchange b disconnected"}
    sources["b"].push(105.0, 106.0)  # a detached venue's updates are ignored
    assert {k[1:] for k in scanner.open} == {("a", "c")}


async def test_scanner_finds_the_dislocation_the_venue_injects() -> None:
    async with LocalVenue(exchanges=["binance", "gateio"], seed=11, update_interval=0.02) as venue:
        cfg = _config(["binance", "gateio"], min_bps=1.0)
        session = await connect(cfg, venue=venue, symbols=["BTC/USDT"], name="test-scanner")
        try:
            opened: list[OpportunityEvent] = []
            session.scanner.add_listener(lambda e: opened.append(e) if e.kind is EventKind.OPENED else None)
            venue.inject_dislocation("gateio", "BTC/USDT", 120.0, 1.0)  # gate quotes 120 bps rich for 1 s
            deadline = time.monotonic() + 5
            while not any(e.opportunity.sell_exchange == "gateio" for e in opened):
                assert time.monotonic() < deadline, "the injected dislocation was not found"
                await asyncio.sleep(0.02)
            opp = next(e.opportunity for e in opened if e.opportunity.sell_exchange == "gateio")
            assert opp.buy_exchange == "binance" and opp.quantity > 0 and opp.edge_bps >= 1.0
            assert opp.notional <= 5000 or opp.limited_by != "max_notional"
            await asyncio.sleep(2.0)  # the dislocation is over: the lifecycle closes
            assert not any(k[2] == "gateio" for k in session.scanner.open)
            closed = [lc for lc in session.scanner.lifecycles() if lc.sell_exchange == "gateio"]
            assert closed and closed[0].duration_ms > 0
        finally:
            await session.stop()


def test_only_a_change_where_the_last_evaluation_looked_re_evaluates() -> None:
    cfg = _config(["a", "b"])
    scanner, a, b, events = _two_venues(cfg)
    deep = [(100.0 + k, 1.0) for k in range(10)]
    a.push_levels([(99.0, 1.0)], deep)
    b.push_levels([(101.0, 1.0), (95.0, 1.0)] + [(90.0 - k, 1.0) for k in range(8)], [(102.0, 1.0)])
    assert [e.kind for e in events] == [EventKind.OPENED]
    done = scanner.evaluations
    a.push_levels([(99.0, 1.0)], [*deep[:5], (200.0, 3.0)])  # a's asks change only far below the walk
    assert scanner.evaluations == done and len(events) == 1  # the last answer stands
    a.push_levels([(99.0, 1.0)], [(100.2, 1.0), *deep[1:]])  # the top ask moved: evaluated again
    assert scanner.evaluations == done + 1 and events[-1].kind is EventKind.UPDATED  # a->b; b->a reads a's bids
    assert events[-1].opportunity.buy_vwap == 100.2


def test_a_kept_gate_decision_expires_when_the_other_book_goes_silent(monkeypatch: pytest.MonkeyPatch) -> None:
    import arbkit.arbitrage.scanner as scanner_module

    clock = [1_000_000]
    monkeypatch.setattr(scanner_module, "_now_ms", lambda: clock[0])
    cfg = _config(["a", "b"], max_age_ms=500)
    _scanner, a, b, events = _two_venues(cfg)
    a.push(99.0, 100.0)
    b.push(101.0, 102.0)
    assert events[-1].kind is EventKind.OPENED
    clock[0] += 400
    b.push(101.5, 102.0)  # a is 400 ms old: still usable
    assert events[-1].kind is EventKind.UPDATED
    clock[0] += 200
    b.push(101.5, 102.0)  # a has said nothing for 600 ms: stale, the opportunity closes
    assert events[-1].kind is EventKind.CLOSED
    assert "a BTC/USDT: stale (age 600 ms > 500 ms)" == events[-1].lifecycle.close_reason
    a.push(99.0, 100.0)  # news from a: usable again, evaluated again
    assert events[-1].kind is EventKind.OPENED


def test_a_level_appearing_past_the_end_of_a_short_book_re_evaluates() -> None:
    cfg = _config(["a", "b"])
    _scanner, a, b, events = _two_venues(cfg)
    a.push_levels([(99.0, 1.0)], [(100.0, 1.0)])  # one ask level: the walk ends with a's book
    b.push_levels([(101.0, 5.0)], [(102.0, 1.0)])
    assert events[-1].kind is EventKind.OPENED and events[-1].opportunity.quantity == 1.0
    a.push_levels([(99.0, 1.0)], [(100.0, 1.0), (100.5, 1.0)])  # depth where the walk ran out: evaluated again
    assert events[-1].kind is EventKind.UPDATED and events[-1].opportunity.quantity == 2.0


def test_a_pair_below_the_hurdle_at_the_top_waits_for_a_new_best_price() -> None:
    cfg = _config(["a", "b"])
    scanner, a, b, events = _two_venues(cfg)
    a.push_levels([(99.0, 1.0)], [(100.0, 1.0)])
    b.push_levels([(99.5, 1.0)], [(100.5, 1.0)])  # no edge either way: both directions exit at the top
    done = scanner.evaluations
    a.push_levels([(99.0, 7.0)], [(100.0, 3.0), (100.2, 1.0)])  # sizes and depth only: the answer stands
    assert scanner.evaluations == done and not events
    a.push_levels([(99.0, 7.0)], [(99.05, 3.0)])  # a new best ask: a->b evaluated again, and now it pays
    assert scanner.evaluations == done + 1 and events[-1].kind is EventKind.OPENED


def test_a_best_price_moving_away_from_an_edge_is_not_evaluated_again() -> None:
    cfg = _config(["a", "b"])
    scanner, a, b, events = _two_venues(cfg)
    a.push_levels([(99.0, 1.0)], [(100.0, 1.0)])
    b.push_levels([(99.5, 1.0)], [(100.5, 1.0)])  # no edge either way: both directions exit at the top
    done = scanner.evaluations
    a.push_levels([(98.9, 1.0)], [(100.1, 1.0)])  # a's best ask up, best bid down: further from an edge both ways
    assert scanner.evaluations == done and not events
    a.push_levels([(98.9, 1.0)], [(99.6, 1.0)])  # a's best ask down, still above b's bid 99.5: the scanner's own
    assert scanner.evaluations == done and not events  # check of the early exit (the two best prices) says none
    a.push_levels([(98.9, 1.0)], [(99.2, 1.0)])  # a's best ask down past b's bid and fees: a->b evaluated, pays
    assert scanner.evaluations == done + 1 and events[-1].kind is EventKind.OPENED
    a.push_levels([(100.9, 1.0)], [(101.0, 1.0)])  # a's best bid up past b's ask (a->b closes): b->a pays
    assert scanner.evaluations == done + 3 and events[-1].kind is EventKind.OPENED


def test_a_best_price_reaching_the_hurdle_exactly_is_evaluated() -> None:
    cfg = _config(["a", "b"], min_bps=0.0)
    scanner, a, b, events = _two_venues(cfg, fee=0.0)
    a.push_levels([(99.0, 1.0)], [(100.0, 1.0)])
    b.push_levels([(99.5, 1.0)], [(100.5, 1.0)])  # no edge either way: both directions exit at the top
    done = scanner.evaluations
    a.push_levels([(99.0, 1.0)], [(99.5, 1.0)])  # a's best ask down to b's best bid: G is 0, an opportunity
    assert scanner.evaluations == done + 1
    assert events[-1].kind is EventKind.OPENED and events[-1].opportunity.profit_quote == 0.0
