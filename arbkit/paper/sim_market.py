"""The recorded market in memory: every venue's current book, served to the scanner, the trader and paper fills.

``SimMarket.apply(update)`` makes one recorded update the current book of its exchange/symbol (stamped with the
simulated time it is applied at) and hands it to that exchange's listeners, as a live composite would. Each
``SimExchange`` is what the scanner (``BookSource``) and the trader read from a composite: ``name``,
``symbols_info``, ``add_listener``, ``book(symbol)``, ``health(symbol)``. ``SimMarket.book`` is the paper ``BookView``.
Instrument terms (tick, step, minimums, taker fees) are the local venue's listings, the ones a recording was made
on; as in a dry run, paper charges the listed taker fee even where ``arbitrage.fee_overrides`` assumes a lower one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from arbkit.errors import ArbkitError
from arbkit.exchanges.listeners import Listeners
from arbkit.recording.reader import RecordedUpdate
from arbkit.structs import BookHealth, BookState, BookUpdate, OrderBook, Symbol, SymbolInfo
from arbkit.venue.instruments import instruments, known_exchanges

__all__ = ["SimExchange", "SimMarket", "symbol_info"]


def symbol_info(exchange: str, symbol: Symbol) -> SymbolInfo:
    """The local venue's terms for ``symbol`` on ``exchange`` (one line naming both when it is not listed)."""
    inst = instruments(exchange).get(str(symbol)) if exchange in known_exchanges() else None
    if inst is None:
        raise ArbkitError(f"replay-trade: {exchange} {symbol}: no instrument terms (tick, step, fees) for it")
    return SymbolInfo(
        exchange=exchange, symbol=symbol, tick_size=inst.tick_size, step_size=inst.step_size,
        min_quantity=inst.min_qty, min_notional=inst.min_notional, maker_fee=inst.maker_fee,
        taker_fee=inst.taker_fee, exchange_symbol=str(symbol),
    )  # fmt: skip


class SimExchange:
    """One exchange of the recording, seen as a public composite."""

    def __init__(self, name: str, infos: dict[Symbol, SymbolInfo], now_ms: Callable[[], int]) -> None:
        self.name = name
        self.symbols_info = infos
        self._now = now_ms
        self._books: dict[Symbol, OrderBook] = {}
        self._updates: dict[Symbol, int] = {}
        self._listeners: Listeners[BookUpdate] = Listeners(f"sim {name}")

    def add_listener(self, listener: Callable[[BookUpdate], None]) -> Callable[[], None]:
        return self._listeners.add(listener)

    def book(self, symbol: Symbol | str) -> OrderBook | None:
        return self._books.get(symbol if isinstance(symbol, Symbol) else Symbol.parse(symbol))

    def health(self, symbol: Symbol | str) -> list[BookHealth]:
        """As a composite answers: one entry, aged to the current simulated time (none before its first update)."""
        book = self.book(symbol)
        if book is None:
            return []
        return [self._health(book, self._now())]

    def _health(self, book: OrderBook, now: float) -> BookHealth:
        return BookHealth(
            exchange=self.name, symbol=book.symbol, state=BookState.LIVE, sequence=book.sequence,
            age_ms=now - book.received_ms, updates=self._updates.get(book.symbol, 0), updates_per_second=0.0,
            gaps=0, resyncs=0, checksum_failures=0, reconnects=0, crossed=_crossed(book),
        )  # fmt: skip

    def apply(self, symbol: Symbol, update: RecordedUpdate, now: int) -> None:
        book = OrderBook(self.name, symbol, update.bids, update.asks, update.ts, update.sequence, float(now))
        self._books[symbol] = book
        self._updates[symbol] = self._updates.get(symbol, 0) + 1
        self._listeners.emit(BookUpdate(book, self._health(book, now)))


class SimMarket:
    """Every (exchange, symbol) of a recording: the current books, advanced one recorded update at a time."""

    def __init__(self, updates: Iterable[RecordedUpdate], now_ms: Callable[[], int]) -> None:
        keys = sorted({(u.exchange, u.symbol) for u in updates})
        self._symbols = {s: Symbol.parse(s) for _, s in keys}
        infos: dict[str, dict[Symbol, SymbolInfo]] = {}
        for exchange, sym in keys:
            infos.setdefault(exchange, {})[self._symbols[sym]] = symbol_info(exchange, self._symbols[sym])
        self.exchanges = {name: SimExchange(name, found, now_ms) for name, found in infos.items()}
        self.symbols = sorted(set(self._symbols.values()))
        self._now = now_ms

    def apply(self, update: RecordedUpdate) -> None:
        """Make ``update`` the current book of its exchange/symbol now, and tell that exchange's listeners."""
        self.exchanges[update.exchange].apply(self._symbols[update.symbol], update, self._now())

    def book(self, exchange: str, symbol: Symbol) -> OrderBook | None:
        """The paper ``BookView``: that book as it is now in simulated time."""
        found = self.exchanges.get(exchange)
        return None if found is None else found.book(symbol)


def _crossed(book: OrderBook) -> bool:
    return bool(book.bids and book.asks and book.bids[0][0] >= book.asks[0][0])
