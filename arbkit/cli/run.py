"""``arbkit run``: trade the scanner's opportunities through the executor, on the local venue (in-process, or a
running ``arbkit venue`` with ``--venue URL``) or on the real exchanges with ``--live``; ``--dry-run`` trades on
paper (arbkit.paper: latency, depth, filters and fees against the live books) and sends no real order.

Real orders need a passing dry-run attestation of the same config and target in the journal, and a pre-flight on
every venue; ``--live`` also asks for confirmation (``--yes`` in scripts). Refusals (bad config, no credentials, no
attestation, a failed pre-flight, reconciliation mismatch) are one line and exit 2. Ctrl-C or SIGTERM halts:
every open order is cancelled, a summary printed, exit 130 (143 on SIGTERM).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

from arbkit.config import ArbkitConfig, ExchangeConfig, load_config
from arbkit.errors import ConfigurationError, PublicOnlyError

__all__ = ["RemoteVenue", "add_run_parser", "run_trading"]


class RemoteVenue:
    """A local venue already running at ``origin`` (from ``arbkit venue``): its URLs and test credentials, as the
    in-process venue gives them."""

    def __init__(self, origin: str, exchanges: list[str] | None = None) -> None:
        from arbkit.venue.protocols import PROTOCOLS

        self.origin = origin.rstrip("/")
        if not self.origin.startswith(("http://", "https://")):
            raise ConfigurationError(f"--venue: expected a URL such as http://127.0.0.1:8700, got {origin!r}")
        self.exchanges = list(exchanges if exchanges is not None else PROTOCOLS)

    def exchange_config(self, name: str) -> ExchangeConfig:
        from arbkit.venue.protocols import load_protocol, make_credentials

        protocol = load_protocol(name)
        urls = protocol.__new__(protocol).urls(self.origin)  # the URL layout needs only the protocol's class
        api_key, secret = make_credentials(name)
        private = urls.get("private_websocket_url")
        return ExchangeConfig(
            name=name,
            base_url=urls["base_url"],
            websocket_url=urls.get("websocket_url"),
            api_key=api_key,
            secret_key=secret,
            settings={"private_websocket_url": private} if private else {},
        )

    async def close(self) -> None:  # not ours to stop
        return None


def add_run_parser(sub: Any) -> None:
    from arbkit.cli.main import _positive_seconds, _symbols

    run = sub.add_parser(
        "run",
        help="trade opportunities with the executor (local venue by default)",
        description="Trade the scanner's opportunities through the risk gate and the executor, journaled to SQLite. "
        "Runs on the local venue unless --venue or --live; --dry-run fills on paper. Ctrl-C halts (exit 130).",
    )
    run.add_argument("--config", default="config.yaml", help="config file (default: config.yaml)")
    where = run.add_mutually_exclusive_group()
    where.add_argument(
        "--venue", default=None, metavar="URL", help="a running `arbkit venue`, e.g. http://127.0.0.1:8700"
    )
    where.add_argument("--live", action="store_true", help="the config's real exchange URLs (real orders!)")
    run.add_argument("--dry-run", action="store_true", help="paper fills on the live books; no real order")
    run.add_argument("--yes", action="store_true", help="with --live: trade without the interactive confirmation")
    run.add_argument(
        "--duration",
        type=_positive_seconds,
        default=None,
        help="stop after this many seconds; with --live or --venue it also bounds the start (default: Ctrl-C)",
    )
    run.add_argument("--journal", default="arbkit-journal.sqlite", help="journal file (default: arbkit-journal.sqlite)")
    run.add_argument("--symbols", type=_symbols, default=None, help="comma-separated, e.g. BTC/USDT,ETH/USDT")
    run.add_argument(
        "--seed", type=int, default=None, help="in-process local venue seed (default: the config's venue.seed, else 7)"
    )
    run.add_argument(
        "--refresh", type=_positive_seconds, default=1.0, help="seconds between screen redraws (default: 1)"
    )
    run.add_argument("--log-level", dest="sub_log_level", default=None, help=argparse.SUPPRESS)


def _refuse(message: str) -> int:
    print(f"arbkit run: {message}", file=sys.stderr, flush=True)
    return 2


async def _unreachable(origin: str) -> str | None:
    """Why nothing answers at ``origin`` (a TCP connect, a few seconds at most), or None."""
    from urllib.parse import urlsplit

    parts = urlsplit(origin)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(parts.hostname, port), 5.0)
    except TimeoutError:
        return f"no answer from {parts.hostname}:{port} within 5 s"
    except ConnectionRefusedError:
        return f"cannot connect to {parts.hostname}:{port} (connection refused)"
    except OSError as exc:
        return f"cannot connect to {parts.hostname}:{port} ({exc.strerror or exc})"
    writer.close()
    await writer.wait_closed()
    return None


def _journal_problem(path: Path) -> str | None:
    """Why ``path`` cannot hold the SQLite journal (checked before anything starts), or None."""
    if path.is_dir():
        return "is a directory; expected a journal file such as arbkit-journal.sqlite"
    if not path.parent.is_dir():
        return f"the folder {path.parent} does not exist"
    if path.is_file() and path.stat().st_size:
        with path.open("rb") as head:
            if head.read(16) != b"SQLite format 3\x00":
                return "is not an SQLite journal (refusing to write into another file)"
    return None


def _missing_credentials(config: ArbkitConfig) -> str | None:
    missing = [cfg for cfg in config.exchanges.values() if not cfg.has_credentials]
    if not missing:
        return None
    names = ", ".join(c.name for c in missing)
    variables = ", ".join(v for c in missing for v in c.credential_variables())
    return f"--live needs credentials for every configured exchange; missing for {names}: set {variables} in .env"


async def run_trading(args: argparse.Namespace) -> int:
    from arbkit.cli.startup import startup_failure
    from arbkit.execution.config import execution_config
    from arbkit.execution.trader import ReconciliationError
    from arbkit.paper.config import paper_config
    from arbkit.promotion.config import promotion_config
    from arbkit.promotion.guard import PromotionRefused
    from arbkit.promotion.preflight import PreflightError
    from arbkit.runtime.session import connect, session_symbols

    config = load_config(args.config)
    execution = execution_config(config)  # bad execution:, paper: or promotion: sections refuse before anything starts
    paper_config(config)
    promotion_config(config)
    if args.live and not args.dry_run and (problem := _missing_credentials(config)):
        return _refuse(problem)
    symbols = args.symbols  # parsed and checked by argparse (_symbols)
    if problem := _journal_problem(Path(args.journal)):
        return _refuse(f"--journal {args.journal}: {problem}")
    if args.live and not args.dry_run and not args.yes:
        shown = [str(s) for s in session_symbols(config, symbols)]
        if not _confirm(list(config.exchanges), shown, execution):
            return _refuse("--live trades real money: confirm on a terminal, or pass --yes in scripts")
    venue: Any = RemoteVenue(args.venue) if args.venue else (False if args.live else True)
    if args.venue and (problem := await _unreachable(venue.origin)):
        return _refuse(f"--venue {args.venue}: {problem}; start it with `arbkit venue` first")
    remote = args.live or args.venue  # real hosts may take their time: --duration bounds the start too
    try:
        session = await asyncio.wait_for(
            connect(
                config, venue=venue, symbols=symbols, seed=args.seed, trading=True, journal=args.journal,
                dry_run=args.dry_run, name="arbkit-run",
            ),
            timeout=args.duration if remote else None,
        )  # fmt: skip
    except TimeoutError:
        print(f"arbkit run: --duration {args.duration:g}s ran out while the exchanges were starting", flush=True)
        return 0
    except (PublicOnlyError, ReconciliationError, PromotionRefused, PreflightError) as exc:
        return _refuse(str(exc))
    except sqlite3.Error as exc:  # a journal the checks above could not foresee
        return _refuse(f"--journal {args.journal}: cannot use it as a journal ({exc})")
    stop = asyncio.Event()
    caught: list[int] = []
    loop = asyncio.get_running_loop()
    for signum, code in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
        loop.add_signal_handler(signum, lambda code=code: (caught.append(code), stop.set()))
    try:
        if not session.exchanges:
            raise startup_failure(session)  # one line per exchange; a symbol nobody lists is a usage error
        await _screen(session, args, stop)
        reason = {130: "Ctrl-C", 143: "SIGTERM"}.get(caught[0], "signal") if caught else "run ended"
        report = await session.halt(reason)
        print(report.line(), flush=True)
        if args.dry_run:
            session.trader.attest()
            print(_attestation_line(session.trader), flush=True)
        print(_summary_line(session.trader), flush=True)
        return caught[0] if caught else 0
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        await session.stop()


def _confirm(exchanges: list[str], symbols: list[str], execution: Any) -> bool:
    """Show the limits of a --live run and ask; False without a terminal to ask on."""
    from arbkit.promotion.confirm import limits_lines

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return False
    print("arbkit run --live: REAL orders on the real exchanges, under these limits:", flush=True)
    for line in limits_lines(exchanges, symbols, execution):
        print(f"  {line}", flush=True)
    try:
        answer = input("type 'yes' to trade: ")
    except EOFError:
        return False
    return answer.strip().lower() == "yes"


def _attestation_line(trader: Any) -> str:
    """The dry run's attestation, one line."""
    a = trader.attestation
    if a is None:
        return "attestation: none written"
    verdict = "passed" if a.passed else "failed"
    return f"attestation {a.id}: {verdict} for config {a.config_hash} on {a.target} ({a.why})"


def _summary_line(trader: Any) -> str:
    s = trader.summary()
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(s.outcomes.items())) or "none"
    refusals = ", ".join(f"{k} {v}" for k, v in sorted(s.refusals.items())) or "none"
    return (
        f"summary: {s.executions} executions ({outcomes}); realised P&L {s.pnl_quote:+.6g}; refused: {refusals}; "
        f"journal {trader.journal.path}"
    )


async def _screen(session: Any, args: argparse.Namespace, stop: asyncio.Event) -> None:
    from arbkit.cli.run_screen import render

    started = time.monotonic()
    tty = sys.stdout.isatty()
    live = None
    if tty:
        from rich.live import Live

        live = Live(render(session, 0.0, args), refresh_per_second=4, transient=False)
        live.start()
    try:
        while not stop.is_set():
            elapsed = time.monotonic() - started
            if args.duration is not None and elapsed >= args.duration:
                return
            wait = args.refresh if args.duration is None else max(0.0, min(args.refresh, args.duration - elapsed))
            try:
                await asyncio.wait_for(stop.wait(), wait)
            except TimeoutError:
                pass
            elapsed = time.monotonic() - started
            if live is not None:
                live.update(render(session, elapsed, args))
            else:
                print(_status_line(session, elapsed), flush=True)
    finally:
        if live is not None:
            live.stop()


def _status_line(session: Any, elapsed: float) -> str:
    trader = session.trader
    s = trader.summary()
    outcomes = " ".join(f"{k}={v}" for k, v in sorted(s.outcomes.items()))
    return f"{elapsed:6.1f}s state={s.state} executions={s.executions} {outcomes} pnl={s.pnl_quote:+.6g}".rstrip()
