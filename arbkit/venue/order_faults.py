"""Execution faults of one exchange on the local venue: order latency, a dropped acknowledgement, the next order
rejected with the exchange's own error, and the next IOC filled only in part.

The engine consults the reject and partial-fill faults when it places an order; every protocol wraps its order-entry
routes with :meth:`OrderFaults.entry`, which applies the latency before the handler acts and drops the answer of an
order the handler accepted. Faults are armed through ``LocalVenue`` (``set_order_latency``, ``drop_next_ack``, ...).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from enum import StrEnum

from aiohttp import web

from arbkit.venue.orders import ErrorKind

__all__ = ["AckDrop", "OrderFaults"]

RouteHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# set per order-entry request: the orders the engine accepted while serving it (so concurrent requests never mix)
_accepted_here: ContextVar[list[int] | None] = ContextVar("venue_accepted_here", default=None)


class AckDrop(StrEnum):
    """How an accepted order's answer is lost: the TCP connection reset, or no answer until the client gives up."""

    RESET = "reset"
    SILENCE = "silence"


class OrderFaults:
    """The armed execution faults of one exchange (one-shot, except the latency, which stays until changed)."""

    def __init__(self) -> None:
        self.latency = 0.0
        self._drop: AckDrop | None = None
        self._reject: ErrorKind | None = None
        self._partial: float | None = None
        self._pending: set[asyncio.Task[web.StreamResponse]] = set()

    # ------------------------------------------------------------------ arming

    def set_latency(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"order latency must be >= 0 seconds, got {seconds}")
        self.latency = float(seconds)

    def drop_next_ack(self, mode: AckDrop | str = AckDrop.RESET) -> None:
        self._drop = AckDrop(mode)

    def reject_next(self, kind: ErrorKind) -> None:
        self._reject = kind

    def partial_next(self, fraction: float) -> None:
        if not 0.0 < fraction < 1.0:
            raise ValueError(f"partial fill fraction must be in (0, 1), got {fraction}")
        self._partial = float(fraction)

    def clear(self) -> None:
        self.latency, self._drop, self._reject, self._partial = 0.0, None, None, None

    async def close(self) -> None:
        """Cancel order-entry requests still waiting out their latency (the venue is shutting down)."""
        pending = list(self._pending)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    # ------------------------------------------------------------------ consumed by the engine

    @staticmethod
    def note_accepted(order_id: int) -> None:
        """The engine accepted an order: tell the order-entry request being served, if any."""
        box = _accepted_here.get()
        if box is not None:
            box.append(order_id)

    def take_reject(self) -> ErrorKind | None:
        kind, self._reject = self._reject, None
        return kind

    def take_partial(self) -> float | None:
        fraction, self._partial = self._partial, None
        return fraction

    # ------------------------------------------------------------------ order-entry routes

    def entry(self, handler: RouteHandler) -> RouteHandler:
        """Wrap an order-entry route: wait ``latency`` before acting, and lose the answer of an accepted order.

        The handler runs shielded, so a client that times out while the venue waits still leaves the order placed,
        as on a real exchange.
        """

        async def run(request: web.Request) -> web.StreamResponse:
            await request.read()  # the whole request has arrived (aiohttp keeps it) before any wait
            accepted: list[int] = []

            async def act() -> web.StreamResponse:
                _accepted_here.set(accepted)
                if self.latency > 0:
                    await asyncio.sleep(self.latency)
                return await handler(request)

            task = asyncio.ensure_future(act())
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)
            response = await asyncio.shield(task)
            if self._drop is None or not accepted:
                return response
            mode, self._drop = self._drop, None
            if mode is AckDrop.SILENCE:
                # the transport offers no close event: poll until the client gives up and closes it
                while request.transport is not None and not request.transport.is_closing():  # noqa: ASYNC110
                    await asyncio.sleep(0.02)
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError()  # nothing goes back: the connection is gone

        return run
