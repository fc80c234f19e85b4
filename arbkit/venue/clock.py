"""The venue's clock per exchange: the real time plus a skew armed with ``LocalVenue.set_clock_skew``.

An exchange whose clock is off answers its server-time endpoint and checks request timestamps (Binance/MEXC
``recvWindow``, Gate.io ``Timestamp``, Kraken ``deadline``) against its own time, so a client with a correct clock
sees exactly what it would see against an exchange (or from a machine) whose clock drifted. The skew of the exchange
serving a request is held in a context variable set by a middleware on that exchange's routes.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from aiohttp import web

__all__ = ["clock_middleware", "venue_ms", "venue_time"]

_skew_ms: ContextVar[int] = ContextVar("venue_clock_skew_ms", default=0)


def venue_time() -> float:
    """The serving exchange's time, in epoch seconds."""
    return time.time() + _skew_ms.get() / 1000.0


def venue_ms() -> int:
    """The serving exchange's time, in epoch milliseconds."""
    return int(time.time() * 1000) + _skew_ms.get()


def clock_middleware(skew_ms: Callable[[], int]) -> Any:
    """An aiohttp middleware running every request of one exchange on that exchange's clock."""

    @web.middleware
    async def middleware(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        _skew_ms.set(skew_ms())
        return await handler(request)

    return middleware
