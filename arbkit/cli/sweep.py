"""``arbkit sweep``: a grid of config values traded on paper over recordings, results appended to a Parquet file."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from arbkit.errors import ArbkitError, ConfigurationError


def add_parser(sub: Any) -> None:
    """Register ``sweep`` on the ``arbkit`` subcommands."""
    parser = sub.add_parser(
        "sweep",
        help="paper-trade every cell of a parameter grid on recordings (process pool or Ray)",
        description="Replay recordings through the scanner and the paper executor once per cell of a grid of config "
        "values; one row per (cell, recording) is appended to --out as it finishes, and a re-run with the same "
        "--out skips finished cells. See docs/sweeps.md.",
    )
    parser.add_argument("--recordings", required=True, help="a recording, a folder of recordings, or a glob")
    parser.add_argument("--grid", required=True, help="grid file: dotted config key paths -> lists of values")
    parser.add_argument("--out", required=True, help="results Parquet file (appended to; finished cells skipped)")
    parser.add_argument("--config", default="config.yaml", help="base config (default: config.yaml)")
    parser.add_argument(
        "--workers", type=int, default=None, help="worker processes (default: every core; 0 = in this process)"
    )
    parser.add_argument(
        "--ray",
        default=None,
        metavar="auto|ADDRESS",
        help="run on Ray: 'auto' or a cluster address (needs arbkit[cluster])",
    )
    parser.add_argument(
        "--by-day", action="store_true", help="each UTC day of each recording is a unit (views under OUT.days/)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--log-level", dest="sub_log_level", default=None, help=argparse.SUPPRESS)
    parser.set_defaults(handler=run_sweep)


def run_sweep(args: argparse.Namespace) -> int:
    from arbkit.sweep.runner import sweep

    if args.workers is not None and args.workers < 0:
        print(f"arbkit sweep: --workers: expected 0 or more, got {args.workers}", file=sys.stderr)
        return 2
    if args.ray is not None:
        from arbkit.sweep.ray_runner import import_ray

        try:
            import_ray()
        except ConfigurationError as exc:
            print(f"arbkit sweep: {exc}", file=sys.stderr)
            return 2
    if problem := _out_problem(Path(args.out)):
        print(f"arbkit sweep: --out {args.out}: {problem}", file=sys.stderr)
        return 2
    try:
        results = sweep(
            args.recordings, args.grid, args.out, config=args.config, workers=args.workers, ray=args.ray,
            by_day=args.by_day, progress=not args.quiet,
        )  # fmt: skip
    except ConfigurationError as exc:
        print(f"arbkit: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a results file the checks above could not foresee (e.g. /proc, a full disk)
        print(f"arbkit sweep: {exc.filename or args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except ArbkitError as exc:
        print(f"arbkit: {exc}", file=sys.stderr)
        return 1
    failed = results.filter(results["status"] != "ok").height
    cells = results["cell_id"].n_unique()
    print(f"swept {cells} cell(s) x {results['recording'].n_unique()} recording(s): {results.height} row(s), "
          f"{failed} failed -> {args.out}", flush=True)  # fmt: skip
    return 1 if failed else 0


def _out_problem(out: Path) -> str | None:
    """Why the results file cannot be written there (checked before any cell runs), or None."""
    if out.is_dir():
        return "is a directory; expected a results file such as results.parquet"
    parent = out.parent
    if not parent.is_dir():
        return f"the folder {parent} does not exist"
    if not os.access(parent, os.W_OK):
        return f"cannot write in {parent}"
    return None
