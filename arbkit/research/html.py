"""Compact HTML tables for notebooks: an order book ladder, book health, opportunities.

Pure Python (no polars, no plotly) because ``OrderBook._repr_html_`` calls it on every display.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import msgspec

from arbkit.arbitrage.gating import GateThresholds, gate
from arbkit.structs import BookHealth, OrderBook

__all__ = ["book_health_html", "opportunities_html", "opportunity_html", "order_book_html", "session_html"]

_TABLE = 'style="border-collapse:collapse;font-family:monospace;font-size:12px"'
_CELL = "padding:1px 8px;text-align:right"
_BID, _ASK = "#1a7f37", "#cf222e"
_STATE_COLORS = {"live": _BID, "resyncing": "#9a6700", "connecting": "#9a6700", "stale": _ASK}


def _num(value: float | None, digits: int = 10) -> str:
    """Short exact-looking number: ``100.5``, ``0.00012``, ``—`` for missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.{digits}g}"


def _time(ms: float | None) -> str:
    if ms is None:
        return "—"
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " UTC"


def _td(text: object, style: str = "") -> str:
    return f'<td style="{_CELL};{style}">{html.escape(str(text))}</td>'


def _th(text: str) -> str:
    return f'<th style="{_CELL}">{html.escape(text)}</th>'


def _table(caption: str, headers: list[str], rows: list[str]) -> str:
    head = "".join(_th(h) for h in headers)
    body = "".join(f"<tr>{r}</tr>" for r in rows)
    return (
        f'<table class="arbkit" {_TABLE}><caption style="text-align:left;font-weight:bold">'
        f"{caption}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def order_book_html(book: OrderBook, levels: int = 10) -> str:
    """The top ``levels`` as a bid | ask ladder under a summary line (best bid/ask, mid, spread in bps)."""
    caption = (
        f"{html.escape(book.exchange)} {html.escape(str(book.symbol))} · bid {_num(book.best_bid)} · "
        f"ask {_num(book.best_ask)} · mid {_num(book.mid)} · spread {_num(book.spread_bps, 4)} bps · "
        f"{len(book.bids)}x{len(book.asks)} levels · seq {book.sequence if book.sequence is not None else '—'}"
        f" · {_time(book.timestamp)}"
    )
    if book.is_crossed:
        caption += f' · <span style="color:{_ASK}">CROSSED</span>'
    rows = []
    for i in range(min(levels, max(len(book.bids), len(book.asks)))):
        bid = book.bids[i] if i < len(book.bids) else (None, None)
        ask = book.asks[i] if i < len(book.asks) else (None, None)
        rows.append(
            _td(_num(bid[1]))
            + _td(_num(bid[0]), f"color:{_BID}")
            + _td(_num(ask[0]), f"color:{_ASK}")
            + _td(_num(ask[1]))
        )
    return _table(caption, ["bid size", "bid", "ask", "ask size"], rows)


def book_health_html(health: BookHealth | Iterable[BookHealth], thresholds: GateThresholds | None = None) -> str:
    """One row per book: state, sequence, age, update rate, the gap/resync/checksum/reconnect counters and whether
    the scanner's gate (``thresholds``, default: a live book at most 2000 ms old) lets it feed signals."""
    items = [health] if isinstance(health, BookHealth) else list(health)
    thresholds = thresholds or GateThresholds()
    decisions = [gate(h, thresholds) for h in items]
    headers = ["exchange", "symbol", "state", "seq", "age ms", "upd/s", "updates", "gaps", "resyncs"]
    headers += ["checksum fails", "reconnects", "crossed", "gate", "last error"]
    rows = []
    for h, decision in zip(items, decisions, strict=True):
        color = _STATE_COLORS.get(h.state.value, _ASK)
        if h.crossed:
            color = _ASK
        rows.append(
            _td(h.exchange, "text-align:left")
            + _td(h.symbol, "text-align:left")
            + _td(h.state.value, f"color:{color};font-weight:bold")
            + "".join(
                _td(v)
                for v in (
                    "—" if h.sequence is None else h.sequence,
                    _num(h.age_ms, 6),
                    _num(h.updates_per_second, 4),
                    h.updates,
                    h.gaps,
                    h.resyncs,
                    h.checksum_failures,
                    h.reconnects,
                    "yes" if h.crossed else "no",
                )
            )
            + _td(
                "ok" if decision.usable else decision.reason.split(": ", 1)[-1],
                f"text-align:left;color:{_BID if decision.usable else _ASK}",
            )
            + _td(h.last_error or "", "text-align:left")
        )
    healthy = sum(1 for d in decisions if d.usable)
    rule = f"live, not crossed, at most {thresholds.max_age_ms:g} ms old"
    caption = f"Book health · {healthy}/{len(items)} healthy ({rule})"
    return _table(caption, headers, rows)


def _fields(item: Any) -> Mapping[str, Any]:
    if isinstance(item, Mapping):
        return item
    data = msgspec.structs.asdict(item)
    return {
        k: (str(v) if isinstance(v, msgspec.Struct) else v.value if isinstance(v, Enum) else v) for k, v in data.items()
    }


def opportunities_html(opportunities: Any | Iterable[Any], limit: int = 20) -> str:
    """Opportunities (msgspec Structs or dicts with the ``Opportunity`` fields), best profit first."""
    if isinstance(opportunities, msgspec.Struct | Mapping):
        opportunities = [opportunities]
    items = sorted((_fields(o) for o in opportunities), key=lambda o: -(o.get("profit_quote") or 0.0))
    headers = ["time", "symbol", "buy", "buy vwap", "sell", "sell vwap", "qty", "notional", "profit"]
    headers += ["edge bps", "top edge bps", "levels"]
    rows = [
        _td(_time(o.get("timestamp_ms")))
        + _td(o.get("symbol", ""), "text-align:left")
        + _td(o.get("buy_exchange", ""), "text-align:left")
        + _td(_num(o.get("buy_vwap")), f"color:{_ASK}")
        + _td(o.get("sell_exchange", ""), "text-align:left")
        + _td(_num(o.get("sell_vwap")), f"color:{_BID}")
        + _td(_num(o.get("quantity")))
        + _td(_num(o.get("notional"), 8))
        + _td(_num(o.get("profit_quote"), 6), "font-weight:bold")
        + _td(_num(o.get("edge_bps"), 4))
        + _td(_num(o.get("top_edge_bps"), 4))
        + _td(f"{o.get('buy_levels', '—')}/{o.get('sell_levels', '—')}")
        for o in items[:limit]
    ]
    more = f" (top {limit} of {len(items)})" if len(items) > limit else ""
    total = sum(o.get("profit_quote") or 0.0 for o in items)
    return _table(f"Opportunities · {len(items)}{more} · total profit {_num(total, 8)}", headers, rows)


def opportunity_html(opp: Any) -> str:
    """One opportunity as a single line: route, size, both VWAPs, profit and edge, what limited the size."""
    o = _fields(opp)
    limited = o.get("limited_by")
    text = (
        f"<b>{html.escape(str(o.get('symbol', '')))}</b> buy {html.escape(str(o.get('buy_exchange', '')))} "
        f'@ <span style="color:{_ASK}">{_num(o.get("buy_vwap"))}</span> → '
        f"sell {html.escape(str(o.get('sell_exchange', '')))} "
        f'@ <span style="color:{_BID}">{_num(o.get("sell_vwap"))}</span> · qty {_num(o.get("quantity"))} · '
        f"notional {_num(o.get('notional'), 8)} · profit <b>{_num(o.get('profit_quote'), 6)}</b> · "
        f"edge {_num(o.get('edge_bps'), 4)} bps (top {_num(o.get('top_edge_bps'), 4)}) · "
        f"levels {o.get('buy_levels', '—')}/{o.get('sell_levels', '—')}"
    )
    if limited:
        text += f" · limited by {html.escape(str(limited))}"
    return f'<div class="arbkit" style="font-family:monospace;font-size:12px">{text}</div>'


def session_html(session: Any) -> str:
    """A session at a glance: where it runs, each exchange's state, and the open opportunities (best first)."""
    where = f" on {html.escape(session.venue.origin)}" if getattr(session, "venue", None) is not None else ""
    state = "stopped" if getattr(session, "_stopped", False) else "running"
    rows = []
    for status in session.status():
        color = {"scanning": _BID, "starting": "#9a6700"}.get(status.state, _ASK)
        rows.append(
            _td(status.exchange, "text-align:left")
            + _td(status.state, f"color:{color};font-weight:bold")
            + _td(", ".join(status.symbols) or "—", "text-align:left")
            + _td(status.reason, "text-align:left")
        )
    scanner = session.scanner
    caption = (
        f"Session {html.escape(repr(session.name))}{where} · {state} · {len(scanner.pairs())} venue pairs · "
        f"{scanner.evaluations} evaluations · {len(scanner.open)} open opportunities"
    )
    out = _table(caption, ["exchange", "state", "symbols", "reason"], rows)
    if scanner.open:
        out += opportunities_html(list(scanner.open.values()), limit=5)
    return out
