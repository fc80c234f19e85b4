"""Event-loop watchdog: measures how long the loop goes without running a callback and, when a block passes
``warn_after`` seconds, logs one warning naming what the loop thread was running (its innermost frames).

While a block lasts longer than ``sample_after`` the watching thread samples the loop thread's stack every
``sample_every`` seconds, so the longest block also says where its time went (``longest_block_running``) and how
much of it the process actually spent on the CPU (a loop starved by the OS scheduler is not a loop busy with work).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import threading
import time
import traceback
from collections import Counter

log = logging.getLogger(__name__)


class LoopWatchdog:
    """A ticker task on the loop plus a daemon thread watching it; ``longest_block_ms`` is the worst lag seen."""

    def __init__(
        self, warn_after: float = 1.0, interval: float = 0.02, sample_after: float = 0.04, sample_every: float = 0.005
    ) -> None:
        self.warn_after = warn_after
        self.interval = interval
        self.sample_after = sample_after
        self.sample_every = sample_every
        self.longest_block_ms = 0.0
        self.longest_block_cpu_ms = 0.0  # process CPU time spent during the longest block
        self.longest_block_running = ""  # the most sampled stacks during the longest block
        self.longest_block_at = 0.0  # time.monotonic() when the longest block ended
        self.warnings = 0
        self._beat = time.monotonic()
        self._samples: tuple[float, Counter[str]] = (0.0, Counter())  # (beat, stacks) of the block in progress
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
            before = self._beat = time.monotonic()
            cpu_before = time.process_time()
            await asyncio.sleep(self.interval)
            now = time.monotonic()
            lag_ms = (now - before - self.interval) * 1000.0
            if lag_ms > self.longest_block_ms:
                self.longest_block_ms = lag_ms
                self.longest_block_at = now
                self.longest_block_cpu_ms = (time.process_time() - cpu_before) * 1000.0
                beat, stacks = self._samples
                if beat == before and stacks:
                    total = sum(stacks.values())
                    self.longest_block_running = " | ".join(
                        f"{n * 100 // total}%: {stack}" for stack, n in stacks.most_common(3)
                    )
                else:
                    self.longest_block_running = ""

    def _watch(self) -> None:
        warned_for = None
        while not self._stop.wait(self.sample_every):
            beat = self._beat
            blocked = time.monotonic() - beat
            if blocked < self.sample_after:
                continue
            if self._samples[0] != beat:
                self._samples = (beat, Counter())
            self._samples[1][self.running(8)] += 1
            if blocked < self.warn_after or warned_for == beat:
                continue
            warned_for = beat
            self.warnings += 1
            log.warning("event loop blocked for %.1fs, running: %s", blocked, self.running())

    def running(self, depth: int = 4) -> str:
        """The loop thread's innermost ``depth`` frames, innermost first (what a block is spending its time in)."""
        frame = sys._current_frames().get(self._loop_thread)
        if frame is None:
            return "(loop thread not found)"
        try:  # the loop thread runs on while its frames are read: a frame can finish under us
            stack = traceback.extract_stack(frame)[-depth:]
        except Exception:
            return "(stack changed while read)"
        return " <- ".join(f"{f.name} ({f.filename.rsplit('/', 1)[-1]}:{f.lineno})" for f in reversed(stack))
