"""Replay a recording through the local venue, over the same wire protocols, to a fresh Session.

``ReplayMarket`` stands in for the SimulatedMarket: for each recorded book update, in recorded order, it makes the
venue book of that exchange/symbol equal to the recorded top-N levels (the diff goes through ``VenueBook.apply``,
so every protocol streams it with its sequence ids and checksums). One extra level is kept just beyond the
recorded depth and its size toggled on every update: clients keep exactly N levels, so they never see it, but
every recorded update becomes exactly one venue delta and one client update, as it was live.

Lock-step mode applies one update, then waits until the client composite's book has reached that venue sequence
id before the next, so the scanner sees the updates in the recorded interleaving across venues and reproduces
the recorded opportunities. Real-time mode plays the updates at their recorded pace (times ``speed``).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any, Literal, Self

import msgspec
import numpy as np
import polars as pl

from arbkit.arbitrage.config import ArbitrageConfig
from arbkit.arbitrage.lifecycle import EventKind, OpportunityEvent, OpportunityLifecycle
from arbkit.config import ArbkitConfig, WebsocketConfig
from arbkit.errors import ArbkitError
from arbkit.recording.recorder import dataset_glob, read_meta
from arbkit.structs import BookUpdate, Level, Symbol
from arbkit.venue.book import BookDelta, VenueBook
from arbkit.venue.instruments import Instrument, instruments
from arbkit.venue.market import PublicTrade

__all__ = [
    "RecordedUpdate",
    "ReplayMarket",
    "ReplayResult",
    "Replayer",
    "load_updates",
    "opportunity_keys",
    "replay",
    "scan_dataset",
]

Key = tuple[str, str]  # (exchange, symbol)


class RecordedUpdate(msgspec.Struct, frozen=True):
    """One recorded book update: its top-N levels (bids descending, asks ascending) and where it came from."""

    update_id: int
    exchange: str
    symbol: str
    ts: int
    received_ms: float
    sequence: int | None
    bids: list[Level]
    asks: list[Level]


def scan_dataset(recording_dir: str | os.PathLike[str], dataset: str = "books") -> pl.LazyFrame:
    """One recorded dataset (``books``, ``health`` or ``opportunities``) as a lazy frame."""
    return pl.scan_parquet(dataset_glob(recording_dir, dataset), hive_partitioning=True)


def load_updates(
    recording_dir: str | os.PathLike[str],
    exchanges: Iterable[str] | None = None,
    symbols: Iterable[str | Symbol] | None = None,
) -> list[RecordedUpdate]:
    """The recorded book updates in recorded order (``update_id``), optionally for some exchanges/symbols only."""
    lf = scan_dataset(recording_dir)
    if exchanges is not None:
        lf = lf.filter(pl.col("exchange").is_in([e.lower() for e in exchanges]))
    if symbols is not None:
        lf = lf.filter(pl.col("symbol").is_in([str(Symbol.parse(s)) for s in symbols]))
    df = (
        lf.select(
            "update_id",
            "exchange",
            "symbol",
            pl.col("ts").dt.epoch("ms"),
            pl.col("received").dt.epoch("us"),
            "sequence",
            is_bid=pl.col("side") == "bid",
            price="price",
            size="size",
            level="level",
        )
        .sort("update_id", "is_bid", "level")
        .collect()
    )
    if df.height == 0:
        return []
    ids = df["update_id"].to_numpy()
    starts = np.concatenate(([0], np.flatnonzero(np.diff(ids)) + 1))
    ends = np.append(starts[1:], df.height)
    n_asks = (ends - starts) - np.add.reduceat(df["is_bid"].to_numpy().astype(np.int64), starts)
    price, size = df["price"].to_list(), df["size"].to_list()
    firsts = df[starts.tolist()]
    out = []
    for i, row in enumerate(firsts.iter_rows(named=True)):
        start, split, end = int(starts[i]), int(starts[i] + n_asks[i]), int(ends[i])
        out.append(
            RecordedUpdate(
                row["update_id"],
                row["exchange"],
                row["symbol"],
                row["ts"],
                row["received"] / 1000.0,
                row["sequence"],
                list(zip(price[split:end], size[split:end], strict=True)),
                list(zip(price[start:split], size[start:split], strict=True)),
            )
        )
    return out


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


class _SequenceWatch:
    """Resolves waits once a client composite's book of (exchange, symbol) reaches a venue sequence id."""

    def __init__(self, session: Any) -> None:
        self._session = session
        self._waits: dict[Key, tuple[int, asyncio.Future[None]]] = {}

    def on_update(self, update: BookUpdate) -> None:
        book = update.book
        waiting = self._waits.get((book.exchange, str(book.symbol)))
        if waiting is not None and book.sequence is not None and book.sequence >= waiting[0]:
            if not waiting[1].done():
                waiting[1].set_result(None)

    async def wait(self, key: Key, seq: int, timeout: float) -> None:
        book = self._session.exchanges[key[0]].book(key[1])
        if book is not None and book.sequence is not None and book.sequence >= seq:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waits[key] = (seq, future)
        try:
            await asyncio.wait_for(future, timeout)
        except TimeoutError:
            book = self._session.exchanges[key[0]].book(key[1])
            at = None if book is None else book.sequence
            raise ArbkitError(
                f"replay: {key[0]} {key[1]} did not reach venue sequence {seq} within {timeout:g}s (client at {at})"
            ) from None
        finally:
            self._waits.pop(key, None)


class ReplayResult(msgspec.Struct):
    """What a replay produced: the scanner's events after warm-up, its closed lifecycles, updates replayed."""

    events: list[OpportunityEvent]
    lifecycles: list[OpportunityLifecycle]
    updates: int
    seconds: float


class Replayer:
    """``async with Replayer(dir) as r: session = await r.start(); await r.run()`` (``replay()`` does it all)."""

    def __init__(
        self,
        recording_dir: str | os.PathLike[str],
        *,
        exchanges: Iterable[str] | None = None,
        symbols: Iterable[str | Symbol] | None = None,
        arbitrage: ArbitrageConfig | None = None,
        timeout: float = 10.0,
        name: str = "replay",
    ) -> None:
        self.meta = read_meta(recording_dir)
        updates = load_updates(recording_dir, exchanges, symbols)
        if not updates:
            raise ArbkitError(f"replay: recording {recording_dir} has no book rows (for the exchanges/symbols asked)")
        self.market = ReplayMarket(updates, depth=self.meta.depth)
        self.timeout = timeout
        self.name = name
        self._arbitrage = arbitrage
        self.events: list[OpportunityEvent] = []
        self.session: Any = None
        self.venue: Any = None
        self._watch: _SequenceWatch | None = None

    async def start(self) -> Any:
        """Start the venue on the replay market and a Session on it; return once every book holds its first state."""
        from arbkit.exchanges.factory import get_composite_implementation
        from arbkit.runtime.session import Session, default_arbitrage
        from arbkit.venue import LocalVenue

        market = self.market
        market.keepalive = True  # clients need deltas to go live (snapshots, buffered diffs)
        self.venue = LocalVenue(market.exchanges, update_interval=0.01, market=market)
        await self.venue.start()
        ws = WebsocketConfig(stall_timeout=3600.0, book_depth=self.meta.depth)
        cfg = ArbkitConfig(
            exchanges={
                n: msgspec.structs.replace(self.venue.exchange_config(n), websocket_config=ws) for n in market.exchanges
            }
        )
        symbols = sorted({Symbol.parse(sym) for _, sym in market.keys})
        arbitrage = self._arbitrage
        if arbitrage is None and self.meta.arbitrage is not None:
            arbitrage = msgspec.convert(self.meta.arbitrage, ArbitrageConfig)
        self.session = session = Session(cfg, arbitrage or default_arbitrage(cfg, symbols), symbols, self.name)
        session.venue = self.venue
        self._watch = _SequenceWatch(session)

        async def join(name: str) -> None:
            composite = get_composite_implementation(cfg.exchanges[name])
            await composite.init([sym for ex, sym in market.keys if ex == name], timeout=self.timeout)
            session.exchanges[name] = composite
            session.scanner.attach(composite)
            assert self._watch is not None
            composite.add_listener(self._watch.on_update)

        await asyncio.gather(*(join(n) for n in market.exchanges))
        self.venue.pause()
        market.keepalive = False
        await self._catch_up()
        session.scanner.add_listener(self.events.append)
        return session

    async def _catch_up(self) -> None:
        await self.venue.settle()
        assert self._watch is not None
        for key in self.market.keys:
            await self._watch.wait(key, self.market.book(*key).seq, self.timeout)

    async def run(self, mode: Literal["lockstep", "realtime"] = "lockstep", speed: float = 1.0) -> int:
        """Replay every remaining update; returns how many. Lock-step is deterministic; real time is for demos."""
        if self.session is None:
            await self.start()
        market, before = self.market, self.market.position
        if mode == "realtime":
            market.start_clock(speed)
            self.venue.resume()
            while not market.done:  # noqa: ASYNC110 (stepped by the venue loop; a 20 ms poll is enough)
                await asyncio.sleep(0.02)
            self.venue.pause()
            market.stop_clock()
            await self._catch_up()
            return market.position - before
        if mode != "lockstep":
            raise ValueError(f"replay: mode {mode!r}: expected 'lockstep' or 'realtime'")
        assert self._watch is not None
        while (step := market.advance()) is not None:
            update, delta = step
            await self.venue.step()
            await self._watch.wait((update.exchange, update.symbol), delta.seq, self.timeout)
        return market.position - before

    async def close(self) -> None:
        if self.session is not None:
            await self.session.stop()
        if self.venue is not None:
            await self.venue.close()
        self.session = self.venue = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


async def replay(
    recording_dir: str | os.PathLike[str],
    *,
    mode: Literal["lockstep", "realtime"] = "lockstep",
    speed: float = 1.0,
    exchanges: Iterable[str] | None = None,
    symbols: Iterable[str | Symbol] | None = None,
    arbitrage: ArbitrageConfig | None = None,
    timeout: float = 10.0,
) -> ReplayResult:
    """Replay a whole recording and return the scanner's events (the same opportunities as the live run)."""
    started = time.monotonic()
    async with Replayer(
        recording_dir, exchanges=exchanges, symbols=symbols, arbitrage=arbitrage, timeout=timeout
    ) as replayer:
        await replayer.start()
        count = await replayer.run(mode, speed)
        events = list(replayer.events)
        lifecycles = replayer.session.scanner.lifecycles()
    return ReplayResult(events, lifecycles, count, time.monotonic() - started)


OpportunityKeyRow = tuple[str, str, str, float, float, float, float]


def opportunity_keys(
    source: Iterable[OpportunityEvent] | pl.DataFrame | pl.LazyFrame, digits: int = 6
) -> list[OpportunityKeyRow]:
    """(pair_id, buy, sell, quantity, buy_vwap, sell_vwap, edge_bps rounded) of OPENED/UPDATED events, in order.

    ``source`` is a list of events (a live or replayed scanner) or the recorded ``opportunities`` dataset.
    """
    if isinstance(source, pl.DataFrame | pl.LazyFrame):
        rows = (
            source.lazy()
            .filter(pl.col("kind").is_in([EventKind.OPENED.value, EventKind.UPDATED.value]))
            .sort("books_seen", "event_id")
            .select("pair_id", "buy_exchange", "sell_exchange", "quantity", "buy_vwap", "sell_vwap", "edge_bps")
            .collect()
            .rows()
        )
        return [(*r[:6], round(r[6], digits)) for r in rows]
    out = []
    for event in source:
        if event.kind is EventKind.CLOSED:
            continue
        o = event.opportunity
        out.append(
            (o.pair_id, o.buy_exchange, o.sell_exchange, o.quantity, o.buy_vwap, o.sell_vwap, round(o.edge_bps, digits))
        )
    return out
