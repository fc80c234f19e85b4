"""arbkit's one source of "now" in epoch milliseconds: the wall clock, unless a simulation installed its own.

Code that stamps journals, opportunities or risk decisions calls ``now_ms()``; a replay on recorded time runs under
``use_clock(fn)``, which holds for the calling task and every task it creates (a context variable, so concurrent
replays in threads or tasks never see each other's clock, and nothing global is changed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from time import time_ns

__all__ = ["now_ms", "use_clock"]

_CLOCK: ContextVar[Callable[[], int] | None] = ContextVar("arbkit_clock", default=None)


def now_ms() -> int:
    """Milliseconds since the epoch on the current clock (the wall clock by default)."""
    clock = _CLOCK.get()
    return time_ns() // 1_000_000 if clock is None else clock()


@contextmanager
def use_clock(clock: Callable[[], int]) -> Iterator[None]:
    """Within the block (and tasks created in it), ``now_ms()`` is ``clock()``."""
    token = _CLOCK.set(clock)
    try:
        yield
    finally:
        _CLOCK.reset(token)
