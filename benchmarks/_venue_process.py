"""Start ``arbkit venue`` in a child process (so its CPU is not counted) and read its origin URL."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import time
from collections.abc import Iterator


@contextlib.contextmanager
def venue_process(exchanges: str, interval: float, seed: int = 7) -> Iterator[str]:
    cmd = [sys.executable, "-m", "arbkit", "venue", "--exchanges", exchanges, "--interval", str(interval),
           "--seed", str(seed)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        origin = None
        assert proc.stdout is not None
        while origin is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"venue exited early with code {proc.poll()}")
            match = re.search(r"http://127\.0\.0\.1:\d+", line)
            origin = match.group(0) if match else None
        if origin is None:
            raise RuntimeError("venue did not print its URL in time")
        yield origin
    finally:
        proc.terminate()
        proc.wait(10)
