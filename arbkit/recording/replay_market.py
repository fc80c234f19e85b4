"""ReplayMarket: the venue's market driven by a recording instead of a simulation.

``ReplayMarket`` stands in for the SimulatedMarket: for each recorded book update, in recorded order, it makes the
venue book of that exchange/symbol equal to the recorded top-N levels (the diff goes through ``VenueBook.apply``,
so every protocol streams it with its sequence ids and checksums). One extra level is kept just beyond the
recorded depth and its size toggled on every update: clients keep exactly N levels, so they never see it, but
every recorded update becomes exactly one venue delta and one client update, as it was live.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Sequence

from arbkit.errors import ArbkitError
from arbkit.recording.reader import RecordedUpdate
from arbkit.structs import Level
from arbkit.venue.book import BookDelta, VenueBook
from arbkit.venue.instruments import Instrument, instruments
from arbkit.venue.market import PublicTrade

__all__ = ["Key", "ReplayMarket"]

Key = tuple[str, str]  # (exchange, symbol)


class ReplayMarket:
    """The SimulatedMarket interface (``book``, ``books``, ``step``, trades) driven by a recording.

    The first update of every exchange/symbol primes its book (the state the live scanner held when recording
    began); the rest are applied by ``advance()`` (lock-step), by ``step()`` on a clock (real time), or not
    at all while ``keepalive`` toggles only the hidden level so clients can connect.
    """

    def __init__(self, updates: Sequence[RecordedUpdate], depth: int = 20, history: int = 512) -> None:
        self.depth = depth
        self.exchanges = sorted({u.exchange for u in updates})
        self._insts: dict[Key, Instrument] = {}
        self._books: dict[Key, VenueBook] = {}
        for exchange in self.exchanges:
            for symbol, inst in instruments(exchange).items():
                self._insts[(exchange, symbol)] = inst
                self._books[(exchange, symbol)] = VenueBook(symbol, inst.price_decimals, inst.qty_decimals, history)
        self._current: dict[Key, tuple[list[Level], list[Level]]] = {}
        self._hidden: dict[Key, tuple[str, float, float]] = {}
        self._queued: list[tuple[str, str, BookDelta]] = []
        self.updates: list[RecordedUpdate] = []
        for update in updates:
            key = (update.exchange, update.symbol)
            if key not in self._books:
                raise ArbkitError(f"replay: the local venue does not list {update.symbol} on {update.exchange}")
            if key in self._current:
                self.updates.append(update)
            else:
                self._set(key, update.bids, update.asks, update.ts)
        self._queued.clear()
        self.position = 0
        self.keepalive = False
        self._clock: tuple[float, float, float] | None = None
        self.steps = 0
        self._tapes: dict[Key, deque[PublicTrade]] = {key: deque(maxlen=500) for key in self._books}
        self._trade_ids: dict[Key, int] = dict.fromkeys(self._books, 0)
        self._pending: list[tuple[str, str, PublicTrade]] = []

    # ------------------------------------------------------------------ what the venue uses
    def book(self, exchange: str, symbol: str) -> VenueBook:
        return self._books[(exchange, symbol)]

    def books(self, exchange: str) -> dict[str, VenueBook]:
        return {sym: book for (ex, sym), book in self._books.items() if ex == exchange}

    @property
    def keys(self) -> list[Key]:
        """The recorded (exchange, symbol) books."""
        return list(self._current)

    def step(self) -> list[tuple[str, str, BookDelta]]:
        """The deltas since the last step: queued by ``advance``, due on the clock, or the keepalive toggles."""
        self.steps += 1
        if self._clock is not None:
            self._apply_due()
        elif self.keepalive:
            now = int(time.time() * 1000)
            for key, (bids, asks) in self._current.items():
                self._set(key, bids, asks, now)
        out, self._queued = self._queued, []
        return out

    def inject_dislocation(self, exchange: str, symbol: str, bps: float, steps: int) -> None:
        raise ArbkitError("replay: the recording decides the books; dislocations cannot be injected")

    def trades(self, exchange: str, symbol: str, limit: int = 500) -> list[PublicTrade]:
        tape = self._tapes[(exchange, symbol)]
        return list(tape)[-limit:] if limit > 0 else []

    def record_trade(self, exchange: str, symbol: str, price: float, qty: float, side: str, ts: int) -> PublicTrade:
        key = (exchange, symbol)
        self._trade_ids[key] += 1
        trade = PublicTrade(self._trade_ids[key], price, qty, side, ts)
        self._tapes[key].append(trade)
        self._pending.append((exchange, symbol, trade))
        return trade

    def drain_trades(self) -> list[tuple[str, str, PublicTrade]]:
        pending, self._pending = self._pending, []
        return pending

    # ------------------------------------------------------------------ driving
    @property
    def done(self) -> bool:
        return self.position >= len(self.updates)

    def advance(self) -> tuple[RecordedUpdate, BookDelta] | None:
        """Apply the next recorded update (queued for the next ``step``); None at the end."""
        if self.done:
            return None
        update = self.updates[self.position]
        self.position += 1
        return update, self._set((update.exchange, update.symbol), update.bids, update.asks, update.ts)

    def start_clock(self, speed: float = 1.0) -> None:
        """From now on ``step()`` applies every update whose recorded time has come (``speed`` x real time)."""
        first = self.updates[self.position].received_ms if not self.done else 0.0
        self._clock = (time.monotonic(), first, speed)

    def stop_clock(self) -> None:
        self._clock = None

    def _apply_due(self) -> None:
        assert self._clock is not None
        started, first, speed = self._clock
        horizon = first + (time.monotonic() - started) * 1000.0 * speed
        while not self.done and self.updates[self.position].received_ms <= horizon:
            self.advance()

    def _set(self, key: Key, bids: list[Level], asks: list[Level], ts: int) -> BookDelta:
        """Make the venue book equal to ``bids``/``asks`` plus the hidden level; queue and return the delta."""
        inst, book = self._insts[key], self._books[key]
        pd = inst.price_decimals
        target = ({round(p, pd): q for p, q in bids}, {round(p, pd): q for p, q in asks})
        side, price, qty = self._hidden_level(key, bids, asks, inst)
        target[0 if side == "bid" else 1][price] = qty
        changes = [
            [(p, 0.0) for p in current if p not in wanted] + list(wanted.items())
            for current, wanted in zip((book.bids, book.asks), target, strict=True)
        ]
        delta = book.apply(changes[0], changes[1], ts)
        self._current[key] = (bids, asks)
        self._queued.append((key[0], key[1], delta))
        return delta

    def _hidden_level(
        self, key: Key, bids: list[Level], asks: list[Level], inst: Instrument
    ) -> tuple[str, float, float]:
        """A level one tick beyond the deepest recorded one, on a side with N levels, its size toggled each time."""
        if asks and (len(asks) >= self.depth or len(bids) < self.depth):
            side, price = "ask", asks[-1][0] + inst.tick_size
        elif bids:
            side, price = "bid", bids[-1][0] - inst.tick_size
        else:
            side, price = "ask", inst.tick_size
        price = round(price, inst.price_decimals)
        one, two = inst.step_size, round(2 * inst.step_size, inst.qty_decimals)
        previous = self._hidden.get(key)
        qty = two if previous == (side, price, one) else one
        self._hidden[key] = (side, price, qty)
        return side, price, qty
