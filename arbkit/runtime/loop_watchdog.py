"""Event-loop watchdog: measures how long the loop goes without running a callback and, when a block passes
``warn_after`` seconds, logs one warning naming what the loop thread was running (its innermost frames)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import threading
import time
import traceback

log = logging.getLogger(__name__)


class LoopWatchdog:
    """A ticker task on the loop plus a daemon thread watching it; ``longest_block_ms`` is the worst lag seen."""

    def __init__(self, warn_after: float = 1.0, interval: float = 0.02) -> None:
        self.warn_after = warn_after
        self.interval = interval
        self.longest_block_ms = 0.0
        self.warnings = 0
        self._beat = time.monotonic()
        self._task: asyncio.Task[None] | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._loop_thread = threading.get_ident()

    def start(self) -> None:
        if self._task is not None:
            return
        self._loop_thread = threading.get_ident()
        self._beat = time.monotonic()
        self._task = asyncio.get_running_loop().create_task(self._tick(), name="arbkit-loop-watchdog")
        self._stop.clear()
        self._thread = threading.Thread(target=self._watch, name="arbkit-loop-watchdog", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._thread is not None:
            self._thread.join(timeout=1.0)
            self._thread = None

    async def _tick(self) -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(self.interval)
            now = time.monotonic()
            self._beat = now
            lag_ms = (now - before - self.interval) * 1000.0
            if lag_ms > self.longest_block_ms:
                self.longest_block_ms = lag_ms

    def _watch(self) -> None:
        warned_for = None
        while not self._stop.wait(0.1):
            beat = self._beat
            blocked = time.monotonic() - beat
            if blocked < self.warn_after or warned_for == beat:
                continue
            warned_for = beat
            self.warnings += 1
            log.warning("event loop blocked for %.1fs, running: %s", blocked, self.running())

    def running(self) -> str:
        """The loop thread's innermost frames, innermost last (what a block is spending its time in)."""
        frame = sys._current_frames().get(self._loop_thread)
        if frame is None:
            return "(loop thread not found)"
        stack = traceback.extract_stack(frame)[-4:]
        return " <- ".join(f"{f.name} ({f.filename.rsplit('/', 1)[-1]}:{f.lineno})" for f in reversed(stack))
