"""Simulated time for replays: an asyncio loop whose clock is recorded time, and the paper ``Clock`` on it.

``SimLoop`` never sleeps: when no callback is ready it jumps its clock to the earliest scheduled timer, so every
``asyncio.sleep``, ``wait_for`` timeout and paper latency elapses in recorded time, in order, as fast as the CPU
allows. Time only moves once every runnable coroutine has run to quiescence, which makes a replay exactly
reproducible; ``idle()`` lets a driver wait for that quiescence at the current instant. A loop with nothing
ready and nothing scheduled is deadlocked: it raises instead of hanging.
"""

from __future__ import annotations

import asyncio
import heapq
from typing import Any

__all__ = ["SimClock", "SimDeadlockError", "SimLoop"]


class SimDeadlockError(RuntimeError):
    """Every task waits on something no timer or callback will ever set."""


class SimLoop(asyncio.SelectorEventLoop):
    """An event loop on virtual time: seconds since ``epoch_ms`` (kept small, so float steps stay sub-microsecond)."""

    def __init__(self, epoch_ms: int = 0) -> None:
        super().__init__()
        self.epoch_ms = int(epoch_ms)
        self._sim_now = 0.0
        self._clock_resolution = 1e-6  # timers due within a microsecond run together
        self._idle: list[asyncio.Future[None]] = []

    def time(self) -> float:
        return self._sim_now

    def idle(self) -> asyncio.Future[None]:
        """Resolves once nothing else is runnable at the current instant (before time moves on)."""
        future: asyncio.Future[None] = self.create_future()
        self._idle.append(future)
        return future

    def idle_at(self, at_s: float) -> asyncio.Future[None]:
        """Resolves at loop time ``at_s`` (now, if past) once nothing else is runnable at that instant: every timer
        due before it has fired, and whatever they and the timers due at ``at_s`` set off has run."""
        if at_s <= self._sim_now:
            return self.idle()
        future: asyncio.Future[None] = self.create_future()
        self.call_at(at_s, self._idle.append, future)
        return future

    def _run_once(self) -> None:
        ready: Any = self._ready  # type: ignore[attr-defined]
        scheduled: list[Any] = self._scheduled  # type: ignore[attr-defined]
        if not ready and self._idle:  # quiescent at this instant: wake whoever waits for that, time stays
            waiting, self._idle = self._idle, []
            for future in waiting:
                if not future.done():
                    future.set_result(None)
        elif not ready and not self._stopping:  # type: ignore[attr-defined]
            while scheduled and scheduled[0]._cancelled:
                heapq.heappop(scheduled)._scheduled = False
                self._timer_cancelled_count -= 1  # type: ignore[attr-defined]
            if not scheduled:
                raise SimDeadlockError("replay: every task is waiting and no timer is due (simulated time stalled)")
            self._sim_now = max(self._sim_now, scheduled[0]._when)
        super()._run_once()  # type: ignore[misc]


class SimClock:
    """The paper ``Clock`` on a ``SimLoop``: ``now_ms`` is recorded time, ``sleep_until`` waits in it."""

    def __init__(self, loop: SimLoop) -> None:
        self._loop = loop
        self._epoch = loop.epoch_ms

    def now_ms(self) -> int:
        return self._epoch + round(self._loop._sim_now * 1000.0)

    async def sleep_until(self, at_ms: int) -> None:
        """Park the caller until simulated time reaches ``at_ms`` (at once, yielding, when it is already past)."""
        await asyncio.sleep(max((at_ms - self._epoch) / 1000.0 - self._loop._sim_now, 0.0))
