"""Paper back-ends for a running session: what ``dry_run=True`` and ``arbkit run --dry-run`` trade on.

One ``PaperBackend`` per exchange of the session, on the wall clock, filling against the session's own live books
(its public composites) with their SymbolInfo. Starting balances come from the ``paper:`` section, or, on the real
exchanges (no local venue) for an exchange with credentials, from its real account, read once at start.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from arbkit.paper.backend import PaperBackend
from arbkit.paper.clock import Clock, WallClock
from arbkit.paper.config import PaperConfig, paper_config
from arbkit.paper.depth import DepthLedger
from arbkit.structs import OrderBook, Symbol

__all__ = ["paper_backends", "session_book_view"]

log = logging.getLogger(__name__)


def session_book_view(session: Any) -> Any:
    """A ``BookView`` over the session's public composites: the book as the session sees it right now."""

    def view(exchange: str, symbol: Symbol) -> OrderBook | None:
        composite = session.exchanges.get(exchange)
        return None if composite is None else composite.book(symbol)

    return view


async def real_balances(session: Any, name: str) -> dict[str, float] | None:
    """The free balances of ``name``'s real account (one request), or None without credentials."""
    from arbkit.exchanges import factory

    exchange_cfg = session.config.get_exchange_config(name)
    if not exchange_cfg.has_credentials:
        return None
    private = factory.get_composite_implementation(exchange_cfg, is_private=True)
    try:
        await private.init()
        found = await private.refresh_balances()
    finally:
        with contextlib.suppress(Exception):
            await private.close()
    return {str(asset): balance.free for asset, balance in found.items()}


async def paper_backends(
    session: Any, config: PaperConfig | None = None, clock: Clock | None = None, live_balances: bool | None = None
) -> dict[str, PaperBackend]:
    """A ``PaperBackend`` per exchange of ``session``; ``live_balances`` (default: the session has no local venue)
    starts each exchange with credentials from its real account."""
    cfg = config or paper_config(session.config)
    on_clock = clock or WallClock()
    view = session_book_view(session)
    ledger = DepthLedger()
    use_real = session.venue is None if live_balances is None else live_balances
    out: dict[str, PaperBackend] = {}
    for name, composite in session.exchanges.items():
        balances = await real_balances(session, name) if use_real else None
        if balances is None:
            balances = cfg.starting_balances(name)
        else:
            log.info("%s: paper balances start from the real account", name)
        out[name] = PaperBackend(name, view, composite.symbols_info, on_clock, cfg.sampler(name), balances, ledger)
    return out
