"""Fan-out of updates to callbacks and to bounded async iterators (slow consumers drop the oldest update)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from typing import Generic, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)
_CLOSED = object()


class Listeners(Generic[T]):
    def __init__(self, name: str) -> None:
        self.name = name
        self._callbacks: list[Callable[[T], None]] = []
        self._queues: list[asyncio.Queue[object]] = []
        self.dropped = 0

    def add(self, callback: Callable[[T], None]) -> Callable[[], None]:
        """Register a callback; returns the function that removes it."""
        self._callbacks.append(callback)
        return lambda: self._callbacks.remove(callback) if callback in self._callbacks else None

    def emit(self, item: T) -> None:
        for callback in self._callbacks:
            try:
                callback(item)
            except Exception:  # a consumer's bug must not stop the feed
                log.exception("%s listener %r failed", self.name, callback)
        if self._queues:  # (most fan-outs have callbacks only: no iterator per item for them)
            for queue in self._queues:
                if queue.full():
                    queue.get_nowait()
                    self.dropped += 1
                queue.put_nowait(item)

    async def stream(self, maxsize: int = 1024) -> AsyncIterator[T]:
        """Yield every update from now on until the source closes."""
        queue: asyncio.Queue[object] = asyncio.Queue(maxsize)
        self._queues.append(queue)
        try:
            while True:
                item = await queue.get()
                if item is _CLOSED:
                    return
                yield item  # type: ignore[misc]
        finally:
            if queue in self._queues:
                self._queues.remove(queue)

    def close(self) -> None:
        for queue in self._queues:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(_CLOSED)
        self._callbacks.clear()
