"""Both legs signed before either is sent: a barrier at the point where ccxt hands a signed request to HTTP.

On one event loop the two legs' tasks run one after the other, and each runs from its back-end call through
ccxt's request building and signing to the socket write without yielding. Without a barrier the second leg's
building and signing only start after the first leg is on the wire, so the gap between the legs is a whole
leg's client time. With ``legs_together(2)`` around the creation of the two leg tasks, each leg waits, signed,
at ccxt's ``fetch`` until the other has signed too; then both are written back to back.

API: ``with legs_together(n): <create the n leg tasks>``; ``hold_at_wire(client)`` (once per ccxt client, by
``PrivateBackend``); ``released(coro)`` wraps a leg's coroutine so a leg that ends before reaching the wire (a
refusal, a back-end without the hook) never keeps the others waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine, Iterator
from contextvars import ContextVar
from typing import Any, TypeVar

__all__ = ["LegBarrier", "hold_at_wire", "legs_together", "released"]

T = TypeVar("T")
_BARRIER: ContextVar[LegBarrier | None] = ContextVar("arbkit_leg_barrier", default=None)
_HOOKED = "_arbkit_wire_barrier"


class LegBarrier:
    """``n`` legs; each ``arrive`` (signed, about to be sent) waits until all have arrived or left."""

    def __init__(self, n: int) -> None:
        self.left = n
        self.ready = asyncio.Event()

    def _one_less(self) -> None:
        self.left -= 1
        if self.left <= 0:
            self.ready.set()

    async def arrive(self) -> None:
        self._one_less()
        if not self.ready.is_set():
            await self.ready.wait()


@contextlib.contextmanager
def legs_together(n: int) -> Iterator[LegBarrier]:
    """Tasks created inside share one barrier of ``n`` legs (each task copies the context it is created in)."""
    barrier = LegBarrier(n)
    token = _BARRIER.set(barrier)
    try:
        yield barrier
    finally:
        _BARRIER.reset(token)


async def released(coro: Coroutine[Any, Any, T]) -> T:
    """Run one leg; if it ends without having reached the wire, count it as arrived so no other leg waits on it."""
    try:
        return await coro
    finally:
        barrier = _BARRIER.get()
        if barrier is not None:  # still set: this leg never reached the hooked fetch
            _BARRIER.set(None)
            barrier._one_less()


def hold_at_wire(client: Any) -> None:
    """Make ``client.fetch`` (ccxt's last step before HTTP, after signing) wait at the current leg barrier once."""
    if client is None or getattr(client, _HOOKED, False) or not hasattr(client, "fetch"):
        return
    fetch = client.fetch

    async def held(url: str, method: str = "GET", headers: Any = None, body: Any = None) -> Any:
        barrier = _BARRIER.get()
        if barrier is not None:  # the first request of a leg: its order, signed
            _BARRIER.set(None)
            await barrier.arrive()
        return await fetch(url, method, headers, body)

    client.fetch = held
    setattr(client, _HOOKED, True)
