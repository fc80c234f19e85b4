"""Start ``arbkit venue`` in a child process (so its CPU is not counted) and read each exchange's URLs."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import time
from collections.abc import Iterator

from arbkit.config import ExchangeConfig

_LINE = re.compile(r"^(\w+): rest=(\S+) ws=(\S+)(?: private_ws=(\S+))?")


@contextlib.contextmanager
def venue_process(exchanges: list[str], interval: float, seed: int = 7) -> Iterator[dict[str, ExchangeConfig]]:
    """Public (credential-less) configs of every exchange the child venue serves."""
    cmd = [
        sys.executable,
        "-m",
        "arbkit",
        "venue",
        "--exchanges",
        ",".join(exchanges),
        "--interval",
        str(interval),
        "--seed",
        str(seed),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        configs: dict[str, ExchangeConfig] = {}
        deadline = time.monotonic() + 30
        assert proc.stdout is not None
        while len(configs) < len(exchanges) and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"venue exited early with code {proc.poll()}")
            match = _LINE.match(line.strip())
            if match:
                name, rest, ws, private = match.groups()
                settings = {"private_websocket_url": private} if private else {}
                configs[name] = ExchangeConfig(name=name, base_url=rest, websocket_url=ws, settings=settings)
        if len(configs) < len(exchanges):
            raise RuntimeError("venue did not print its URLs in time")
        yield configs
    finally:
        proc.terminate()
        proc.wait(10)
