"""``arbkit`` entry point: argument parsing only; each command's work is imported when it runs.

Exit codes: 0 done, 1 a runtime failure (no exchange could be started), 2 bad input (arguments, config, an output
directory or port that cannot be used), 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import Iterator, Sequence
from typing import NoReturn

from arbkit import __version__
from arbkit.errors import ArbkitError, ConfigurationError
from arbkit.structs import Symbol

_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class _Parser(argparse.ArgumentParser):
    """Usage errors on one line (what was wrong, and where to read more), exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see '{self.prog} --help')\n")


def _symbols(text: str) -> list[Symbol]:
    """``--symbols BTC/USDT,ETH/USDT``; a bad one is a one-line usage error."""
    try:
        symbols = [Symbol.parse(s) for s in text.split(",") if s.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if not symbols:
        raise argparse.ArgumentTypeError("expected at least one symbol, e.g. BTC/USDT")
    return list(dict.fromkeys(symbols))


def _venue_exchanges(text: str) -> list[str]:
    from arbkit.venue.protocols import PROTOCOLS

    names = [e.strip().lower() for e in text.split(",") if e.strip()]
    unknown = [n for n in names if n not in PROTOCOLS]
    if unknown or not names:
        shown = unknown[0] if unknown else text
        raise argparse.ArgumentTypeError(f"unknown exchange {shown!r} (known: {', '.join(PROTOCOLS)})")
    return names


def _positive_seconds(text: str) -> float:
    """A finite number of seconds above zero (0 would be a busy loop, a negative one meaningless)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, got {text!r}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a TCP port number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a TCP port from 0 (any free one) to 65535, got {text!r}")
    return value


def _log_level(text: str) -> str:
    level = text.strip().upper()
    if level not in _LEVELS:
        raise argparse.ArgumentTypeError(f"expected DEBUG, INFO, WARNING or ERROR, got {text!r}")
    return level


def _session_options(cmd: argparse.ArgumentParser) -> None:
    """Options ``scan`` and ``record`` share."""
    cmd.add_argument("--config", default="config.yaml", help="config file (default: config.yaml)")
    cmd.add_argument("--live", action="store_true", help="use the config's real exchange URLs, not the local venue")
    cmd.add_argument(
        "--duration",
        type=_positive_seconds,
        default=None,
        help=(
            "stop after this many seconds once started (scan: once every book is live, 10 s at most);"
            " with --live it also bounds the start (default: Ctrl-C)"
        ),
    )
    cmd.add_argument("--symbols", type=_symbols, default=None, help="comma-separated, e.g. BTC/USDT,ETH/USDT")
    cmd.add_argument(
        "--seed", type=int, default=None, help="local venue market seed (default: the config's venue.seed, else 7)"
    )
    cmd.add_argument("--log-level", dest="sub_log_level", type=_log_level, default=None, help=argparse.SUPPRESS)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="arbkit",
        description="Cross-exchange crypto arbitrage research: live books, spreads and opportunities after fees "
        "and depth, on a local venue (offline) or the real exchanges.",
        epilog="Run 'arbkit COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"arbkit {__version__}")
    parser.add_argument("--log-level", type=_log_level, default="WARNING", help="DEBUG, INFO, WARNING (default), ERROR")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    scan = sub.add_parser(
        "scan",
        help="watch live books, spreads and opportunities (local venue by default)",
        description="Watch live books, the cross-exchange spread and the opportunities that survive both taker fees "
        "through the books' depth. Runs on the local venue unless --live; Ctrl-C stops and prints a summary.",
    )
    _session_options(scan)
    scan.add_argument(
        "--refresh", type=_positive_seconds, default=1.0, help="seconds between screen redraws (default: 1)"
    )

    record = sub.add_parser(
        "record",
        help="record books, health and opportunities to Parquet (local venue by default)",
        description="Record books, book health and opportunity events to partitioned Parquet. Each run writes a "
        "new folder <out>/<UTC time>/, so sessions never mix; replay it with arbkit.recording.Replayer.",
    )
    _session_options(record)
    record.add_argument("--out", default="recordings", help="parent directory of the recordings (default: recordings)")
    record.add_argument(
        "--depth", type=_positive_int, default=20, help="book levels recorded per side, at least 1 (default: 20)"
    )

    venue = sub.add_parser(
        "venue",
        help="run the local venue server until Ctrl-C",
        description="Run the local venue (each exchange's own wire protocol over a seeded simulated market) on "
        "127.0.0.1 and print its URLs, for other programs to connect to.",
    )
    venue.add_argument(
        "--exchanges", type=_venue_exchanges, default="binance,gateio", help="comma-separated (default: binance,gateio)"
    )
    venue.add_argument("--seed", type=int, default=7, help="market seed (default: 7)")
    venue.add_argument("--port", type=_port, default=0, help="TCP port on 127.0.0.1 (default: a free one)")
    venue.add_argument(
        "--interval", type=_positive_seconds, default=0.05, help="seconds between market steps (default: 0.05)"
    )
    venue.add_argument("--log-level", dest="sub_log_level", type=_log_level, default=None, help=argparse.SUPPRESS)

    from arbkit.cli.run import add_run_parser

    add_run_parser(sub)

    from arbkit.cli import compact, import_, replay_trade, sweep

    compact.add_parser(sub)
    import_.add_parser(sub)
    replay_trade.add_parser(sub)
    sweep.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    with _logging_to_stderr(args.sub_log_level or args.log_level):
        return _run(args)


@contextlib.contextmanager
def _logging_to_stderr(level: str) -> Iterator[None]:
    """Log lines to stderr at ``level`` while a command runs; the root logger is left as it was afterwards."""
    root = logging.getLogger()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    previous = root.level
    root.addHandler(handler)
    root.setLevel(level)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def _run(args: argparse.Namespace) -> int:
    try:
        if getattr(args, "handler", None) is not None:  # commands that register themselves (compact, import)
            return int(args.handler(args))
        if args.command == "scan":
            from arbkit.cli.scan import run_scan

            return asyncio.run(run_scan(args))
        if args.command == "run":
            from arbkit.cli.run import run_trading

            return asyncio.run(run_trading(args))
        if args.command == "record":
            from arbkit.cli.record import run_record

            return asyncio.run(run_record(args))
        from arbkit.cli.venue import run_venue

        return asyncio.run(run_venue(args))
    except KeyboardInterrupt:
        return 130
    except ConfigurationError as exc:
        print(f"arbkit: {exc}", file=sys.stderr)
        return 2
    except ArbkitError as exc:
        print(f"arbkit: {exc}", file=sys.stderr)
        return 1
