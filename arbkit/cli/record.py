"""``arbkit record``: run a session (local venue by default) and record its books, health and opportunities.

Each run writes a new folder ``<out>/<UTC start time>/``: two sessions never share a dataset, so ``recording.json``
always describes every row next to it.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
from pathlib import Path

from arbkit.cli.startup import start_session
from arbkit.errors import ConfigurationError


def session_folder(out: str) -> Path:
    """Create and return a new, empty folder for this session under ``out`` (created if missing)."""
    parent = Path(out)
    if parent.exists() and not parent.is_dir():
        raise ConfigurationError(f"--out {out}: is a file; expected a directory for the recordings")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        for n in range(1, 1000):
            folder = parent / (stamp if n == 1 else f"{stamp}-{n}")
            try:
                folder.mkdir()
            except FileExistsError:
                continue
            return folder
    except OSError as exc:
        raise ConfigurationError(f"--out {out}: cannot create a folder there: {exc.strerror or exc}") from None
    raise ConfigurationError(f"--out {out}: too many recordings started at {stamp}")


async def run_record(args: argparse.Namespace) -> int:
    from arbkit.recording import Recorder

    folder = session_folder(args.out)  # checked before anything starts
    try:
        session = await start_session(args, "record")
    except BaseException:
        folder.rmdir()  # nothing was recorded: leave nothing behind
        raise
    if session is None:
        folder.rmdir()
        return 0
    recorder = Recorder(folder, depth=args.depth)
    interrupted = False
    try:
        recorder.attach(session)
        where = f"local venue {session.venue.origin}" if session.venue is not None else "live exchanges"
        until = f"for {args.duration:g}s" if args.duration is not None else "until Ctrl-C"
        print(f"arbkit record | {where} | {', '.join(session.exchanges)} | {folder} | {until}", flush=True)
        if args.duration is not None:  # Ctrl-C cancels either wait
            await asyncio.sleep(args.duration)
        else:
            await asyncio.Event().wait()
    except asyncio.CancelledError:
        interrupted = True
        raise
    finally:
        await recorder.close()
        await session.stop()
        rows = ", ".join(f"{name}={count}" for name, count in recorder.rows_written.items())
        print(f"{'interrupted: ' if interrupted else ''}recorded {rows} rows to {folder}", flush=True)
    return 0
