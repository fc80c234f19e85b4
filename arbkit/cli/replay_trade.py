"""``arbkit replay-trade RECORDING``: paper trade a recording (scanner, executor, paper fills on recorded time)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from arbkit.errors import ArbkitError


def add_parser(sub: Any) -> None:
    """Register ``replay-trade`` on the ``arbkit`` subcommands."""
    parser = sub.add_parser(
        "replay-trade",
        help="paper trade a recording with a config: executions, outcomes, P&L, drawdown",
        description="Replay a recording through the scanner and the paper executor on the recording's own clock "
        "and print executions, outcomes, realised P&L and drawdown; no exchange is contacted.",
    )
    parser.add_argument("recording", help="recording directory (holds recording.json)")
    parser.add_argument("--config", default=None, help="config.yaml (arbitrage, execution, paper sections)")
    parser.add_argument("--seed", type=int, default=0, help="seed mixed into the paper latency draws (default: 0)")
    parser.add_argument("--journal", default=None, help="keep the SQLite journal at this new file")
    parser.add_argument("--zero-latency", action="store_true", help="act on every order at its send time")
    parser.add_argument("--log-level", dest="sub_log_level", default=None, help=argparse.SUPPRESS)
    parser.set_defaults(handler=run_replay_trade)


def run_replay_trade(args: argparse.Namespace) -> int:
    from arbkit.config import ArbkitConfig
    from arbkit.paper.replay_trade import replay_trade

    config: Any = args.config
    if config is None:
        config = ArbkitConfig(exchanges={})
    elif not Path(config).is_file():
        print(f"arbkit: --config {config}: config file not found", file=sys.stderr)
        return 2
    bar = _Bar()
    try:
        result = replay_trade(
            args.recording, config, seed=args.seed, journal=args.journal, zero_latency=args.zero_latency,
            progress=bar.update,
        )  # fmt: skip
    except ArbkitError as exc:
        bar.close()
        print(f"arbkit: {exc}", file=sys.stderr)
        return 2
    bar.close()
    if args.config is None:
        print("arbkit replay-trade: no --config: the recording's arbitrage settings, execution and paper defaults")
    for line in result.lines():
        print(line, flush=True)
    return 0


class _Bar:
    """A tqdm bar over recorded updates, on stderr, shown only on a terminal."""

    def __init__(self) -> None:
        self._bar: Any = None

    def update(self, done: int, total: int) -> None:
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit="upd", desc="replay-trade", file=sys.stderr, disable=None, leave=False)
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
