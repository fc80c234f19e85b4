"""``arbkit venue``: run the local venue alone and print its URLs until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import errno

from arbkit.errors import ConfigurationError


async def run_venue(args: argparse.Namespace) -> int:
    from arbkit.venue import LocalVenue

    venue = LocalVenue(args.exchanges, seed=args.seed, update_interval=args.interval, port=args.port)
    try:
        await venue.start()
    except OSError as exc:
        await venue.close()
        why = "already in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
        raise ConfigurationError(f"--port {args.port}: cannot listen on 127.0.0.1:{args.port}: {why}") from None
    try:
        for name in venue.exchanges:
            cfg = venue.exchange_config(name)
            private = cfg.settings.get("private_websocket_url")
            extra = f" private_ws={private}" if private else ""
            print(f"{name}: rest={cfg.base_url} ws={cfg.websocket_url}{extra}", flush=True)
        print("local venue running; Ctrl-C to stop", flush=True)
        await asyncio.Event().wait()
    finally:
        await venue.close()
    return 0
