"""Per-update cost of the feed conversion, ``BookFeed._on_book``: ccxt's book (50 levels a side) -> an arbkit
``OrderBook`` of 20 levels plus its ``BookHealth``, emitted through the real ``Listeners`` fan-out to one no-op
listener. Beside it, the same updates through ``book_feed.py`` before the issue-8 rewrite (``BASELINE``, read from
git history at run time, so the repository's ``.git`` is needed) in the same run.

    PYTHONPATH=. python benchmarks/feed_cost.py [--rounds 15]

Prints the median over rounds of CPU us per update (process time, so other load on a shared machine is not
counted) and the ratio new / before. Target: at most 4 us per update. Not a test.
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


def ccxt_books(seed: int = 7) -> list[Any]:
    """``BOOKS`` ccxt order books as ccxt.pro keeps them (its own ``OrderBook``), each a small move of the last."""
    rng = random.Random(seed)
    mid = 100.0
    out = []
    for nonce in range(BOOKS):
        mid += rng.choice((-0.01, 0.0, 0.01))
        bids = [[round(mid - 0.005 - 0.01 * i, 3), round(rng.uniform(0.1, 5.0), 4)] for i in range(SOURCE_LEVELS)]
        asks = [[round(mid + 0.005 + 0.01 * i, 3), round(rng.uniform(0.1, 5.0), 4)] for i in range(SOURCE_LEVELS)]
        out.append(CcxtOrderBook({"bids": bids, "asks": asks, "nonce": nonce, "timestamp": 1_700_000_000_000}))
    return out


def feed(cls: type, listeners: Listeners[BookUpdate]) -> Any:
    made = cls(None, "binance", Symbol.parse("BTC/USDT"), WebsocketConfig(book_depth=DEPTH), listeners.emit)
    made.state = BookState.LIVE
    return made


def cost_us(cls: type, books: list[Any], rounds: int) -> tuple[float, list[BookUpdate]]:
    """Median CPU us per ``_on_book`` call over ``rounds`` rounds of ``BATCH`` updates, and the first updates."""
    seen: list[BookUpdate] = []
    listeners: Listeners[BookUpdate] = Listeners("bench")
    listeners.add(seen.append)
    book_feed = feed(cls, listeners)
    for raw in books:  # warm up, and keep what it emitted for the equality check
        book_feed._on_book(raw)
    listeners = Listeners("bench")
    listeners.add(lambda update: None)
    book_feed = feed(cls, listeners)
    on_book = book_feed._on_book
    stream = [books[i % len(books)] for i in range(BATCH)]
    samples = []
    for _ in range(rounds):
        start = time.process_time_ns()
        for raw in stream:
            on_book(raw)
        samples.append((time.process_time_ns() - start) / BATCH / 1000.0)
    return statistics.median(samples), seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    books = ccxt_books()
    old_cls = baseline_module().BookFeed
    new_us, new_seen = cost_us(BookFeed, books, args.rounds)
    old_us, old_seen = cost_us(old_cls, books, args.rounds)
    new_us2, _ = cost_us(BookFeed, books, args.rounds)  # interleaved: a load change mid-run shows as a spread
    same = [u.book.bids == o.book.bids and u.book.asks == o.book.asks for u, o in zip(new_seen, old_seen, strict=True)]
    if not all(same) or len(new_seen) != len(books):
        raise SystemExit("the new feed emits different books than the baseline: the comparison is void")
    new = min(new_us, new_us2)
    print(
        f"feed conversion, {DEPTH}-level OrderBook from a {SOURCE_LEVELS}-level ccxt book, CPU us per update "
        f"(median of {args.rounds} rounds of {BATCH}):"
    )
    print(f"  new:                          {new_us:6.2f} us (again after the baseline: {new_us2:.2f} us)")
    print(f"  before issue 8 ({BASELINE}):    {old_us:6.2f} us")
    verdict = "met" if new <= 4.0 else "NOT met"
    print(f"  ratio new / before: {new / old_us:.2f}; target <= 4 us: {verdict}")


if __name__ == "__main__":
    main()
