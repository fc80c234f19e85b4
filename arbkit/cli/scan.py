"""``arbkit scan``: live best bid/ask per exchange and the cross-exchange top-of-book spread, in the terminal."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from collections.abc import Sequence

from arbkit.config import ArbkitConfig, load_config
from arbkit.errors import ArbkitError, ConfigurationError
from arbkit.exchanges.composite_public import CompositePublicSpotExchange
from arbkit.exchanges.factory import get_composite_implementation
from arbkit.structs import Symbol

DEFAULT_SYMBOLS = ("BTC/USDT", "ETH/USDT")


def scan_symbols(args: argparse.Namespace, config: ArbkitConfig) -> list[Symbol]:
    raw: Sequence[str] | str | None = args.symbols or (config.sections.get("scan") or {}).get("symbols")
    if isinstance(raw, str):
        raw = [s for s in raw.split(",") if s.strip()]
    where = "--symbols" if args.symbols else "scan.symbols"
    try:
        return [Symbol.parse(s) for s in (raw or DEFAULT_SYMBOLS)]
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(f"{where}: {exc}") from None


async def start_exchanges(config: ArbkitConfig, symbols: list[Symbol]) -> list[CompositePublicSpotExchange]:
    """Initialise every configured exchange concurrently; one that fails is reported and left out."""

    async def start(name: str) -> CompositePublicSpotExchange | None:
        composite = get_composite_implementation(config.exchanges[name])
        try:
            await composite.init(symbols, strict=False)
        except ArbkitError as exc:
            print(f"notice: {name}: left out: {exc}", file=sys.stderr)
            return None
        for symbol in composite.unlisted:
            print(f"notice: {name}: {symbol} is not listed; skipped", file=sys.stderr)
        return composite

    started = await asyncio.gather(*(start(name) for name in config.exchanges))
    return [c for c in started if c is not None]


def render(exchanges: list[CompositePublicSpotExchange], symbols: list[Symbol], header: str) -> str:
    lines = [
        header,
        f"{'symbol':<10} {'exchange':<9} {'bid':>14} {'ask':>14} {'sprd bps':>9} {'age ms':>7} state",
    ]
    for symbol in symbols:
        for ex in exchanges:
            book = ex.book(symbol)
            if book is None:
                continue
            health = ex.health(symbol)[0]
            age = f"{health.age_ms:7.0f}" if health.age_ms is not None else "      -"
            lines.append(
                f"{symbol!s:<10} {ex.name:<9} {book.best_bid or 0:>14.6f} {book.best_ask or 0:>14.6f} "
                f"{book.spread_bps or 0:>9.2f} {age} {health.state}"
            )
    lines.append("")
    lines.append(
        "cross-exchange top of book (before fees): sell where the bid is highest, buy where the ask is lowest"
    )
    for symbol in symbols:
        books = [b for b in (ex.book(symbol) for ex in exchanges) if b and b.bids and b.asks]
        if len(books) < 2:
            lines.append(f"{symbol!s:<10} needs two live books")
            continue
        best_bid = max(books, key=lambda b: b.bids[0][0])
        best_ask = min((b for b in books if b.exchange != best_bid.exchange), key=lambda b: b.asks[0][0])
        mid = (best_bid.bids[0][0] + best_ask.asks[0][0]) / 2
        edge = (best_bid.bids[0][0] - best_ask.asks[0][0]) / mid * 1e4
        lines.append(
            f"{symbol!s:<10} buy {best_ask.exchange:<8} @ {best_ask.asks[0][0]:<12.6f} "
            f"sell {best_bid.exchange:<8} @ {best_bid.bids[0][0]:<12.6f} spread {edge:+8.2f} bps"
        )
    return "\n".join(lines)


async def run_scan(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    symbols = scan_symbols(args, config)
    async with contextlib.AsyncExitStack() as stack:
        where = "live exchanges"
        if not args.live:
            from arbkit.venue import LocalVenue
            from arbkit.venue.attach import attach_to_venue, venue_speaks

            served = [name for name in config.exchanges if venue_speaks(name)]
            venue = await stack.enter_async_context(LocalVenue(exchanges=served, seed=args.seed))
            config, skipped = attach_to_venue(config, venue)
            for name in skipped:
                print(
                    f"notice: {name}: the local venue does not speak this exchange yet; skipped",
                    file=sys.stderr,
                )
            where = f"local venue {venue.origin}"
        exchanges = await start_exchanges(config, symbols)
        for ex in exchanges:
            stack.push_async_callback(ex.close)
        if not exchanges:
            raise ArbkitError("no exchange could be started")
        await _display(exchanges, symbols, where, args.duration, args.refresh)
    return 0


async def _display(
    exchanges: list[CompositePublicSpotExchange],
    symbols: list[Symbol],
    where: str,
    duration: float | None,
    refresh: float,
) -> None:
    tty = sys.stdout.isatty()
    started = time.monotonic()
    while duration is None or time.monotonic() - started < duration:
        await asyncio.sleep(
            refresh if duration is None else min(refresh, max(0.0, duration - (time.monotonic() - started)))
        )
        text = render(
            exchanges, symbols, f"arbkit scan | {where} | {time.monotonic() - started:5.1f}s | Ctrl-C to stop"
        )
        print(("\x1b[2J\x1b[H" if tty else "") + text + ("" if tty else "\n"), flush=True)
