"""Event-loop watchdog: measures how long the loop goes without running a callback and, when a block passes
``warn_after`` seconds, logs one warning naming what the loop thread was running (its innermost frames).

While a block lasts longer than ``sample_after`` the watching thread samples the loop thread's stack every
``sample_every`` seconds, so the longest block also says where its time went (``longest_block_running``) and how
much of it the process and the loop thread itself spent on the CPU: a loop thread on the CPU for most of a block is
busy with work (``longest_busy``); a process that was hardly on the CPU was starved by the OS scheduler, and a
process on the CPU while the loop thread was not means another thread held the GIL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import threading
import time
import traceback
from collections import Counter, deque

import msgspec

log = logging.getLogger(__name__)


class LoopBlock(msgspec.Struct, frozen=True):
    """One event-loop block: its length, the CPU time in it (whole process; the loop thread alone; both counted from
    the tick before it, so up to one ``interval`` more), what was sampled running in it and when it ended
    (``time.monotonic()``)."""

    ms: float = 0.0
    cpu_ms: float = 0.0
    loop_cpu_ms: float = 0.0
    running: str = ""
    at: float = 0.0

    @property
    def busy(self) -> bool:
        """The loop thread was on the CPU for at least half the block: the loop's own work, not starvation."""
        return self.loop_cpu_ms >= self.ms / 2.0

    @property
    def cause(self) -> str:
        """Where most of the block went: the loop thread's own work, other threads of the process (holding the GIL),
        or no thread of the process on the CPU (the OS ran other processes)."""
        other = self.cpu_ms - self.loop_cpu_ms
        idle = self.ms - self.cpu_ms
        return max((self.loop_cpu_ms, "loop work"), (other, "other threads"), (idle, "process not running"))[1]


class LoopWatchdog:
    """A ticker task on the loop plus a daemon thread watching it; ``longest_block_ms`` is the worst lag seen."""

    def __init__(
        self, warn_after: float = 1.0, interval: float = 0.02, sample_after: float = 0.04, sample_every: float = 0.005
    ) -> None:
        self.warn_after = warn_after
        self.interval = interval
        self.sample_after = sample_after
        self.sample_every = sample_every
        self.longest = LoopBlock()  # the longest block seen, whatever its cause
        self.longest_busy = LoopBlock()  # the longest one the loop thread spent working (``LoopBlock.busy``)
        self.slow: deque[LoopBlock] = deque(maxlen=200)  # the latest blocks of at least ``sample_after``
        self.warnings = 0
        self._beat = time.monotonic()
        self._samples: tuple[float, Counter[str]] = (0.0, Counter())  # (beat, stacks) of the block in progress
        self._task: asyncio.Task[None] | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._loop_thread = threading.get_ident()

    @property
    def longest_block_ms(self) -> float:
        return self.longest.ms

    @property
    def longest_block_cpu_ms(self) -> float:
        """Process CPU time spent during the longest block."""
        return self.longest.cpu_ms

    @property
    def longest_block_running(self) -> str:
        """The most sampled stacks during the longest block."""
        return self.longest.running

    @property
    def longest_block_at(self) -> float:
        """time.monotonic() when the longest block ended."""
        return self.longest.at

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
            cpu_before, loop_cpu_before = time.process_time(), time.thread_time()
            await asyncio.sleep(self.interval)
            now = time.monotonic()
            lag_ms = (now - before - self.interval) * 1000.0
            if lag_ms <= min(self.longest_busy.ms, self.sample_after * 1000.0):
                continue
            block = LoopBlock(
                lag_ms,
                (time.process_time() - cpu_before) * 1000.0,
                (time.thread_time() - loop_cpu_before) * 1000.0,
                self._sampled(before),
                now,
            )
            if lag_ms > self.longest.ms:
                self.longest = block
            if block.busy and lag_ms > self.longest_busy.ms:
                self.longest_busy = block
            if lag_ms >= self.sample_after * 1000.0:
                self.slow.append(block)

    def _sampled(self, beat: float) -> str:
        """The three most sampled stacks of the block that began at ``beat``, with their shares."""
        sampled_beat, stacks = self._samples
        if sampled_beat != beat or not stacks:
            return ""
        total = sum(stacks.values())
        return " | ".join(f"{n * 100 // total}%: {stack}" for stack, n in stacks.most_common(3))

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
