"""``arbkit record``: run a session (local venue by default) and record its books, health and opportunities."""

from __future__ import annotations

import argparse
import asyncio
import time

from arbkit.config import load_config
from arbkit.errors import ArbkitError


async def run_record(args: argparse.Namespace) -> int:
    from arbkit.recording import Recorder
    from arbkit.runtime.session import connect

    config = load_config(args.config)
    symbols = args.symbols or None  # parsed and checked by argparse
    session = await connect(config, venue=not args.live, symbols=symbols, seed=args.seed, name="record")
    recorder = Recorder(args.out, depth=args.depth)
    try:
        if not session.exchanges:
            reasons = "; ".join(f"{s.exchange}: {s.reason}" for s in session.status())
            raise ArbkitError(f"no exchange could be started ({reasons})")
        recorder.attach(session)
        where = f"local venue {session.venue.origin}" if session.venue is not None else "live exchanges"
        names = ", ".join(session.exchanges)
        until = f"for {args.duration:g}s" if args.duration is not None else "until Ctrl-C"
        print(f"arbkit record | {where} | {names} | {args.out} | {until}", flush=True)
        started = time.monotonic()
        try:
            while args.duration is None or time.monotonic() - started < args.duration:
                left = 1.0 if args.duration is None else args.duration - (time.monotonic() - started)
                await asyncio.sleep(max(0.0, min(1.0, left)))
        except asyncio.CancelledError:
            pass
    finally:
        await recorder.close()
        await session.stop()
    rows = ", ".join(f"{name}={count}" for name, count in recorder.rows_written.items())
    print(f"recorded {rows} rows to {args.out}", flush=True)
    return 0
