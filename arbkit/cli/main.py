"""``arbkit`` entry point: argument parsing only; each command's work is imported when it runs."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from arbkit.errors import ArbkitError, ConfigurationError
from arbkit.structs import Symbol


def _symbols(text: str) -> list[Symbol]:
    """``--symbols BTC/USDT,ETH/USDT``; a bad one is a one-line usage error."""
    try:
        return [Symbol.parse(s) for s in text.split(",") if s.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _venue_exchanges(text: str) -> list[str]:
    from arbkit.venue.protocols import PROTOCOLS

    names = [e.strip().lower() for e in text.split(",") if e.strip()]
    unknown = [n for n in names if n not in PROTOCOLS]
    if unknown or not names:
        shown = unknown[0] if unknown else text
        raise argparse.ArgumentTypeError(f"unknown exchange {shown!r} (known: {', '.join(PROTOCOLS)})")
    return names


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="arbkit", description="Cross-exchange crypto arbitrage research.")
    parser.add_argument("--log-level", default="WARNING", help="DEBUG, INFO, WARNING (default) or ERROR")
    sub = parser.add_subparsers(dest="command", required=True)

    scan = sub.add_parser("scan", help="watch live books and cross-exchange spreads (local venue by default)")
    scan.add_argument("--config", default="config.yaml", help="config file (default: config.yaml)")
    scan.add_argument("--live", action="store_true", help="use the config's real exchange URLs, not the local venue")
    scan.add_argument("--duration", type=float, default=None, help="stop after this many seconds (default: Ctrl-C)")
    scan.add_argument("--symbols", type=_symbols, default=None, help="comma-separated, e.g. BTC/USDT,ETH/USDT")
    scan.add_argument("--seed", type=int, default=7, help="local venue market seed (default: 7)")
    scan.add_argument("--refresh", type=float, default=1.0, help="seconds between table redraws (default: 1)")
    scan.add_argument("--log-level", dest="sub_log_level", default=None, help=argparse.SUPPRESS)

    record = sub.add_parser("record", help="record books, health and opportunities to Parquet (local venue by default)")
    record.add_argument("--config", default="config.yaml", help="config file (default: config.yaml)")
    record.add_argument("--out", default="recordings/", help="output directory (default: recordings/)")
    record.add_argument("--live", action="store_true", help="use the config's real exchange URLs, not the local venue")
    record.add_argument("--duration", type=float, default=None, help="stop after this many seconds (default: Ctrl-C)")
    record.add_argument("--symbols", type=_symbols, default=None, help="comma-separated, e.g. BTC/USDT,ETH/USDT")
    record.add_argument("--seed", type=int, default=7, help="local venue market seed (default: 7)")
    record.add_argument("--depth", type=int, default=20, help="book levels recorded per side (default: 20)")
    record.add_argument("--log-level", dest="sub_log_level", default=None, help=argparse.SUPPRESS)

    venue = sub.add_parser("venue", help="run the local venue server until Ctrl-C")
    venue.add_argument(
        "--exchanges",
        type=_venue_exchanges,
        default="binance,gateio",
        help="comma-separated (default: binance,gateio)",
    )
    venue.add_argument("--seed", type=int, default=7)
    venue.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (default: a free one)")
    venue.add_argument("--interval", type=float, default=0.05, help="seconds between market steps (default: 0.05)")
    venue.add_argument("--log-level", dest="sub_log_level", default=None, help=argparse.SUPPRESS)

    from arbkit.cli import compact, import_

    compact.add_parser(sub)
    import_.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    level = (args.sub_log_level or args.log_level).upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        print(f"arbkit: --log-level: expected DEBUG, INFO, WARNING or ERROR, got {level!r}", file=sys.stderr)
        return 2
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        if getattr(args, "handler", None) is not None:  # commands that register themselves (compact, import)
            return int(args.handler(args))
        if args.command == "scan":
            from arbkit.cli.scan import run_scan

            return asyncio.run(run_scan(args))
        if args.command == "record":
            from arbkit.cli.record import run_record

            return asyncio.run(run_record(args))
        from arbkit.venue.server import serve

        asyncio.run(serve(args.exchanges, seed=args.seed, port=args.port, update_interval=args.interval))
        return 0
    except KeyboardInterrupt:
        return 130
    except ConfigurationError as exc:
        print(f"arbkit: {exc}", file=sys.stderr)
        return 2
    except ArbkitError as exc:
        print(f"arbkit: {exc}", file=sys.stderr)
        return 1
