"""``arbkit scan``: live books, cross-exchange spreads, opportunities after fees and depth, and venue health.

On a terminal the screen redraws in place (rich); piped, it prints one plain, 100-column snapshot per refresh.
On exit (``--duration``, counted from the moment every book is live, or Ctrl-C) it prints a summary.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import time

from rich.console import Console
from rich.live import Live
from rich.logging import RichHandler

from arbkit.arbitrage import native
from arbkit.cli.screen import WIDTH, render
from arbkit.cli.startup import start_session
from arbkit.cli.tally import Tally
from arbkit.runtime.session import Session
from arbkit.structs import BookState


def make_console() -> Console:
    """Colours and in-place redraws on a terminal; plain text at 100 columns (or $COLUMNS) when piped."""
    probe = Console()
    if probe.is_terminal:
        return probe
    width = int(os.environ["COLUMNS"]) if os.environ.get("COLUMNS", "").isdigit() else WIDTH
    return Console(width=width, color_system=None, highlight=False, force_terminal=False)


def summary(session: Session, tally: Tally, elapsed: float, interrupted: bool) -> str:
    """Printed on exit: how long, which venues, what was found, what went wrong with the books."""
    how = "interrupted" if interrupted else "done"
    lines = [f"arbkit scan {how} after {elapsed:.1f}s on {', '.join(sorted(session.exchanges)) or 'no exchange'}"]
    lines.append("  " + tally.summary())
    trouble = []
    for ex in session.exchanges.values():
        for h in ex.health():
            counts = [f"{n} {what}" for n, what in ((h.gaps, "gaps"), (h.resyncs, "resyncs")) if n]
            counts += [f"{h.reconnects} reconnects"] if h.reconnects else []
            if counts:
                trouble.append(f"{ex.name} {h.symbol} {' '.join(counts)}")
    lines.append("  books: " + ("; ".join(trouble) if trouble else "no gaps, resyncs or reconnects"))
    out = [f"{s.exchange} ({' '.join(s.reason.split())})" for s in session.status() if s.state != "scanning"]
    if out:
        lines.append("  not scanning: " + "; ".join(out))
    return "\n".join(lines)


async def run_scan(args: argparse.Namespace) -> int:
    console = make_console()
    started = time.monotonic()
    where = "the real exchanges" if args.live else "the local venue"
    console.print(f"arbkit scan: starting the exchanges on {where}...", highlight=False)
    if not native.COMPILED:  # 3 to 6 times slower per evaluation: said, never silent
        console.print(f"arbkit scan: the evaluator runs as {native.IMPLEMENTATION}", highlight=False)
    session = await start_session(args, "scan")
    if session is None:
        return 0
    tally = Tally()
    session.scanner.add_listener(tally.on_event)
    where = f"local venue {session.venue.origin}" if session.venue is not None else "live exchanges"
    interrupted = False
    try:
        await _display(console, session, tally, where, args.duration, args.refresh)
    except asyncio.CancelledError:
        interrupted = True
        raise
    finally:
        text = summary(session, tally, time.monotonic() - started, interrupted)
        await session.stop()
        console.print(text, highlight=False, soft_wrap=True)
    return 0


LIVE_WAIT_S = 10.0  # --duration counts from the moment every book is live, or from this long after start at the latest


def _all_live(session: Session) -> bool:
    """Every configured exchange has started (or is out) and every book of those scanning is live."""
    venues = session.status()
    if len(venues) < len(session.config.exchanges) or any(v.state == "starting" for v in venues):
        return False
    rows = [h for ex in session.exchanges.values() for h in ex.health()]
    return bool(rows) and all(h.state is BookState.LIVE for h in rows)


async def _display(
    console: Console, session: Session, tally: Tally, where: str, duration: float | None, refresh: float
) -> None:
    shown = time.monotonic()
    live_since: float | None = None  # the --duration clock starts once the books are live (a loaded machine is slow)

    def frame() -> object:
        elapsed = time.monotonic() - shown
        if duration is None:
            stop = "Ctrl-C to stop"
        elif live_since is None:
            stop = "waiting for live books, Ctrl-C to stop now"
        else:
            stop = f"stops at {live_since - shown + duration:.0f}s, Ctrl-C to stop now"
        return render(session, tally, f"arbkit scan | {where} | {elapsed:5.1f}s | {stop}")

    async def wait() -> bool:
        """Sleep one refresh (less at the end); False once the duration is over."""
        nonlocal live_since
        now = time.monotonic()
        if live_since is None and (_all_live(session) or now - shown >= LIVE_WAIT_S):
            live_since = now
        if duration is None:
            await asyncio.sleep(refresh)
            return True
        if live_since is None:
            await asyncio.sleep(min(refresh, 0.1))
            return True
        left = duration - (now - live_since)
        if left <= 0:
            return False
        await asyncio.sleep(min(refresh, left))
        return True

    if not console.is_terminal:
        printed = time.monotonic()
        while await wait():
            if live_since is None and time.monotonic() - printed < refresh:
                continue  # polling for live books: print at the refresh pace only
            printed = time.monotonic()
            console.print(frame())
            console.print()
        return
    root = logging.getLogger()
    handlers = root.handlers[:]
    root.handlers = [RichHandler(console=console, show_path=False)]  # log lines print above the live screen
    try:
        with Live(frame(), console=console, auto_refresh=False, transient=False) as live:
            while await wait():
                live.update(frame(), refresh=True)
    finally:
        root.handlers = handlers
