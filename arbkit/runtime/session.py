"""A running session: public composites for every configured exchange, a Scanner over them, optionally the local
venue. Notebook-safe: ``session = await arbkit.connect()`` in one cell, ``await session.stop()`` in another; running
``connect`` again with the same name stops the previous session first, so re-running a cell leaks nothing.

Exchanges that fail to start, or whose books all go down, are retried in the background with backoff and rejoin the
scan by themselves; ``status()`` says which are out and why.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
from typing import Any, Self

import msgspec

from arbkit.arbitrage.config import ArbitrageConfig, parse_arbitrage_config, validate_pair_listing
from arbkit.arbitrage.scanner import Scanner
from arbkit.config import ArbkitConfig, ExchangeConfig, load_config, venue_settings
from arbkit.errors import ArbkitError, ConfigurationError, UnknownSymbolError
from arbkit.exchanges.ccxt_client import check_exchange_urls
from arbkit.exchanges.composite_public import CompositePublicSpotExchange
from arbkit.exchanges.factory import get_composite_implementation
from arbkit.runtime.default_pairs import default_pair_symbols
from arbkit.runtime.gc_pauses import freeze_long_lived, thaw
from arbkit.runtime.loop_watchdog import LoopWatchdog
from arbkit.structs import BookHealth, BookState, Symbol

log = logging.getLogger(__name__)
_SESSIONS: dict[str, Session] = {}
_RETRY_MAX = 30.0


class VenueStatus(msgspec.Struct, frozen=True):
    """One exchange's place in the session: scanning, or out with the reason."""

    exchange: str
    state: str  # "scanning", "starting", "out"
    symbols: list[str]
    reason: str = ""


class SessionHealth(msgspec.Struct, frozen=True):
    """The session's runtime health: the longest event-loop block seen (ms), how many passed 1 s, every book."""

    longest_loop_block_ms: float
    loop_block_warnings: int
    books: list[BookHealth]


class Session:
    """Exchanges + scanner (+ local venue). Build it with :func:`connect`."""

    def __init__(self, config: ArbkitConfig, arbitrage: ArbitrageConfig, symbols: list[Symbol], name: str) -> None:
        self.config = config
        self.arbitrage = arbitrage
        self.configured_arbitrage = arbitrage
        self.symbols = symbols
        self.name = name
        self.venue: Any = None
        self.exchanges: dict[str, CompositePublicSpotExchange] = {}
        self.scanner = Scanner(arbitrage)
        self._starting: dict[str, asyncio.Task[None]] = {}
        self._out: dict[str, str] = {}
        self._stopped = False
        self.trader: Any = None  # arbkit.execution.trader.Trader when connect(trading=True)
        self.watchdog = LoopWatchdog()

    # ------------------------------------------------------------------ exchanges joining and leaving
    async def add_exchange(self, name: str, config: ExchangeConfig | None = None, wait: bool = True) -> None:
        """Start an exchange (zero downtime for the others); retried in the background until it is up."""
        cfg = config or self.config.get_exchange_config(name)
        if name in self.exchanges or name in self._starting:
            return
        self.config = self.config.with_exchanges({**self.config.exchanges, name: cfg})
        task = asyncio.get_running_loop().create_task(self._keep_trying(name, cfg), name=f"arbkit-start-{name}")
        self._starting[name] = task
        if wait:
            await asyncio.wait({task}, timeout=cfg.request_timeout + 15.0)

    async def remove_exchange(self, name: str) -> None:
        """Stop one exchange; the others keep streaming and scanning."""
        task = self._starting.pop(name, None)
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        composite = self.exchanges.pop(name, None)
        self.scanner.detach(name, "removed")
        self.scanner.out.pop(name, None)
        self._out.pop(name, None)
        if composite is not None:
            await composite.close()

    async def _keep_trying(self, name: str, cfg: ExchangeConfig) -> None:
        """Start one exchange, retrying with backoff; every failure marks it out with its reason. A configuration
        error or an exchange listing none of the symbols is final (retrying cannot help)."""
        delay = 0.5
        try:
            while not self._stopped:
                try:
                    composite = get_composite_implementation(cfg)
                    await composite.init(self.symbols, strict=False)
                except asyncio.CancelledError:
                    raise
                except (UnknownSymbolError, ConfigurationError) as exc:
                    self._out[name] = str(exc)
                    self.scanner.mark_out(name, str(exc))
                    log.info("%s is out: %s", name, exc)  # final; status() and the CLI say it once
                    return
                except Exception as exc:  # any failure to start is reported and retried
                    reason = str(exc) if isinstance(exc, ArbkitError) else f"{type(exc).__name__}: {exc}"
                    self._out[name] = reason
                    self.scanner.mark_out(name, reason)
                    log.warning("%s is out (%s); retrying in %.1fs", name, reason, delay)
                    await asyncio.sleep(delay * random.uniform(0.5, 1.0))
                    delay = min(delay * 2, _RETRY_MAX)
                    continue
                self.exchanges[name] = composite
                self._out.pop(name, None)
                self.scanner.attach(composite)
                return
        finally:
            self._starting.pop(name, None)

    def check_listings(self) -> None:
        """Once every exchange has started or been ruled out: each enabled pair must be listed by two of them."""
        if self._starting:
            return
        listings = {name: set(c.symbols_info) for name, c in self.exchanges.items()}

        defaults = set(default_pair_symbols(self.config, self.symbols))  # not the user's: nothing to report
        for pair in self.arbitrage.enabled_pairs():
            if pair.symbol in self.symbols and pair.symbol not in defaults:  # an unwatched pair is not scanned
                validate_pair_listing(pair, listings)

    # ------------------------------------------------------------------ observing
    def status(self) -> list[VenueStatus]:
        rows = []
        for name in self.config.exchanges:
            composite = self.exchanges.get(name)
            if composite is not None:
                down = [h for h in composite.health() if h.state is not BookState.LIVE]
                live = [str(s) for s in composite.active_symbols]
                if down and len(down) == len(live):
                    rows.append(VenueStatus(name, "out", live, down[0].last_error or str(down[0].state)))
                else:
                    rows.append(VenueStatus(name, "scanning", live))
            elif name in self._out:
                rows.append(VenueStatus(name, "out", [], self._out[name]))
            elif name in self._starting:
                rows.append(VenueStatus(name, "starting", []))
        return rows

    async def halt(self, reason: str = "halt() called") -> Any:
        """The trader's kill switch (``connect(trading=True)``): no new executions, every open order cancelled."""
        if self.trader is None:
            raise ArbkitError("halt(): this session is not trading (connect with trading=True)")
        return await self.trader.halt(reason)

    def health(self) -> SessionHealth:
        """Loop responsiveness (the watchdog's longest block) and the health of every live book."""
        books = [h for c in self.exchanges.values() for h in c.health()]
        return SessionHealth(self.watchdog.longest_block_ms, self.watchdog.warnings, books)

    # ------------------------------------------------------------------ lifecycle
    async def stop(self) -> None:
        """Stop everything this session started; safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        if self.trader is not None:
            await self.trader.stop()
        await self.watchdog.stop()
        for task in list(self._starting.values()):
            task.cancel()
        await asyncio.gather(*self._starting.values(), return_exceptions=True)
        self.scanner.close()
        await asyncio.gather(*(c.close() for c in self.exchanges.values()), return_exceptions=True)
        self.exchanges.clear()
        if self.venue is not None and getattr(self, "_owns_venue", False):
            await self.venue.close()
        if _SESSIONS.get(self.name) is self:
            del _SESSIONS[self.name]
        if not _SESSIONS:
            thaw()  # no session left to keep pauses short for: the collector may free what was frozen

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def __repr__(self) -> str:
        states = ", ".join(f"{s.exchange}:{s.state}" for s in self.status())
        where = f" on {self.venue.origin}" if self.venue is not None else ""
        return f"Session({self.name!r}{where}, [{states}], open opportunities={len(self.scanner.open)})"

    def _repr_html_(self) -> str:
        from arbkit.research.html import session_html

        return session_html(self)


def default_arbitrage(config: ArbkitConfig, symbols: list[Symbol], dropped: list[str] = ()) -> ArbitrageConfig:
    """The config's ``arbitrage:`` section (less ``dropped`` exchanges) plus a default pair (0 bps) for every watched
    symbol it has no pair for."""
    raw = config.sections.get("arbitrage")
    if raw is not None and dropped:
        raw = _without_exchanges(raw, {d.lower() for d in dropped})
    if raw is not None:
        from arbkit.runtime.default_pairs import with_default_pairs

        raw = with_default_pairs(raw, symbols)
    if raw is None and len(config.exchanges) < 2:
        return ArbitrageConfig(enabled_exchanges=tuple(config.exchanges))  # nothing to compare yet
    if raw is None:
        raw = {
            "arbitrage_pairs": [
                {"id": f"{s.base}_{s.quote}".lower(), "base_asset": s.base, "quote_asset": s.quote, "min_profit_bps": 0}
                for s in symbols
            ]
        }
    return parse_arbitrage_config(raw, config)


def _without_exchanges(raw: Any, dropped: set[str]) -> Any:
    """The raw ``arbitrage:`` mapping with ``dropped`` exchanges removed from its exchange lists."""
    if not isinstance(raw, dict):
        return raw

    def keep(names: Any) -> Any:
        return [n for n in names if str(n).lower() not in dropped] if isinstance(names, list) else names

    out = dict(raw)
    if "enabled_exchanges" in out:
        out["enabled_exchanges"] = keep(out["enabled_exchanges"])
    if isinstance(out.get("arbitrage_pairs"), list):
        out["arbitrage_pairs"] = [
            {**p, "exchanges": keep(p["exchanges"])} if isinstance(p, dict) and "exchanges" in p else p
            for p in out["arbitrage_pairs"]
        ]
    return out


def session_symbols(config: ArbkitConfig, symbols: list[str | Symbol] | None) -> list[Symbol]:
    """Explicit symbols, else the arbitrage pairs' symbols and ``scan.symbols``."""
    if symbols:
        try:
            return [Symbol.parse(s) for s in symbols]
        except ValueError as exc:
            raise ConfigurationError(f"symbols: {exc}") from None
    found: list[Symbol] = []
    for pair in (config.sections.get("arbitrage") or {}).get("arbitrage_pairs") or []:
        found.append(Symbol.parse(f"{pair.get('base_asset')}/{pair.get('quote_asset')}"))
    for text in (config.sections.get("scan") or {}).get("symbols") or []:
        try:
            found.append(Symbol.parse(text))
        except ValueError as exc:
            raise ConfigurationError(f"scan.symbols: {exc}") from None
    return list(dict.fromkeys(found)) or [Symbol.parse("BTC/USDT"), Symbol.parse("ETH/USDT")]


async def connect(
    config: str | os.PathLike[str] | ArbkitConfig = "config.yaml",
    *,
    venue: Any = True,
    symbols: list[str | Symbol] | None = None,
    seed: int | None = None,
    update_interval: float | None = None,
    name: str = "default",
    wait: bool = True,
    trading: bool = False,
    journal: str | os.PathLike[str] = "arbkit-journal.sqlite",
    dry_run: bool = False,
    require_attestation: bool = True,
) -> Session:
    """Start a session. ``venue=True`` runs the local venue in-process (the default, offline); ``venue=False``
    uses the config's real URLs; a running ``LocalVenue`` may be passed to share it. ``seed`` and ``update_interval``
    default to the config's ``venue:`` section, else 7 and 0.05 s. ``trading=True`` also
    trades the opportunities (``session.trader``; ``dry_run`` trades on paper back-ends over the session's books,
    arbkit.paper, journaled to ``journal``; no real order is sent; real orders need a passing dry-run attestation in
    ``journal``, which ``require_attestation=False`` skips on the local venue only)."""
    previous = _SESSIONS.pop(name, None)
    if previous is not None:
        await previous.stop()
    cfg = config if isinstance(config, ArbkitConfig) else load_config(config)
    if "arbitrage" in cfg.sections:  # this layer owns the section: one-line errors before anything connects
        parse_arbitrage_config(cfg.sections["arbitrage"], cfg)
    if venue in (False, None):
        for entry in cfg.exchanges.values():
            check_exchange_urls(entry)
    wanted = session_symbols(cfg, symbols)
    owns_venue = False
    running_venue = None
    if venue is True:
        from arbkit.venue import LocalVenue
        from arbkit.venue.attach import venue_speaks

        served = [n for n in cfg.exchanges if venue_speaks(n)]
        local = venue_settings(cfg)
        seed = seed if seed is not None else local.get("seed", 7)
        update_interval = update_interval if update_interval is not None else local.get("update_interval", 0.05)
        running_venue = await LocalVenue(exchanges=served, seed=seed, update_interval=update_interval).__aenter__()
        owns_venue = True
    elif venue not in (False, None):
        running_venue = venue
    skipped: list[str] = []
    if running_venue is not None:
        from arbkit.venue.attach import attach_to_venue

        cfg, skipped = attach_to_venue(cfg, running_venue)
    arbitrage = configured = default_arbitrage(cfg, wanted, skipped)
    if trading:  # the scanner sizes within what execution may send (execution.size_to_cap)
        from arbkit.execution.trader import trading_arbitrage

        arbitrage = trading_arbitrage(cfg, arbitrage)
    session = Session(cfg, arbitrage, wanted, name)
    session.configured_arbitrage = configured  # as the user wrote it (the promotion hash), before sizing to the cap
    freeze_long_lived()  # modules and the venue: full collections skip them (they cost 100+ ms blocks)
    session.watchdog.start()
    session.venue = running_venue
    session._owns_venue = owns_venue  # type: ignore[attr-defined]
    for skipped_name in skipped:
        session.scanner.mark_out(skipped_name, "the local venue does not speak this exchange")
    _SESSIONS[name] = session
    try:
        from arbkit.runtime.reachability import unresolved_exchanges

        unresolved = {} if running_venue is not None else await unresolved_exchanges(cfg)
        for down, reason in unresolved.items():  # offline or a wrong host: fail fast, say why; add_exchange retries
            session._out[down] = reason
            session.scanner.mark_out(down, reason)
        starting = [n for n in cfg.exchanges if n not in unresolved]
        await asyncio.gather(*(session.add_exchange(n, wait=wait) for n in starting))
        if wait and not unresolved:  # an unreachable exchange's listings are unknown: nothing to check against
            session.check_listings()
        freeze_long_lived()  # the exchanges' markets too
        if trading:
            from arbkit.execution.trader import start_trader

            session.trader = await start_trader(
                session, journal=journal, dry_run=dry_run, require_attestation=require_attestation
            )
    except BaseException:
        await session.stop()
        raise
    return session


async def stop_all() -> None:
    """Stop every session started in this process (e.g. at the end of a notebook)."""
    for session in list(_SESSIONS.values()):
        with contextlib.suppress(Exception):
            await session.stop()
