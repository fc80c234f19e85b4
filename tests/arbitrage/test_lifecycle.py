"""Opportunity lifecycles: open, update (peaks), close (gone, unhealthy venue, stop), and statistics."""

from __future__ import annotations

import msgspec
import pytest

from arbkit.arbitrage.evaluate import Opportunity
from arbkit.arbitrage.lifecycle import (
    EventKind,
    OpportunityTracker,
    lifecycle_stats,
    stats_by_key,
)
from arbkit.structs import Symbol

KEY = ("btc_usdt", "binance", "gateio")


def opp(edge: float, profit: float, qty: float = 1.0, buy: str = "binance", sell: str = "gateio") -> Opportunity:
    return Opportunity(
        "btc_usdt",
        Symbol.parse("BTC/USDT"),
        buy,
        sell,
        qty,
        100.0,
        101.0,
        100.0 * qty,
        profit,
        edge,
        edge,
        1,
        1,
        0.001,
        0.001,
        0,
    )


def test_open_update_close() -> None:
    tracker = OpportunityTracker()
    [opened] = tracker.observe(KEY, opp(30.0, 1.0), 1_000)
    assert opened.kind is EventKind.OPENED
    assert opened.lifecycle.opened_ms == 1_000 and opened.lifecycle.closed_ms is None
    assert opened.lifecycle.is_open and opened.lifecycle.updates == 0
    assert tracker.is_open(KEY)

    [updated] = tracker.observe(KEY, opp(45.0, 0.8, qty=2.0), 1_200)
    assert updated.kind is EventKind.UPDATED
    assert updated.lifecycle.peak_edge_bps == 45.0 and updated.lifecycle.peak_profit == 1.0
    assert updated.lifecycle.last_quantity == 2.0 and updated.lifecycle.duration_ms == 200
    tracker.observe(KEY, opp(20.0, 1.5), 1_400)

    [closed] = tracker.observe(KEY, None, 1_900)
    assert closed.kind is EventKind.CLOSED
    life = closed.lifecycle
    assert (life.opened_ms, life.last_seen_ms, life.closed_ms, life.duration_ms) == (1_000, 1_400, 1_900, 900)
    assert (life.peak_edge_bps, life.peak_profit, life.updates) == (45.0, 1.5, 2)
    assert life.close_reason == "gone" and not life.is_open
    assert closed.opportunity.edge_bps == 20.0  # the last one seen
    assert not tracker.is_open(KEY)
    assert list(tracker.closed) == [life]
    assert tracker.observe(KEY, None, 2_000) == []  # nothing open: nothing to close


def test_reopen_is_a_new_lifecycle() -> None:
    tracker = OpportunityTracker()
    tracker.observe(KEY, opp(30.0, 1.0), 0)
    tracker.observe(KEY, None, 100)
    [event] = tracker.observe(KEY, opp(10.0, 0.1), 500)
    assert event.kind is EventKind.OPENED and event.lifecycle.peak_edge_bps == 10.0


def test_close_on_unhealthy_venue() -> None:
    tracker = OpportunityTracker()
    other = ("btc_usdt", "mexc", "kraken")
    tracker.observe(KEY, opp(30.0, 1.0), 0)
    tracker.observe(other, opp(30.0, 1.0, buy="mexc", sell="kraken"), 0)
    [closed] = tracker.close_venue("gateio", 250, "unhealthy: gateio BTC/USDT: stale (age 2500 ms > 2000 ms)")
    assert closed.lifecycle.key == KEY
    assert closed.lifecycle.close_reason.startswith("unhealthy: gateio")
    assert tracker.is_open(other)
    assert tracker.close_venue("mexc", 300, "x", pair_id="eth_usdt") == []
    [stopped] = tracker.close_all(400)
    assert stopped.lifecycle.close_reason == "stopped" and stopped.lifecycle.duration_ms == 400


def test_close_reason_through_observe() -> None:
    tracker = OpportunityTracker()
    tracker.observe(KEY, opp(30.0, 1.0), 0)
    [closed] = tracker.observe(KEY, None, 50, reason="book rejected")
    assert closed.lifecycle.close_reason == "book rejected"


def test_updates_can_be_silenced() -> None:
    tracker = OpportunityTracker(emit_updates=False)
    assert len(tracker.observe(KEY, opp(30.0, 1.0), 0)) == 1
    assert tracker.observe(KEY, opp(40.0, 2.0), 10) == []
    [closed] = tracker.observe(KEY, None, 20)
    assert closed.lifecycle.peak_edge_bps == 40.0 and closed.lifecycle.updates == 1


def test_open_lifecycles_and_events_are_structs() -> None:
    tracker = OpportunityTracker()
    [event] = tracker.observe(KEY, opp(30.0, 1.0), 0)
    [snap] = tracker.open_lifecycles(750)
    assert snap.duration_ms == 750 and snap.closed_ms is None
    decoded = msgspec.json.decode(msgspec.json.encode(event))
    assert decoded["kind"] == "opened" and decoded["lifecycle"]["pair_id"] == "btc_usdt"


def test_statistics() -> None:
    tracker = OpportunityTracker(history=10)
    for start, length, edge in [(0, 100, 10.0), (1_000, 300, 30.0), (10_000, 200, 20.0), (59_000, 1_000, 40.0)]:
        tracker.observe(KEY, opp(edge, edge / 10), start)
        tracker.observe(KEY, None, start + length)
    stats = tracker.stats()
    assert stats.count == 4
    assert stats.mean_duration_ms == 400.0
    assert stats.median_duration_ms == 250.0
    assert stats.max_duration_ms == 1_000
    assert stats.p90_duration_ms == pytest.approx(300 + (1_000 - 300) * 0.7)
    assert stats.mean_peak_edge_bps == 25.0
    assert stats.total_peak_profit == pytest.approx(10.0)
    assert stats.span_ms == 60_000 and stats.per_minute == 4.0
    assert lifecycle_stats(tracker.closed, span_ms=120_000).per_minute == 2.0
    assert lifecycle_stats([]).count == 0
    by_key = stats_by_key(tracker.closed)
    assert list(by_key) == [KEY] and by_key[KEY].count == 4


def test_history_is_bounded() -> None:
    tracker = OpportunityTracker(history=2)
    for t in range(5):
        tracker.observe(KEY, opp(1.0, 1.0), t * 10)
        tracker.observe(KEY, None, t * 10 + 5)
    assert [life.opened_ms for life in tracker.closed] == [30, 40]
