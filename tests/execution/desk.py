"""A trading desk on the local venue for the executor tests: a paused venue, private composites as back-ends,
a journal and an executor; plus ``leg_plan`` which prices each leg so the venue's own matching gives the wanted
outcome (filled, partly filled, unfilled), or has the venue refuse it (rejected) or lose its answer (unknown)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from arbkit.exchanges import factory
from arbkit.execution.backend import PrivateBackend
from arbkit.execution.config import parse_execution_config
from arbkit.execution.executor import Executor, MarketContext
from arbkit.execution.journal import Journal
from arbkit.execution.machine import LegOutcome
from arbkit.execution.plan import ExecutionPlan
from arbkit.paper.backend import PaperBackend
from arbkit.paper.clock import WallClock
from arbkit.paper.config import LatencySampler
from arbkit.structs import BookHealth, BookState, OrderBook, Symbol, SymbolInfo
from arbkit.venue import LocalVenue

BTC = Symbol.parse("BTC/USDT")
BUY, SELL = "binance", "mexc"
TEST_LIMITS = {"price_collar_bps": 1000, "cooldown_ms": 0, "max_notional_per_leg": 1e6, "max_net_exposure": 1e6,
               "leg_timeout_ms": 3000, "max_orders_per_second": 100}  # fmt: skip


class Desk:
    def __init__(self, venue: LocalVenue, privates: dict, journal: Journal, executor: Executor) -> None:
        self.venue = venue
        self.privates = privates
        self.journal = journal
        self.executor = executor
        self.infos: dict[str, SymbolInfo] = {}

    async def load_infos(self) -> None:
        for name, private in self.privates.items():
            handle = private.rest.ccxt
            self.infos[name] = handle.symbol_info(await handle.market(BTC))

    def market(self) -> MarketContext:
        mids = {}
        health = {}
        for name in self.privates:
            snap = self.venue.book(name, str(BTC))
            mids[name] = (snap.bids[0][0] + snap.asks[0][0]) / 2
            health[name] = BookHealth(name, BTC, BookState.LIVE, snap.seq, 5.0, 1, 1.0, 0, 0, 0, 0)
        return MarketContext(self.infos[BUY], self.infos[SELL], mids, health)

    def leg_plan(
        self, buy: LegOutcome, sell: LegOutcome, quantity: float = 0.002, unknown: LegOutcome = LegOutcome.FILLED
    ) -> ExecutionPlan:
        """A plan whose legs end as asked; an UNKNOWN leg is an order that ends ``unknown`` on the venue but whose
        acknowledgement the venue drops (connection reset)."""
        if buy is LegOutcome.UNKNOWN:
            self.venue.drop_next_ack(BUY, "reset")
            buy = unknown
        if sell is LegOutcome.UNKNOWN:
            self.venue.drop_next_ack(SELL, "reset")
            sell = unknown
        buy_book = self.venue.book(BUY, str(BTC))
        sell_book = self.venue.book(SELL, str(BTC))
        if buy is LegOutcome.PARTIAL:
            quantity = max(quantity, round(buy_book.asks[0][1] + 0.002, 5))
        if sell is LegOutcome.PARTIAL:
            quantity = max(quantity, round(sell_book.bids[0][1] + 0.002, 5))
        buy_price = _price(buy, buy_book.asks, buy_book.bids, quantity)
        sell_price = _price(sell, sell_book.bids, sell_book.asks, quantity)
        if buy is LegOutcome.REJECTED:
            self.venue.reject_next_order(BUY, "insufficient_funds")
        if sell is LegOutcome.REJECTED:
            self.venue.reject_next_order(SELL, "insufficient_funds")
        return ExecutionPlan(
            pair_id="btc_usdt", symbol=BTC, buy_exchange=BUY, sell_exchange=SELL, quantity=quantity,
            buy_price=buy_price, sell_price=sell_price, buy_vwap=buy_price, sell_vwap=sell_price,
            buy_worst=buy_price, sell_worst=sell_price, buy_fee=0.001, sell_fee=0.0005, expected_profit=0.0,
            opportunity_ms=0, buy_tick=0.01, sell_tick=0.01, step=0.00001,
        )  # fmt: skip


def venue_paper_backend(venue: LocalVenue, name: str, info: SymbolInfo, latency_ms: float = 0.0) -> PaperBackend:
    """A paper account of ``name`` filling against the venue's current book (zero latency unless asked)."""

    def view(exchange: str, symbol: Symbol) -> OrderBook:
        snap = venue.book(exchange, str(symbol))
        return OrderBook(exchange, symbol, [tuple(x) for x in snap.bids], [tuple(x) for x in snap.asks])

    return PaperBackend(name, view, {BTC: info}, WallClock(), LatencySampler([latency_ms]), {"USDT": 1e5, "BTC": 2.0})


def _price(outcome: LegOutcome, same: list, other: list, quantity: float) -> float:
    """Filled / rejected: the level that covers ``quantity``; partial: the best level only; unfilled: the other
    side's best (never crosses)."""
    if outcome is LegOutcome.PARTIAL:
        return same[0][0]
    if outcome is LegOutcome.UNFILLED:
        return other[0][0]
    total = 0.0
    for price, qty in same:
        total += qty
        if total >= quantity:
            return price
    raise AssertionError("the venue book is too thin for the test quantity")


@contextlib.asynccontextmanager
async def desk(
    tmp_path: Path, dry_run: bool = False, exchanges: tuple[str, ...] = (BUY, SELL), **limits
) -> AsyncIterator[Desk]:
    async with LocalVenue(exchanges=list(exchanges), seed=11, update_interval=0.02) as venue:
        venue.pause()
        privates = {}
        try:
            for name in exchanges:
                private = factory.get_composite_implementation(venue.exchange_config(name), is_private=True)
                privates[name] = await private.init()
            journal = Journal(tmp_path / "journal.sqlite")
            config = parse_execution_config({**TEST_LIMITS, **limits})
            backends: dict = {name: PrivateBackend(p) for name, p in privates.items()}
            executor = Executor(backends, journal, config, target=venue.origin)
            d = Desk(venue, privates, journal, executor)
            await d.load_infos()
            if dry_run:  # paper back-ends over the venue's own books: nothing reaches the venue
                backends = {name: venue_paper_backend(venue, name, d.infos[name]) for name in exchanges}
                d.executor = executor = Executor(backends, journal, config, target=venue.origin, dry_run=True)
            yield d
            journal.close()
        finally:
            for private in privates.values():
                await private.close()
