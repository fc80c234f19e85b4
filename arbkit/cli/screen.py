"""What ``arbkit scan`` draws: rich tables of books, cross-exchange spreads, open and recently closed opportunities,
and which venues and pair settings apply. Prices at each market's tick precision, sizes and profits with units.
Pure functions of a Session and a Tally, so a test can render them into a plain, 100-column console."""

from __future__ import annotations

import math
import time

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from arbkit.cli.tally import Tally
from arbkit.runtime.default_pairs import DEFAULT_SETTINGS, default_pair_symbols
from arbkit.runtime.session import Session
from arbkit.structs import OrderBook, Symbol

WIDTH = 100
_STATE_STYLE = {"live": "green", "connecting": "yellow", "resyncing": "yellow", "disconnected": "red", "stale": "red"}


def decimals(increment: float | None) -> int:
    """Decimal places that show a price or size at its market's increment (0.01 -> 2, 0.5 -> 1, 10 -> 0)."""
    if not increment or not math.isfinite(increment) or increment <= 0:
        return 8
    places = 0
    while places < 12 and abs(round(increment, places) - increment) > increment * 1e-9:
        places += 1
    return places


def amount(value: float, places: int, unit: str) -> str:
    """``1,234.50 USDT``: a number at its precision, with its unit."""
    return f"{value:,.{places}f} {unit}"


def money(value: float, unit: str) -> str:
    """A profit: cents for whole amounts, more places for small ones."""
    return f"{value:,.{2 if abs(value) >= 1 else 4}f} {unit}"


def _table(title: str, *columns: tuple[str, str]) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold", box=box.SIMPLE_HEAD)
    table.pad_edge, table.collapse_padding = False, True
    table.min_width = min(len(title), WIDTH)  # a title never wraps over a narrow table
    for name, justify in columns:
        table.add_column(name, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    return table


def _tick(session: Session, exchange: str, symbol: Symbol) -> int:
    composite = session.exchanges.get(exchange)
    info = composite.symbols_info.get(symbol) if composite is not None else None
    return decimals(info.tick_size if info else None)


def _step(session: Session, exchange: str, symbol: Symbol) -> int:
    composite = session.exchanges.get(exchange)
    info = composite.symbols_info.get(symbol) if composite is not None else None
    return decimals(info.step_size if info else None)


def books_table(session: Session) -> Table:
    gated = {(r.exchange, r.symbol): r for r in session.scanner.health_rows() if not r.usable}
    table = _table(
        "Books",
        ("symbol", "left"),
        ("exchange", "left"),
        ("bid", "right"),
        ("ask", "right"),
        ("bps", "right"),
        ("age ms", "right"),
        ("upd/s", "right"),
        ("gaps", "right"),
        ("csum", "right"),
        ("resyncs", "right"),
        ("state", "left"),
    )
    table.caption = "bps: the book's own bid-ask spread; gaps, csum (checksum failures), resyncs: since start"
    table.caption_justify = "left"
    for symbol in session.symbols:
        for ex in sorted(session.exchanges.values(), key=lambda e: e.name):
            book = ex.book(symbol)
            if book is None or not book.bids or not book.asks:
                continue
            health = ex.health(symbol)[0]
            places = _tick(session, ex.name, symbol)
            state = str(health.state)
            style = _STATE_STYLE.get(state, "")
            if state == "live" and (ex.name, symbol) in gated:
                state, style = "gated", "red"
            table.add_row(
                str(symbol),
                ex.name,
                f"{book.bids[0][0]:,.{places}f}",
                f"{book.asks[0][0]:,.{places}f}",
                f"{book.spread_bps or 0:.2f}",
                "-" if health.age_ms is None else f"{health.age_ms:.0f}",
                f"{health.updates_per_second:.1f}",
                str(health.gaps),
                str(health.checksum_failures),
                str(health.resyncs),
                Text(state, style=style),
            )
    return table


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


def spread_table(session: Session) -> Table:
    table = _table(
        "Best route at top of book, before fees (lowest ask, highest bid elsewhere)",
        ("symbol", "left"),
        ("buy on", "left"),
        ("ask", "right"),
        ("sell on", "left"),
        ("bid", "right"),
        ("edge bps", "right"),
    )
    for symbol in session.symbols:
        found = top_of_book_spread([b for b in (ex.book(symbol) for ex in session.exchanges.values()) if b])
        if found is None:
            table.add_row(str(symbol), Text("needs live books on two exchanges", style="dim"), "", "", "", "")
            continue
        buy, sell, edge = found
        table.add_row(
            str(symbol),
            buy.exchange,
            f"{buy.asks[0][0]:,.{_tick(session, buy.exchange, symbol)}f}",
            sell.exchange,
            f"{sell.bids[0][0]:,.{_tick(session, sell.exchange, symbol)}f}",
            Text(f"{edge:+.2f}", style="green" if edge > 0 else ""),
        )
    return table


def open_table(session: Session, tally: Tally, now_ms: int) -> Table:
    scanner = session.scanner
    table = _table(
        f"Open opportunities, after both taker fees and through the books' depth ({len(scanner.open)} open)",
        ("symbol", "left"),
        ("buy on", "left"),
        ("sell on", "left"),
        ("size", "right"),
        ("buy vwap", "right"),
        ("sell vwap", "right"),
        ("edge bps", "right"),
        ("profit", "right"),
        ("age s", "right"),
    )
    opened = tally.opened_ms
    for key, opp in sorted(scanner.open.items(), key=lambda kv: -kv[1].profit_quote)[:8]:
        sym = opp.symbol
        age = (now_ms - opened[key]) / 1000 if key in opened else 0.0
        table.add_row(
            str(sym),
            opp.buy_exchange,
            opp.sell_exchange,
            amount(opp.quantity, _step(session, opp.buy_exchange, sym), sym.base),
            f"{opp.buy_vwap:,.{_tick(session, opp.buy_exchange, sym)}f}",
            f"{opp.sell_vwap:,.{_tick(session, opp.sell_exchange, sym)}f}",
            f"{opp.edge_bps:.2f}",
            Text(money(opp.profit_quote, sym.quote), style="green"),
            f"{age:.1f}",
        )
    if not scanner.open:
        table.add_row(Text("none right now", style="dim"), *[""] * 8)
    return table


def closed_table(tally: Tally, now_ms: int) -> Table:
    table = _table(
        f"Recently closed ({tally.closed} so far)",
        ("symbol", "left"),
        ("buy on", "left"),
        ("sell on", "left"),
        ("lasted s", "right"),
        ("peak edge", "right"),
        ("peak profit", "right"),
        ("ago s", "right"),
        ("closed because", "left"),
    )
    for event in reversed(tally.recent):
        lc, sym = event.lifecycle, event.opportunity.symbol
        why = (lc.close_reason or "").split(" (")[0]
        why = "no longer pays" if why == "gone" else why
        table.add_row(
            str(sym),
            lc.buy_exchange,
            lc.sell_exchange,
            f"{lc.duration_ms / 1000:.1f}",
            f"{lc.peak_edge_bps:.2f} bps",
            money(lc.peak_profit, sym.quote),
            f"{(now_ms - (lc.closed_ms or now_ms)) / 1000:.0f}",
            why[:28],
        )
    if not tally.recent:
        table.add_row(Text("none yet", style="dim"), *[""] * 7)
    return table


def venues_text(session: Session) -> Text:
    rows = session.status()
    text = Text()
    scanning = [r.exchange for r in rows if r.state == "scanning"]
    text.append(f"Venues: {len(scanning)} scanning", style="bold")
    text.append(f" ({', '.join(scanning)})" if scanning else "")
    for r in rows:
        if r.state != "scanning":
            text.append(f"\n  {r.exchange}: {r.state}", style="red" if r.state == "out" else "yellow")
            text.append(f" - {' '.join(r.reason.split())}" if r.reason else "")
    for name, why in session.scanner.out.items():
        if name not in session.config.exchanges:
            text.append(f"\n  {name}: out - {why}", style="red")
    for r in session.scanner.health_rows():
        if not r.usable and r.exchange in scanning:
            text.append(f"\n  {r.exchange} {r.symbol}: gated - {r.reason}", style="yellow")
    return text


def pairs_text(session: Session) -> Text:
    """Which settings each watched symbol is scanned with."""
    defaults = set(default_pair_symbols(session.config, session.symbols))
    text = Text("Pairs", style="bold")
    text.append(" (min profit: what is left after both taker fees)")
    for pair in session.arbitrage.enabled_pairs():
        sym = pair.symbol
        if sym not in session.symbols:
            continue
        if sym in defaults:
            text.append(f"\n  {sym}: default pair (none in the config): {DEFAULT_SETTINGS}", style="yellow")
            continue
        cap = "no size cap" if pair.max_notional is None else f"size cap {pair.max_notional:,g} {sym.quote}"
        everywhere = set(pair.exchanges) == set(session.arbitrage.enabled_exchanges)
        venues = "every enabled exchange" if everywhere else ", ".join(pair.exchanges)
        text.append(f"\n  {sym}: config pair {pair.id}: min profit {pair.min_profit_bps:g} bps, {cap}, {venues}")
    return text


def render(session: Session, tally: Tally, header: str) -> RenderableType:
    now_ms = int(time.time() * 1000)
    return Group(
        Text(header, style="bold cyan"),
        books_table(session),
        Text(""),
        spread_table(session),
        open_table(session, tally, now_ms),
        closed_table(tally, now_ms),
        venues_text(session),
        pairs_text(session),
    )
