"""Replay a recording through the local venue, over the same wire protocols, to a fresh Session.

A ``ReplayMarket`` (see ``replay_market``) serves the recorded books to the venue. Lock-step mode applies one
update, then waits until the client composite's book has reached that venue sequence id before the next, so the
scanner sees the updates in the recorded interleaving across venues and reproduces the recorded opportunities.
Real-time mode plays the updates at their recorded pace (times ``speed``) and, like lock-step, lets each reach the
client before the next: under load it runs late rather than merging updates the scanner would then never see.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterable
from typing import Any, Literal, Self

import msgspec
import polars as pl

from arbkit.arbitrage.config import ArbitrageConfig
from arbkit.arbitrage.lifecycle import EventKind, OpportunityEvent, OpportunityLifecycle
from arbkit.config import ArbkitConfig, WebsocketConfig
from arbkit.errors import ArbkitError
from arbkit.recording.reader import load_updates
from arbkit.recording.replay_market import Key, ReplayMarket
from arbkit.recording.schemas import read_meta
from arbkit.structs import BookUpdate, Symbol

__all__ = ["ReplayResult", "Replayer", "opportunity_keys", "replay"]


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
        if mode not in ("lockstep", "realtime"):
            raise ValueError(f"replay: mode {mode!r}: expected 'lockstep' or 'realtime'")
        assert self._watch is not None
        started = time.monotonic()
        first = market.updates[market.position].received_ms if not market.done else 0.0
        while not market.done:
            if mode == "realtime":  # paced by the recording's clock, but each update still waits for the client:
                due = started + (market.updates[market.position].received_ms - first) / 1000.0 / speed
                if (pause := due - time.monotonic()) > 0:  # under load it runs late, never merging two updates
                    await asyncio.sleep(pause)
            step = market.advance()
            assert step is not None
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
