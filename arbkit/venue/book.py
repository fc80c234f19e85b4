"""VenueBook: one venue's L2 book with sequence ids, deltas and a bounded history of past states.

Prices are rounded to the tick's decimals and quantities to the step's, so dict keys never drift.
Each non-empty ``apply`` takes the next sequence id; ``at(seq)`` rebuilds an older state by replaying deltas.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable

import msgspec

__all__ = ["BookDelta", "BookSnapshot", "Level", "VenueBook"]

Level = tuple[float, float]


def _now_ms() -> int:
    return int(time.time() * 1000)


class BookDelta(msgspec.Struct, frozen=True, gc=False):
    """The levels that changed in one update (quantity 0 deletes); ``prev_seq`` + 1 == ``seq``. Never in a reference
    cycle, so not tracked by the garbage collector (a venue keeps hundreds per book)."""

    symbol: str
    seq: int
    prev_seq: int
    bids: list[Level]
    asks: list[Level]
    timestamp: int

    @property
    def is_empty(self) -> bool:
        return not self.bids and not self.asks


class BookSnapshot(msgspec.Struct, frozen=True):
    """A full book state: bids descending, asks ascending, at sequence ``seq``."""

    symbol: str
    seq: int
    bids: list[Level]
    asks: list[Level]
    timestamp: int

    @property
    def best_bid(self) -> float | None:
        return self.bids[0][0] if self.bids else None

    @property
    def best_ask(self) -> float | None:
        return self.asks[0][0] if self.asks else None


class VenueBook:
    """A mutable L2 book; ``apply`` is the only way to change it so every change has a sequence id."""

    def __init__(self, symbol: str, price_decimals: int, qty_decimals: int, history: int = 512, seq: int = 0) -> None:
        self.symbol = symbol
        self.price_decimals = price_decimals
        self.qty_decimals = qty_decimals
        self.bids: dict[float, float] = {}
        self.asks: dict[float, float] = {}
        self.seq = seq
        self.timestamp = _now_ms()
        self._history = max(1, history)
        self._deltas: deque[BookDelta] = deque()
        self._base_bids: dict[float, float] = {}
        self._base_asks: dict[float, float] = {}
        self._base_seq = seq

    def apply(self, bids: Iterable[Level] = (), asks: Iterable[Level] = (), timestamp: int | None = None) -> BookDelta:
        """Set levels (quantity <= 0 deletes); returns the delta of what actually changed.

        An update that changes nothing returns an empty delta and keeps the sequence id.
        """
        changed_bids = self._merge(self.bids, bids)
        changed_asks = self._merge(self.asks, asks)
        ts = _now_ms() if timestamp is None else timestamp
        if not changed_bids and not changed_asks:
            return BookDelta(self.symbol, self.seq, self.seq, [], [], ts)
        self.seq += 1
        self.timestamp = ts
        delta = BookDelta(self.symbol, self.seq, self.seq - 1, changed_bids, changed_asks, ts)
        self._deltas.append(delta)
        if len(self._deltas) > self._history:
            old = self._deltas.popleft()
            self._replay(self._base_bids, old.bids)
            self._replay(self._base_asks, old.asks)
            self._base_seq = old.seq
        return delta

    def _merge(self, side: dict[float, float], levels: Iterable[Level]) -> list[Level]:
        pd, qd = self.price_decimals, self.qty_decimals
        changed: list[Level] = []
        for price, qty in levels:
            p = round(price, pd)
            q = round(qty, qd) if qty > 0 else 0.0
            if q <= 0:
                if p in side:
                    del side[p]
                    changed.append((p, 0.0))
            elif side.get(p) != q:
                side[p] = q
                changed.append((p, q))
        return changed

    @staticmethod
    def _replay(side: dict[float, float], levels: list[Level]) -> None:
        for p, q in levels:
            if q <= 0:
                side.pop(p, None)
            else:
                side[p] = q

    @property
    def best_bid(self) -> float | None:
        return max(self.bids) if self.bids else None

    @property
    def best_ask(self) -> float | None:
        return min(self.asks) if self.asks else None

    def sorted_bids(self, depth: int | None = None) -> list[Level]:
        levels = sorted(self.bids.items(), reverse=True)
        return levels if depth is None else levels[:depth]

    def sorted_asks(self, depth: int | None = None) -> list[Level]:
        levels = sorted(self.asks.items())
        return levels if depth is None else levels[:depth]

    def snapshot(self, depth: int | None = None) -> BookSnapshot:
        return BookSnapshot(self.symbol, self.seq, self.sorted_bids(depth), self.sorted_asks(depth), self.timestamp)

    def at(self, seq: int) -> BookSnapshot | None:
        """The book as it was right after sequence ``seq``, or None once it left the bounded history."""
        if seq == self.seq:
            return self.snapshot()
        if seq < self._base_seq or seq > self.seq:
            return None
        bids, asks = dict(self._base_bids), dict(self._base_asks)
        ts = self.timestamp
        for delta in self._deltas:
            if delta.seq > seq:
                break
            self._replay(bids, delta.bids)
            self._replay(asks, delta.asks)
            ts = delta.timestamp
        return BookSnapshot(self.symbol, seq, sorted(bids.items(), reverse=True), sorted(asks.items()), ts)
