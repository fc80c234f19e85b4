"""Pre-flight before real orders, per venue: the clock within the exchange's window, credentials that work (a signed
call), balances inside the ``execution:`` inventory bands, and an order accepted by the exchange's validate-only path
(Binance and MEXC ``order/test``, Kraken ``AddOrder validate``; Gate.io has none). One line per venue; any failure
refuses with :class:`PreflightError`.
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

import msgspec

from arbkit.errors import ArbkitError, NotSupportedError
from arbkit.structs import Side, Symbol

__all__ = [
    "CLOCK_WINDOWS_MS",
    "PreflightError",
    "PreflightLine",
    "check_clocks",
    "credentials_failed",
    "preflight",
    "run_preflight",
]

# (local clock ahead of the exchange, local clock behind it), in ms, that the exchange accepts: Binance and MEXC
# refuse a timestamp more than 1 s ahead of their clock or older than recvWindow (5 s by default); Gate.io allows
# 60 s either way; Kraken checks no timestamp, but arbkit's AddOrder ``deadline`` is set from the local clock a leg
# timeout ahead, so 1 s either way keeps it meaningful.
CLOCK_WINDOWS_MS: dict[str, tuple[int, int]] = {
    "binance": (1000, 5000),
    "mexc": (1000, 5000),
    "gateio": (60_000, 60_000),
    "kraken": (1000, 1000),
}
DEFAULT_WINDOW_MS = (1000, 5000)


class PreflightLine(msgspec.Struct, frozen=True):
    """The outcome for one venue: ``ok`` and the one line saying what was checked or what failed."""

    venue: str
    ok: bool
    line: str


class PreflightError(ArbkitError):
    """At least one venue failed its pre-flight; ``lines`` holds every venue's line."""

    def __init__(self, lines: list[PreflightLine]) -> None:
        self.lines = lines
        failed = "; ".join(p.line for p in lines if not p.ok)
        super().__init__(f"pre-flight failed: {failed}")


class _Failed(Exception):
    pass


async def preflight(
    name: str, private: Any, markets: dict[Symbol, tuple[Any, Any]], bands: dict[str, Any], clock: str = ""
) -> PreflightLine:
    """The checks after the clock for one venue; ``bands``: asset -> InventoryBand; ``markets``: symbol ->
    (SymbolInfo, public book) of the venue (a best bid and the steps price the validate-only order)."""
    try:
        balances = await _credentials(private)
        held = _bands(balances, bands)
        validated = await _validate(private, markets)
    except _Failed as exc:
        return PreflightLine(name, False, f"{name}: {exc}")
    checked = "; ".join(p for p in (clock, "signed call", held, validated) if p)
    return PreflightLine(name, True, f"{name}: ok ({checked})")


async def clock_check(name: str, public: Any) -> PreflightLine:
    """Server time (a public call, so it runs before any signed one) against the local clock."""
    try:
        return PreflightLine(name, True, await _clock(name, public))
    except _Failed as exc:
        return PreflightLine(name, False, f"{name}: {exc}")


async def check_clocks(session: Any) -> dict[str, str]:
    """Every venue's clock at once (before the private clients start, whose first signed call a skewed clock
    would fail without saying why); PreflightError if any is outside its exchange's window."""
    names = sorted(session.exchanges)
    lines = await asyncio.gather(*(clock_check(n, session.exchanges[n]) for n in names))
    if not all(p.ok for p in lines):
        raise PreflightError(list(lines))
    return {p.venue: p.line for p in lines}


def credentials_failed(name: str, exc: BaseException) -> PreflightError:
    """A private client that could not start (its first call is a signed one) as the pre-flight line."""
    return PreflightError(
        [PreflightLine(name, False, f"{name}: credentials: a signed call failed ({_first_line(exc)})")]
    )


async def _clock(name: str, public: Any) -> str:
    ahead, behind = CLOCK_WINDOWS_MS.get(name, DEFAULT_WINDOW_MS)
    handle = public.rest.ccxt
    before = time.time() * 1000
    try:
        server = await handle.call("fetch time", handle.client.fetch_time())
    except ArbkitError as exc:
        raise _Failed(f"server time: {_first_line(exc)}") from None
    after = time.time() * 1000
    if server is None:
        return "clock: the exchange does not tell its time"
    local = (before + after) / 2.0
    skew = local - float(server)  # > 0: the local clock is ahead of the exchange's
    window = f"allowed {ahead / 1000:g} s ahead, {behind / 1000:g} s behind"
    if skew > ahead or -skew > behind:
        where = "ahead of" if skew > 0 else "behind"
        raise _Failed(f"clock: local clock {abs(skew) / 1000:.1f} s {where} the exchange's ({window})")
    return f"clock within {window}"


async def _credentials(private: Any) -> dict[str, Any]:
    try:
        return await private.refresh_balances()
    except ArbkitError as exc:
        raise _Failed(f"credentials: a signed call failed ({_first_line(exc)})") from None


def _bands(balances: dict[str, Any], bands: dict[str, Any]) -> str:
    for asset, band in sorted(bands.items()):
        found = balances.get(asset)
        total = found.total if found is not None else 0.0
        if total < band.min:
            raise _Failed(f"balance: {asset} {total:g} below its inventory band minimum {band.min:g}")
        if total > band.max:
            raise _Failed(f"balance: {asset} {total:g} above its inventory band maximum {band.max:g}")
    return f"balances within {len(bands)} inventory band(s)" if bands else "no inventory bands to check"


async def _validate(private: Any, markets: dict[Symbol, tuple[Any, Any]]) -> str:
    priced = [(s, i, b) for s, (i, b) in markets.items() if i is not None and b is not None and b.bids]
    if not priced:
        names = ", ".join(map(str, markets)) or "any symbol"
        raise _Failed(f"validate-only: no listed book of {names} to price a test order")
    symbol, info, book = priced[0]
    bid = book.bids[0][0]
    price = math.floor(bid * 0.9 / info.tick_size) * info.tick_size  # a buy well below the market
    wanted = max(info.min_quantity, info.step_size, info.min_notional * 1.05 / price if price > 0 else 0.0)
    quantity = math.ceil(wanted / info.step_size - 1e-9) * info.step_size
    try:
        await private.validate_order(symbol, Side.BUY, round(quantity, 12), round(price, 12))
    except NotSupportedError:
        return "validate-only order: not available on this exchange"
    except ArbkitError as exc:
        raise _Failed(f"validate-only order refused: {_first_line(exc)}") from None
    return f"validate-only {symbol} order accepted"


def _first_line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return f"{type(exc).__name__}: {text}"


async def run_preflight(
    session: Any, privates: dict[str, Any], inventory: dict[str, dict[str, Any]], clocks: dict[str, str] | None = None
) -> list[str]:
    """Pre-flight every venue of ``privates`` at once (``clocks``: what ``check_clocks`` found); the lines, or
    PreflightError if any failed."""

    async def one(name: str, private: Any) -> PreflightLine:
        public = session.exchanges.get(name)
        markets = {
            s: (public.symbols_info.get(s), public.book(s)) if public is not None else (None, None)
            for s in session.symbols
        }
        return await preflight(name, private, markets, inventory.get(name, {}), (clocks or {}).get(name, ""))

    lines = list(await asyncio.gather(*(one(n, p) for n, p in sorted(privates.items()))))
    if not all(p.ok for p in lines):
        raise PreflightError(lines)
    return [p.line for p in lines]
