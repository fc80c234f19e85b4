"""The session's event-loop watchdog: one warning per block over a second, naming what was running."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from arbkit.runtime.loop_watchdog import LoopBlock, LoopWatchdog


def _hog_the_loop(seconds: float) -> None:
    time.sleep(seconds)  # a blocking call in a coroutine: exactly what the watchdog is for


async def test_a_blocked_loop_gives_one_warning_naming_the_blocker(caplog: pytest.LogCaptureFixture) -> None:
    watchdog = LoopWatchdog(warn_after=1.0)
    watchdog.start()
    try:
        await asyncio.sleep(0.1)
        with caplog.at_level(logging.WARNING, logger="arbkit.runtime.loop_watchdog"):
            _hog_the_loop(1.5)
            await asyncio.sleep(0.3)
    finally:
        await watchdog.stop()
    warnings = [r.getMessage() for r in caplog.records if r.name == "arbkit.runtime.loop_watchdog"]
    assert len(warnings) == 1 and watchdog.warnings == 1, warnings
    assert "_hog_the_loop" in warnings[0]
    assert watchdog.longest_block_ms >= 1000.0


async def test_a_responsive_loop_gives_no_warning() -> None:
    watchdog = LoopWatchdog(warn_after=1.0)
    watchdog.start()
    try:
        for _ in range(10):
            await asyncio.sleep(0.02)
    finally:
        await watchdog.stop()
    assert watchdog.warnings == 0


async def test_a_block_the_loop_thread_slept_through_is_not_counted_as_work() -> None:
    watchdog = LoopWatchdog(warn_after=5.0)
    watchdog.start()
    try:
        await asyncio.sleep(0.05)
        _hog_the_loop(0.3)  # off the CPU: like a process the OS does not schedule, or a GIL held elsewhere
        await asyncio.sleep(0.05)
    finally:
        await watchdog.stop()
    longest = watchdog.longest
    assert longest.ms >= 250.0  # the sleep less the part of a tick interval it overlapped
    assert longest.loop_cpu_ms < longest.ms / 2 and not longest.busy
    assert watchdog.longest_busy.ms < longest.ms
    assert "_hog_the_loop" in longest.running  # sampled while it lasted


def test_a_block_is_busy_when_the_loop_thread_worked_through_most_of_it() -> None:
    assert LoopBlock(ms=120.0, cpu_ms=118.0, loop_cpu_ms=110.0).busy
    assert not LoopBlock(ms=120.0, cpu_ms=118.0, loop_cpu_ms=20.0).busy  # another thread held the GIL
    assert not LoopBlock(ms=500.0, cpu_ms=7.0, loop_cpu_ms=5.0).busy  # the process was not scheduled


def test_a_block_names_where_most_of_it_went() -> None:
    assert LoopBlock(ms=120.0, cpu_ms=118.0, loop_cpu_ms=110.0).cause == "loop work"
    assert LoopBlock(ms=120.0, cpu_ms=118.0, loop_cpu_ms=20.0).cause == "other threads"
    assert LoopBlock(ms=500.0, cpu_ms=7.0, loop_cpu_ms=5.0).cause == "process not running"
