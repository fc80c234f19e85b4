"""The wall clock: now in milliseconds, sleep_until waits the remaining time and never for a past instant."""

import time

from arbkit.paper.clock import Clock, WallClock


async def test_wall_clock_now_and_sleep_until() -> None:
    clock: Clock = WallClock()
    before = int(time.time() * 1000)
    now = clock.now_ms()
    assert before <= now <= int(time.time() * 1000)
    target = now + 20
    await clock.sleep_until(target)
    assert clock.now_ms() >= target
    await clock.sleep_until(now - 10_000)  # in the past: returns at once (a hang would fail the run)
