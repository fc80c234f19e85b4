"""Dead-man switches of the local venue: a countdown per account (and pair) that cancels its open orders when it fires.

Kraken's ``CancelAllOrdersAfter`` and Gate's ``countdown_cancel_all`` both arm one: every call resets the countdown,
a timeout of 0 disarms it, and when it fires the orders are really cancelled through the engine (so the private
streams report the cancels). A fired timer is gone until armed again, as on both exchanges.
"""

from __future__ import annotations

import asyncio
import logging

from arbkit.venue.engine import MatchingEngine
from arbkit.venue.orders import now_ms

__all__ = ["CancelTimers"]

log = logging.getLogger(__name__)


class CancelTimers:
    """Countdowns keyed by (api key, symbol or None for every symbol) over one exchange's engine."""

    def __init__(self, engine: MatchingEngine) -> None:
        self.engine = engine
        self._timers: dict[tuple[str, str | None], asyncio.TimerHandle] = {}
        self.fired: list[tuple[str, str | None, int]] = []  # (api key, symbol, orders cancelled)

    def arm(self, api_key: str, seconds: float, symbol: str | None = None) -> int | None:
        """(Re)start the countdown; 0 disarms it. Returns the trigger time in epoch ms, None when disarmed."""
        key = (api_key, symbol)
        old = self._timers.pop(key, None)
        if old is not None:
            old.cancel()
        if seconds <= 0:
            return None
        loop = asyncio.get_running_loop()
        self._timers[key] = loop.call_later(seconds, self._fire, key)
        return now_ms() + round(seconds * 1000)

    def armed(self, api_key: str, symbol: str | None = None) -> bool:
        return (api_key, symbol) in self._timers

    def _fire(self, key: tuple[str, str | None]) -> None:
        self._timers.pop(key, None)
        api_key, symbol = key
        try:
            cancelled = self.engine.cancel_all(api_key, symbol)
        except Exception:
            log.exception("%s: dead-man switch failed to cancel", self.engine.exchange)
            return
        self.fired.append((api_key, symbol, len(cancelled)))

    def close(self) -> None:
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
