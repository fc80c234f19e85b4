"""Per-update cost of the feed conversion, ``BookFeed._on_book``: ccxt's book (50 levels a side) -> an arbkit
``OrderBook`` of 20 levels plus its ``BookHealth``, emitted through the real ``Listeners`` fan-out to one no-op
listener, cycling over 20 books (4 venues x 5 symbols). The new feed reads the tuple-row books arbkit's exchange
classes build (``tuple_book``); beside it, ``book_feed.py`` and ``convert.py`` before the issue-8 rewrite
(``BASELINE``, read from git history at run time, so the repository's ``.git`` is needed) on ccxt's own books, in
interleaved rounds of the same run. Tuple rows move a little work into ccxt's delta handling (a tuple per changed
level), so the cost of storing one level change is printed for both kinds of book too.

    PYTHONPATH=. python benchmarks/feed_cost.py [--rounds 31]

Prints medians over interleaved rounds of CPU us (process time, so other load on a shared machine is not counted)
and the ratio new / before. Target: at most 4 us per update. Not a test.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path
from typing import Any

from ccxt.async_support.base.ws.order_book import OrderBook as CcxtOrderBook

from arbkit.config import WebsocketConfig
from arbkit.exchanges.book_feed import BookFeed
from arbkit.exchanges.listeners import Listeners
from arbkit.exchanges.tuple_book import tuple_order_book
from arbkit.structs import BookState, BookUpdate, Symbol

BASELINE = "451af39"  # the last book_feed.py before the issue-8 rewrite (watch loop without supervision)
DEPTH = 20
SOURCE_LEVELS = 50
BOOKS = 20  # 4 venues x 5 symbols, cycled through: no update is a repeat of the one before
BATCH = 4_096


def _load(name: str, replace: dict[str, str]) -> types.ModuleType:
    """``arbkit/exchanges/<name>.py`` at ``BASELINE`` as module ``baseline_<name>``, with imports rewritten."""
    root = Path(__file__).resolve().parents[1]
    path = f"arbkit/exchanges/{name}.py"
    source = subprocess.run(
        ["git", "show", f"{BASELINE}:{path}"], cwd=root, capture_output=True, text=True, check=True
    ).stdout
    for old, new in replace.items():
        source = source.replace(old, new)
    module = types.ModuleType(f"baseline_{name}")
    sys.modules[module.__name__] = module
    exec(compile(source, f"{BASELINE}:{path}", "exec"), module.__dict__)
    return module


def baseline_module() -> types.ModuleType:
    """``book_feed.py`` at ``BASELINE``, converting with ``convert.py`` at ``BASELINE`` (the old ``levels``)."""
    _load("convert", {})
    return _load("book_feed", {"from arbkit.exchanges.convert import": "from baseline_convert import"})


def ccxt_books(make: Any, seed: int = 7) -> list[Any]:
    """``BOOKS`` ccxt order books built by ``make`` (ccxt's ``OrderBook``, or arbkit's tuple-row book that its exchange
    classes build), each a small move of the last."""
    rng = random.Random(seed)
    mid = 100.0
    out = []
    for nonce in range(BOOKS):
        mid += rng.choice((-0.01, 0.0, 0.01))
        bids = [[round(mid - 0.005 - 0.01 * i, 3), round(rng.uniform(0.1, 5.0), 4)] for i in range(SOURCE_LEVELS)]
        asks = [[round(mid + 0.005 + 0.01 * i, 3), round(rng.uniform(0.1, 5.0), 4)] for i in range(SOURCE_LEVELS)]
        out.append(make({"bids": bids, "asks": asks, "nonce": nonce, "timestamp": 1_700_000_000_000}))
    return out


def feed(cls: type, listeners: Listeners[BookUpdate]) -> Any:
    made = cls(None, "binance", Symbol.parse("BTC/USDT"), WebsocketConfig(book_depth=DEPTH), listeners.emit)
    made.state = BookState.LIVE
    return made


def emitted(cls: type, books: list[Any]) -> list[BookUpdate]:
    """What a feed of ``cls`` emits for one pass over ``books`` (the new and old feeds must agree)."""
    seen: list[BookUpdate] = []
    listeners: Listeners[BookUpdate] = Listeners("bench")
    listeners.add(seen.append)
    book_feed = feed(cls, listeners)
    for raw in books:
        book_feed._on_book(raw)
    return seen


def round_us(on_book: Any, stream: list[Any]) -> float:
    start = time.process_time_ns()
    for raw in stream:
        on_book(raw)
    return (time.process_time_ns() - start) / len(stream) / 1000.0


def store_us(make: Any, rounds: int) -> float:
    """Median CPU us of one level change (size changes, inserts, deletes near the top) stored through ccxt."""
    rng = random.Random(3)
    changes = [(round(99.0 + 0.01 * rng.randrange(40), 2), rng.choice((0.0, 1.0, 2.5))) for _ in range(BATCH)]
    samples = []
    for _ in range(rounds):
        bids = make({"bids": [[round(99.0 + 0.01 * i, 2), 1.0] for i in range(40)]})["bids"]
        start = time.process_time_ns()
        for price, size in changes:
            bids.store(price, size)
        samples.append((time.process_time_ns() - start) / BATCH / 1000.0)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=31)
    args = parser.parse_args()
    books, old_books = ccxt_books(tuple_order_book), ccxt_books(CcxtOrderBook)
    old_cls = baseline_module().BookFeed
    new_seen, old_seen = emitted(BookFeed, books), emitted(old_cls, old_books)
    same = [u.book.bids == o.book.bids and u.book.asks == o.book.asks for u, o in zip(new_seen, old_seen, strict=True)]
    if not all(same) or len(new_seen) != len(books):
        raise SystemExit("the new feed emits different books than the baseline: the comparison is void")
    quiet: Listeners[BookUpdate] = Listeners("bench")
    quiet.add(lambda update: None)
    new_on_book, old_on_book = feed(BookFeed, quiet)._on_book, feed(old_cls, quiet)._on_book
    stream = [books[i % len(books)] for i in range(BATCH)]
    old_stream = [old_books[i % len(books)] for i in range(BATCH)]
    new, old, ratios = [], [], []
    for _ in range(args.rounds):  # interleaved rounds: load that comes and goes hits both alike
        new.append(round_us(new_on_book, stream))
        old.append(round_us(old_on_book, old_stream))
        ratios.append(new[-1] / old[-1])
    new_us, old_us = statistics.median(new), statistics.median(old)
    print(
        f"feed conversion, {DEPTH}-level OrderBook from {BOOKS} ccxt books of {SOURCE_LEVELS} levels, CPU us per "
        f"update (median of {args.rounds} interleaved rounds of {BATCH}):"
    )
    print(f"  new:                          {new_us:6.2f} us (best round {min(new):.2f})")
    print(f"  before issue 8 ({BASELINE}):    {old_us:6.2f} us (best round {min(old):.2f})")
    store_new, store_old = store_us(tuple_order_book, args.rounds), store_us(CcxtOrderBook, args.rounds)
    print(f"  one level change stored by ccxt: tuple rows {store_new:.3f} us, ccxt's rows {store_old:.3f} us")
    verdict = "met" if new_us <= 4.0 else "NOT met"
    print(f"  ratio new / before: median {statistics.median(ratios):.2f}; target <= 4 us: {verdict}")


if __name__ == "__main__":
    main()
