"""The clock paper trading runs on, and the book view it fills against.

A ``Clock`` is the one source of "now" for paper fills: ``WallClock`` for dry runs over live books, a simulated
clock (arbkit/paper/sim*.py) for replays, so the same back-end code serves both.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol

from arbkit.structs import OrderBook, Symbol

__all__ = ["BookView", "Clock", "WallClock"]


class Clock(Protocol):
    """Milliseconds since the epoch, and a way to wait until a given one."""

    def now_ms(self) -> int: ...

    async def sleep_until(self, at_ms: int) -> None: ...


BookView = Callable[[str, Symbol], OrderBook | None]
"""``(exchange, symbol) -> that book as it is NOW on the clock`` (None when there is no book)."""


class WallClock:
    """Real time: ``time.time()``; ``sleep_until`` sleeps the remaining time (returns at once if it is past)."""

    def now_ms(self) -> int:
        return int(time.time() * 1000)

    async def sleep_until(self, at_ms: int) -> None:
        remaining = at_ms - time.time() * 1000
        if remaining > 0:
            await asyncio.sleep(remaining / 1000.0)
        else:
            await asyncio.sleep(0)
