"""``arbkit import tardis FILES --exchange NAME --symbol SYMBOL [--out DIR]``: vendor L2 files into a recording."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from arbkit.errors import ArbkitError

DEFAULT_OUT = "recordings/imported"


def add_parser(sub: Any) -> None:
    """Register ``import`` (with its ``tardis`` format) on the ``arbkit`` subcommands."""
    parser = sub.add_parser(
        "import",
        help="convert historical L2 files (Tardis CSV) into an arbkit recording",
        description="Convert a data vendor's historical order book files into an arbkit recording that replays "
        "like one made by 'arbkit record'. Formats: tardis.",
    )
    formats = parser.add_subparsers(dest="format", required=True)
    tardis = formats.add_parser(
        "tardis",
        help="Tardis incremental_book_L2 or book_snapshot_25/5 CSV (gzip or plain), one instrument",
        description="Files of one instrument in time order; run once per instrument into the same --out to replay "
        "several venues together.",
    )
    tardis.add_argument("files", nargs="+", help="CSV files (.csv or .csv.gz)")
    tardis.add_argument("--exchange", required=True, help="arbkit exchange name (binance, gateio, mexc, kraken)")
    tardis.add_argument("--symbol", required=True, help="unified symbol, e.g. BTC/USDT")
    tardis.add_argument("--out", default=DEFAULT_OUT, help=f"recording directory (default: {DEFAULT_OUT})")
    tardis.add_argument("--depth", type=int, default=None, help="levels per side kept (default: 20)")
    tardis.add_argument("--log-level", dest="sub_log_level", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--log-level", dest="sub_log_level", default=None, help=argparse.SUPPRESS)
    tardis.set_defaults(handler=run_import_tardis)


def run_import_tardis(args: argparse.Namespace) -> int:
    from arbkit.recording.importer import import_tardis

    if args.depth is not None and args.depth < 1:
        print("arbkit import: --depth must be >= 1", file=sys.stderr)
        return 2
    try:
        report = import_tardis(args.files, args.exchange, args.symbol, args.out, depth=args.depth)
    except ArbkitError as exc:
        print(f"arbkit: {exc}", file=sys.stderr)
        return 2
    print(report.summary(), flush=True)
    return 0
