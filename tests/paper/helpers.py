"""Shared pieces of the paper tests: a clock the test advances by hand, books and SymbolInfos."""

from __future__ import annotations

import asyncio

from arbkit.paper.backend import PaperBackend
from arbkit.paper.config import LatencySampler
from arbkit.structs import Level, OrderBook, Symbol, SymbolInfo

BTC = Symbol.parse("BTC/USDT")


class StepClock:
    """Time moves only when the test calls ``advance``; ``sleep_until`` waits for that."""

    def __init__(self, start_ms: int = 1_000_000) -> None:
        self.t = start_ms
        self._waiting: list[tuple[int, asyncio.Future[None]]] = []
        self.slept = asyncio.Event()  # set whenever something starts waiting for the clock

    def now_ms(self) -> int:
        return self.t

    async def sleep_until(self, at_ms: int) -> None:
        if at_ms <= self.t:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((at_ms, future))
        self.slept.set()
        await future

    @property
    def waiting(self) -> int:
        return sum(1 for _, f in self._waiting if not f.done())

    async def advance(self, ms: int) -> None:
        """Move time on by ``ms`` and let every sleeper that is due run."""
        self.t += ms
        due = [f for at, f in self._waiting if at <= self.t]
        self._waiting = [(at, f) for at, f in self._waiting if at > self.t]
        for future in due:
            if not future.done():
                future.set_result(None)
        for _ in range(5):
            await asyncio.sleep(0)


def info(
    exchange: str = "binance",
    tick: float = 0.01,
    step: float = 0.0001,
    min_qty: float = 0.0001,
    min_notional: float = 5.0,
    taker: float = 0.001,
) -> SymbolInfo:
    return SymbolInfo(exchange, BTC, tick, step, min_qty, min_notional, taker_fee=taker)


def book(exchange: str, bids: list[Level], asks: list[Level]) -> OrderBook:
    return OrderBook(exchange, BTC, list(bids), list(asks))


class Books:
    """A mutable BookView: the test sets each venue's book."""

    def __init__(self) -> None:
        self.books: dict[str, OrderBook] = {}

    def set(self, exchange: str, bids: list[Level], asks: list[Level]) -> None:
        self.books[exchange] = book(exchange, bids, asks)

    def __call__(self, exchange: str, symbol: Symbol) -> OrderBook | None:
        return self.books.get(exchange)


def backend(
    name: str,
    books: Books,
    clock: object,
    latency_ms: float = 0.0,
    balances: dict[str, float] | None = None,
    symbol_info: SymbolInfo | None = None,
) -> PaperBackend:
    found = symbol_info or info(name)
    return PaperBackend(
        name,
        books,
        {BTC: found},
        clock,  # type: ignore[arg-type]
        LatencySampler([latency_ms]),
        balances if balances is not None else {"USDT": 100_000.0, "BTC": 2.0},
    )
