"""The ``arbkit run`` screen (rich): trading state, open executions and their legs, realised P&L, exposure per
asset and venue, recent executions with their outcome, the venues' status."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

__all__ = ["render"]

STATE_STYLE = {"active": "green", "reducing": "yellow", "halted": "bold red"}
OUTCOME_STYLE = {"hedged": "green", "flat": "dim", "stuck": "bold red"}


def render(session: Any, elapsed: float, args: argparse.Namespace) -> Group:
    trader = session.trader
    s = trader.summary()
    where = "live exchanges" if args.live else f"local venue {getattr(session.venue, 'origin', '')}"
    mode = "DRY RUN (paper fills, no real orders)" if args.dry_run else "real orders"
    header = Text.assemble(
        ("arbkit run ", "bold"),
        (f"{s.state.upper()}", STATE_STYLE.get(s.state, "")),
        f" | {where} | {mode} | {elapsed:5.1f}s | P&L {s.pnl_quote:+.6g} | Ctrl-C halts",
    )
    parts: list[Any] = [header]
    if s.halt_reason:  # why HALTED, or which triggers hold while REDUCING
        parts.append(Text(f"{s.state}: {s.halt_reason}", style="red" if s.state == "halted" else "yellow"))
    parts += [_open_table(trader), _recent_table(trader), _exposure_table(trader), _venues_table(session)]
    if s.refusals:
        parts.append(Text("refused: " + ", ".join(f"{k} {v}" for k, v in sorted(s.refusals.items())), style="dim"))
    return Group(*parts)


def _open_table(trader: Any) -> Table:
    table = Table(title="open executions", title_justify="left", expand=False)
    for col in ("id", "route", "state", "leg", "side", "qty", "filled", "status"):
        table.add_column(col)
    for row in trader.journal.executions(open_only=True):
        for order in trader.journal.orders(row.id):
            route = f"{row.buy_exchange}->{row.sell_exchange}"
            table.add_row(row.id, route, row.state, order.role, order.side, f"{order.quantity:.8g}",
                          f"{order.filled:.8g}", order.status)  # fmt: skip
    return table


def _recent_table(trader: Any, limit: int = 8) -> Table:
    table = Table(title="recent executions", title_justify="left")
    for col in ("id", "pair", "route", "qty", "outcome", "P&L", "reason"):
        table.add_column(col)
    for row in trader.journal.executions()[-limit:][::-1]:
        style = OUTCOME_STYLE.get(row.state, "")
        pnl = "" if row.pnl_quote is None else f"{row.pnl_quote:+.6g}"
        table.add_row(row.id, row.pair_id, f"{row.buy_exchange}->{row.sell_exchange}", f"{row.planned_quantity:.8g}",
                      Text(row.state, style=style), pnl, row.reason[:60])  # fmt: skip
    return table


def _exposure_table(trader: Any) -> Table:
    assets = sorted({a for s in trader.session.symbols for a in (str(s.base), str(s.quote))})
    table = Table(title="holdings per venue (net exposure of open/STUCK executions last)", title_justify="left")
    table.add_column("venue")
    for asset in assets:
        table.add_column(asset, justify="right")
    for name, backend in trader.executor.backends.items():
        balances = backend.balances()
        table.add_row(name, *(f"{balances[a].total:.8g}" if a in balances else "-" for a in assets))
    exposure = trader.executor.exposure
    table.add_row("net exposure", *(f"{exposure.get(a, 0.0):+.8g}" for a in assets))
    return table


def _venues_table(session: Any) -> Table:
    table = Table(title="venues", title_justify="left")
    for col in ("exchange", "state", "private stream", "reason"):
        table.add_column(col)
    backends = session.trader.executor.backends
    for status in session.status():
        backend = backends.get(status.exchange)
        stream = "-" if backend is None else ("up" if backend.stream_up else "DOWN")
        table.add_row(status.exchange, status.state, stream, status.reason[:60])
    return table
