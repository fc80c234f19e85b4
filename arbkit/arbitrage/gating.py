"""Book-health gating: decide whether a live book may feed opportunity signals, and say why not.

API:
- ``GateThresholds(max_age_ms=2000, require_live=True, reject_crossed=True, max_checksum_failures=None)``
- ``gate(health, thresholds, extra_age_ms=0.0) -> GateDecision`` for one book;
  ``gate_pair(buy, sell, thresholds)`` for the two books of a venue pair (first failing reason wins);
  ``usable_for_ms(health, thresholds)``: how much longer a usable book stays usable with no news (it only ages),
  so a decision can be kept until its inputs change.
- ``HealthTable``: latest ``BookHealth`` per (exchange, symbol); ``update(health, now_ms)``,
  ``decision(exchange, symbol, now_ms)`` (ages the stored health by the time since it arrived, so a feed that
  silently stops is gated too), ``rows(now_ms)`` and ``summary(now_ms)`` for tables and notebooks.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from arbkit.structs import BookHealth, BookState, Symbol

__all__ = [
    "OK",
    "GateDecision",
    "GateThresholds",
    "HealthRow",
    "HealthSummary",
    "HealthTable",
    "gate",
    "gate_pair",
    "summarize",
    "usable_for_ms",
]

OK = "ok"
_LIVE = BookState.LIVE  # a module name: an enum member lookup costs ~0.2 us on 3.11


class GateThresholds(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """When a book stops being usable. ``max_checksum_failures=None`` ignores checksum failures."""

    max_age_ms: float = 2000.0
    require_live: bool = True
    reject_crossed: bool = True
    max_checksum_failures: int | None = None


class GateDecision(msgspec.Struct, frozen=True):
    """``usable`` and a short reason: ``"ok"`` or e.g. ``"binance BTC/USDT: stale (age 2500 ms > 2000 ms)"``."""

    usable: bool
    reason: str


_USABLE = GateDecision(True, OK)


def _problem(health: BookHealth, thresholds: GateThresholds, extra_age_ms: float) -> str | None:
    if thresholds.require_live and health.state is not _LIVE:
        detail = f": {health.last_error}" if health.last_error else ""
        return f"state {health.state.value}{detail}"
    if thresholds.reject_crossed and health.crossed:
        return "crossed book"
    if health.age_ms is None:
        return "age unknown (no update yet)"
    age = health.age_ms + max(extra_age_ms, 0.0)
    if age > thresholds.max_age_ms:
        return f"stale (age {age:.0f} ms > {thresholds.max_age_ms:.0f} ms)"
    limit = thresholds.max_checksum_failures
    if limit is not None and health.checksum_failures > limit:
        return f"checksum failures {health.checksum_failures} > {limit}"
    return None


def gate(health: BookHealth | None, thresholds: GateThresholds, extra_age_ms: float = 0.0) -> GateDecision:
    """Whether one book is usable; ``extra_age_ms`` is added to its age (time since the health was taken)."""
    if health is None:
        return GateDecision(False, "no book yet")
    problem = _problem(health, thresholds, extra_age_ms)
    if problem is None:
        return _USABLE
    return GateDecision(False, f"{health.exchange} {health.symbol}: {problem}")


def usable_for_ms(health: BookHealth, thresholds: GateThresholds) -> float:
    """Milliseconds until a book that passes ``gate`` now goes stale if nothing else arrives (its age grows)."""
    return thresholds.max_age_ms - (health.age_ms or 0.0)


def gate_pair(buy: BookHealth | None, sell: BookHealth | None, thresholds: GateThresholds) -> GateDecision:
    """Both books of a venue pair must pass; the reason names the first one that does not."""
    first = gate(buy, thresholds)
    if not first.usable:
        return first
    return gate(sell, thresholds)


class HealthRow(msgspec.Struct, frozen=True):
    """One line of the per venue/symbol health table."""

    exchange: str
    symbol: Symbol
    state: BookState
    age_ms: float | None
    updates: int
    updates_per_second: float
    gaps: int
    resyncs: int
    checksum_failures: int
    reconnects: int
    crossed: bool
    usable: bool
    reason: str


class HealthSummary(msgspec.Struct, frozen=True):
    """Counts over the whole table, and the usable/total book count per exchange."""

    books: int
    usable: int
    unusable_reasons: dict[str, str]
    per_exchange: dict[str, tuple[int, int]]


class HealthTable:
    """Latest health per (exchange, symbol), aged by the time since it arrived."""

    def __init__(self, thresholds: GateThresholds | None = None) -> None:
        self.thresholds = thresholds or GateThresholds()
        self._latest: dict[tuple[str, Symbol], tuple[BookHealth, float]] = {}

    def update(self, health: BookHealth, now_ms: float) -> None:
        """Record the newest health of one book, as seen at ``now_ms``."""
        self._latest[(health.exchange, health.symbol)] = (health, now_ms)

    def get(self, exchange: str, symbol: Symbol) -> BookHealth | None:
        entry = self._latest.get((exchange, symbol))
        return entry[0] if entry else None

    def decision(self, exchange: str, symbol: Symbol, now_ms: float | None = None) -> GateDecision:
        """Gate one book; with ``now_ms`` its age grows by the time since the last health arrived."""
        entry = self._latest.get((exchange, symbol))
        if entry is None:
            return GateDecision(False, f"{exchange} {symbol}: no book yet")
        health, seen_ms = entry
        extra = 0.0 if now_ms is None else now_ms - seen_ms
        return gate(health, self.thresholds, extra)

    def pair_decision(
        self, buy_exchange: str, sell_exchange: str, symbol: Symbol, now_ms: float | None = None
    ) -> GateDecision:
        first = self.decision(buy_exchange, symbol, now_ms)
        return first if not first.usable else self.decision(sell_exchange, symbol, now_ms)

    def rows(self, now_ms: float | None = None) -> list[HealthRow]:
        """The table, sorted by exchange then symbol."""
        out = []
        for key in sorted(self._latest):
            health, _ = self._latest[key]
            verdict = self.decision(key[0], key[1], now_ms)
            out.append(_row(health, verdict))
        return out

    def summary(self, now_ms: float | None = None) -> HealthSummary:
        return summarize(self.rows(now_ms))

    def __len__(self) -> int:
        return len(self._latest)


def _row(health: BookHealth, verdict: GateDecision) -> HealthRow:
    return HealthRow(
        exchange=health.exchange,
        symbol=health.symbol,
        state=health.state,
        age_ms=health.age_ms,
        updates=health.updates,
        updates_per_second=health.updates_per_second,
        gaps=health.gaps,
        resyncs=health.resyncs,
        checksum_failures=health.checksum_failures,
        reconnects=health.reconnects,
        crossed=health.crossed,
        usable=verdict.usable,
        reason=verdict.reason,
    )


def summarize(rows: Iterable[HealthRow]) -> HealthSummary:
    """Usable counts overall and per exchange, and the reason for each unusable book (``"exchange symbol"`` key)."""
    books = usable = 0
    reasons: dict[str, str] = {}
    per: dict[str, list[int]] = {}
    for row in rows:
        books += 1
        counts = per.setdefault(row.exchange, [0, 0])
        counts[1] += 1
        if row.usable:
            usable += 1
            counts[0] += 1
        else:
            reasons[f"{row.exchange} {row.symbol}"] = row.reason
    return HealthSummary(
        books=books,
        usable=usable,
        unusable_reasons=reasons,
        per_exchange={name: (c[0], c[1]) for name, c in per.items()},
    )
