"""``arbkit scan``: live books, cross-exchange spreads, opportunities after fees and depth, and venue health."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from arbkit.config import load_config
from arbkit.errors import ArbkitError
from arbkit.runtime.session import Session, connect
from arbkit.structs import OrderBook


def _books_table(session: Session) -> list[str]:
    lines = [
        f"{'symbol':<10} {'exchange':<9} {'bid':>14} {'ask':>14} {'sprd bps':>9} {'age ms':>7} {'upd/s':>6} "
        f"{'gaps':>4} {'csum':>4} {'resync':>6} state"
    ]
    for symbol in session.symbols:
        for ex in session.exchanges.values():
            book = ex.book(symbol)
            if book is None or not book.bids or not book.asks:
                continue
            health = ex.health(symbol)[0]
            age = f"{health.age_ms:7.0f}" if health.age_ms is not None else "      -"
            lines.append(
                f"{symbol!s:<10} {ex.name:<9} {book.bids[0][0]:>14.6f} {book.asks[0][0]:>14.6f} "
                f"{book.spread_bps or 0:>9.2f} {age} {health.updates_per_second:>6.1f} {health.gaps:>4} "
                f"{health.checksum_failures:>4} {health.resyncs:>6} {health.state}"
            )
    return lines


def top_of_book_spread(books: list[OrderBook]) -> tuple[OrderBook, OrderBook, float] | None:
    """(buy book, sell book, edge bps before fees) for the best ask vs the best bid on another venue."""
    books = [b for b in books if b.bids and b.asks]
    best: tuple[OrderBook, OrderBook, float] | None = None
    for buy in books:
        for sell in books:
            if buy.exchange == sell.exchange:
                continue
            ask, bid = buy.asks[0][0], sell.bids[0][0]
            edge = (bid - ask) / ((bid + ask) / 2) * 1e4
            if best is None or edge > best[2]:
                best = (buy, sell, edge)
    return best


def _spread_lines(session: Session) -> list[str]:
    lines = ["cross-exchange top of book, before fees (buy at the lowest ask, sell at the highest bid elsewhere):"]
    for symbol in session.symbols:
        found = top_of_book_spread([b for b in (ex.book(symbol) for ex in session.exchanges.values()) if b])
        if found is None:
            lines.append(f"  {symbol!s:<10} needs live books on two exchanges")
            continue
        buy, sell, edge = found
        lines.append(
            f"  {symbol!s:<10} buy {buy.exchange:<8} {buy.asks[0][0]:<14.6f} "
            f"sell {sell.exchange:<8} {sell.bids[0][0]:<14.6f} {edge:+8.2f} bps"
        )
    return lines


def _opportunity_lines(session: Session, now_ms: int) -> list[str]:
    scanner = session.scanner
    lines = [
        f"opportunities after taker fees and depth (open: {len(scanner.open)}, "
        f"closed so far: {len(scanner.tracker.closed)}):"
    ]
    lines.append(f"  {'pair':<10} {'buy':<8} {'sell':<8} {'size':>12} {'edge bps':>9} {'profit':>10} {'age s':>6}")
    lifecycles = {lc.key: lc for lc in scanner.tracker.open_lifecycles(now_ms)}
    for key, opp in sorted(scanner.open.items(), key=lambda kv: -kv[1].profit_quote)[:10]:
        lc = lifecycles.get(key)
        age = (now_ms - lc.opened_ms) / 1000 if lc else 0.0
        lines.append(
            f"  {opp.pair_id:<10} {opp.buy_exchange:<8} {opp.sell_exchange:<8} {opp.quantity:>12.6g} "
            f"{opp.edge_bps:>9.2f} {opp.profit_quote:>10.4f} {age:>6.1f}"
        )
    if not scanner.open:
        lines.append("  (none right now)")
    return lines


def _status_lines(session: Session) -> list[str]:
    rows = session.status()
    out = [r for r in rows if r.state != "scanning"]
    lines = [f"venues: {sum(r.state == 'scanning' for r in rows)} scanning"]
    lines += [f"  {r.exchange}: {r.state}{' - ' + r.reason if r.reason else ''}" for r in out]
    lines += [
        f"  {name}: out - {why}" for name, why in session.scanner.out.items() if name not in session.config.exchanges
    ]
    return lines


def render(session: Session, header: str) -> str:
    now_ms = int(time.time() * 1000)
    parts = [
        [header],
        _books_table(session),
        _spread_lines(session),
        _opportunity_lines(session, now_ms),
        _status_lines(session),
    ]
    return "\n\n".join("\n".join(p) for p in parts)


async def run_scan(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    symbols = args.symbols or None  # parsed and checked by argparse
    session = await connect(config, venue=not args.live, symbols=symbols, seed=args.seed)
    try:
        if not session.exchanges:
            reasons = "; ".join(f"{s.exchange}: {s.reason}" for s in session.status())
            raise ArbkitError(f"no exchange could be started ({reasons})")
        where = f"local venue {session.venue.origin}" if session.venue is not None else "live exchanges"
        await _display(session, where, args.duration, args.refresh)
    finally:
        await session.stop()
    return 0


async def _display(session: Session, where: str, duration: float | None, refresh: float) -> None:
    tty = sys.stdout.isatty()
    started = time.monotonic()
    while True:
        elapsed = time.monotonic() - started
        if duration is not None and elapsed >= duration:
            break
        await asyncio.sleep(refresh if duration is None else max(0.0, min(refresh, duration - elapsed)))
        elapsed = time.monotonic() - started
        text = render(session, f"arbkit scan | {where} | {elapsed:5.1f}s | Ctrl-C to stop")
        print(("\x1b[2J\x1b[H" if tty else "") + text + ("" if tty else "\n"), flush=True)
