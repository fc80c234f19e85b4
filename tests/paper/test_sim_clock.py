"""SimLoop / SimClock: recorded time that jumps from timer to timer, waits for quiescence, never sleeps, and
refuses to hang; arbkit.clock.now_ms follows it inside use_clock."""

from __future__ import annotations

import asyncio

import pytest

from arbkit.clock import now_ms, use_clock
from arbkit.paper.sim_clock import SimClock, SimDeadlockError, SimLoop

EPOCH = 1_700_000_000_000


def _run(main: object) -> object:
    with asyncio.Runner(loop_factory=lambda: SimLoop(EPOCH)) as runner:
        return runner.run(main)  # type: ignore[arg-type]


def test_timers_fire_in_recorded_order_without_waiting() -> None:
    async def main() -> list[tuple[str, int]]:
        clock = SimClock(asyncio.get_running_loop())  # type: ignore[arg-type]
        seen: list[tuple[str, int]] = []

        async def after(ms: int, name: str) -> None:
            await clock.sleep_until(EPOCH + ms)
            seen.append((name, clock.now_ms() - EPOCH))

        with use_clock(clock.now_ms):
            await asyncio.gather(after(3_600_000, "hour"), after(25, "a"), after(60, "b"), after(25, "a2"))
            try:
                await asyncio.wait_for(asyncio.sleep(100.0), 2.0)  # a leg timeout, in recorded time
            except TimeoutError:
                seen.append(("timeout", now_ms() - EPOCH))
        seen.append(("outside", int(now_ms() > EPOCH + 10**9)))  # the wall clock again: years after EPOCH
        return seen

    seen = _run(main())  # an hour and more of recorded time, never slept through
    assert seen == [("a", 25), ("a2", 25), ("b", 60), ("hour", 3_600_000), ("timeout", 3_602_000), ("outside", 1)]


def test_idle_resolves_only_once_everything_runnable_now_has_run() -> None:
    async def main() -> list[str]:
        loop = asyncio.get_running_loop()
        assert isinstance(loop, SimLoop)
        order: list[str] = []

        async def chain(n: int) -> None:
            for i in range(n):
                await asyncio.sleep(0)
                order.append(f"step{i}")

        task = loop.create_task(chain(3))
        before = loop.time()
        await loop.idle()
        order.append("idle")
        assert loop.time() == before and task.done()
        return order

    assert _run(main()) == ["step0", "step1", "step2", "idle"]


def test_a_deadlock_raises_instead_of_hanging() -> None:
    async def main() -> None:
        await asyncio.get_running_loop().create_future()

    with pytest.raises(SimDeadlockError, match="simulated time stalled"):
        _run(main())
