"""``arbkit compact DIR``: merge a recording's small part files into one per partition (and recover crashed batches)."""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

from arbkit.errors import ArbkitError


def add_parser(sub: Any) -> None:
    """Register ``compact`` on the ``arbkit`` subcommands."""
    parser = sub.add_parser(
        "compact",
        help="merge a recording's small Parquet files into one per partition",
        description="Merge a recording's small Parquet part files into one file per partition (fewer files read "
        "faster) and recover the batches a crashed recorder left behind; the rows are unchanged.",
    )
    parser.add_argument("dir", help="recording directory (holds recording.json)")
    parser.add_argument(
        "--small-mb", type=float, default=64.0, help="files below this size (MiB) are merged (default: 64)"
    )
    parser.add_argument("--log-level", dest="sub_log_level", default=None, help=argparse.SUPPRESS)
    parser.set_defaults(handler=run_compact)


def run_compact(args: argparse.Namespace) -> int:
    from arbkit.recording.compact import compact

    if not 0 < args.small_mb < math.inf:  # NaN and inf too
        print(f"arbkit compact: --small-mb must be a number above 0, got {args.small_mb}", file=sys.stderr)
        return 2
    try:
        report = compact(args.dir, small_bytes=int(args.small_mb * (1 << 20)))
    except ArbkitError as exc:
        print(f"arbkit: {exc}", file=sys.stderr)
        return 2
    print(f"compacted {args.dir}: {report.summary()}", flush=True)
    return 0
