"""A test guard against an event loop that stops yielding: a SIGALRM timer raises into whatever the loop is running
when no loop callback has run for ``limit`` seconds, so a spinning coroutine fails the test instead of hanging it."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class LoopBlocked(AssertionError):
    """The event loop ran no callback for longer than the guard's limit."""


@asynccontextmanager
async def loop_guard(limit: float = 2.0) -> AsyncIterator[list[float]]:
    """Yields the list of blocks seen (seconds); raises LoopBlocked into a loop that blocks for ``limit``."""
    loop = asyncio.get_running_loop()
    beat = [time.monotonic()]
    blocks: list[float] = []

    def tick() -> None:
        beat[0] = time.monotonic()
        handle[0] = loop.call_later(0.05, tick)

    def alarm(signum: int, frame: object) -> None:
        blocked = time.monotonic() - beat[0]
        if blocked > limit:
            blocks.append(blocked)
            beat[0] = time.monotonic()
            raise LoopBlocked(f"event loop blocked for {blocked:.1f}s")

    handle = [loop.call_later(0.05, tick)]
    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, 0.25, 0.25)
    try:
        yield blocks
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0, 0)
        signal.signal(signal.SIGALRM, previous)
        handle[0].cancel()
    assert not blocks, f"the event loop blocked {len(blocks)} time(s), up to {max(blocks):.1f}s"
