"""Book-health gating: reasons for each failing threshold, pair gating, and the health table."""

from __future__ import annotations

import msgspec

from arbkit.arbitrage.gating import GateThresholds, HealthTable, gate, gate_pair
from arbkit.structs import BookHealth, BookState, Symbol

BTC = Symbol.parse("BTC/USDT")
ETH = Symbol.parse("ETH/USDT")


def health(
    exchange: str = "binance", state: BookState = BookState.LIVE, age: float | None = 100.0, **kw: object
) -> BookHealth:
    fields = dict(
        exchange=exchange,
        symbol=kw.pop("symbol", BTC),
        state=state,
        sequence=1,
        age_ms=age,
        updates=10,
        updates_per_second=5.0,
        gaps=0,
        resyncs=0,
        checksum_failures=0,
        reconnects=0,
    )
    fields.update(kw)
    return BookHealth(**fields)  # type: ignore[arg-type]


T = GateThresholds(max_age_ms=2000.0)


def test_live_fresh_book_is_usable() -> None:
    decision = gate(health(), T)
    assert decision.usable and decision.reason == "ok"


def test_reasons() -> None:
    assert gate(None, T).reason == "no book yet"
    assert gate(health(state=BookState.RESYNCING), T).reason == "binance BTC/USDT: state resyncing"
    stale = gate(health(state=BookState.STALE, last_error="no update for 10 s"), T)
    assert not stale.usable and stale.reason == "binance BTC/USDT: state stale: no update for 10 s"
    assert gate(health(crossed=True), T).reason == "binance BTC/USDT: crossed book"
    assert gate(health(age=2500.0), T).reason == "binance BTC/USDT: stale (age 2500 ms > 2000 ms)"
    assert gate(health(age=None), T).reason == "binance BTC/USDT: age unknown (no update yet)"
    assert gate(health(age=1500.0), T, extra_age_ms=600.0).reason == "binance BTC/USDT: stale (age 2100 ms > 2000 ms)"
    strict = GateThresholds(max_checksum_failures=0)
    assert gate(health(checksum_failures=2), strict).reason == "binance BTC/USDT: checksum failures 2 > 0"
    assert gate(health(checksum_failures=2), T).usable


def test_thresholds_can_relax() -> None:
    lax = GateThresholds(max_age_ms=10_000.0, require_live=False, reject_crossed=False)
    assert gate(health(state=BookState.RESYNCING, crossed=True, age=9_000.0), lax).usable
    assert gate(health(state=BookState.STALE), GateThresholds(max_age_ms=5000)).reason.endswith("state stale")


def test_gate_pair_names_the_failing_side() -> None:
    ok, bad = health("binance"), health("gateio", age=3000.0)
    assert gate_pair(ok, ok, T).usable
    assert gate_pair(ok, bad, T).reason.startswith("gateio BTC/USDT: stale")
    assert gate_pair(bad, None, T).reason.startswith("gateio")
    assert gate_pair(ok, None, T).reason == "no book yet"


def test_health_table_ages_silent_feeds_and_summarises() -> None:
    table = HealthTable(T)
    table.update(health("binance", age=100.0), now_ms=10_000)
    table.update(health("gateio", age=50.0), now_ms=10_000)
    table.update(health("gateio", symbol=ETH, state=BookState.DISCONNECTED), now_ms=10_000)
    assert len(table) == 3
    assert table.get("binance", BTC) is not None and table.get("kraken", BTC) is None
    assert table.decision("binance", BTC, now_ms=11_000).usable
    later = table.decision("binance", BTC, now_ms=12_000)  # 100 + 2000 ms since it arrived
    assert later.reason == "binance BTC/USDT: stale (age 2100 ms > 2000 ms)"
    assert table.decision("kraken", BTC).reason == "kraken BTC/USDT: no book yet"
    assert table.pair_decision("binance", "gateio", BTC, now_ms=10_500).usable
    assert table.pair_decision("binance", "gateio", ETH, now_ms=10_500).reason == "binance ETH/USDT: no book yet"

    rows = table.rows(now_ms=10_500)
    assert [(r.exchange, str(r.symbol), r.usable) for r in rows] == [
        ("binance", "BTC/USDT", True),
        ("gateio", "BTC/USDT", True),
        ("gateio", "ETH/USDT", False),
    ]
    assert rows[2].reason == "gateio ETH/USDT: state disconnected"
    summary = table.summary(now_ms=10_500)
    assert (summary.books, summary.usable) == (3, 2)
    assert summary.per_exchange == {"binance": (1, 1), "gateio": (1, 2)}
    assert summary.unusable_reasons == {"gateio ETH/USDT": "gateio ETH/USDT: state disconnected"}
    assert msgspec.json.decode(msgspec.json.encode(rows[0]))["state"] == "live"
