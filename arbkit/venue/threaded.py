"""VenueThread: a LocalVenue on its own event loop in its own thread, inside the caller's process.

A session measured for event-loop blocks must not share its loop with the venue serving it: the venue's frame
encoding, compression and matching would count as the session's blocks. ``async with VenueThread([...]) as vt:``
starts the venue in a daemon thread; ``vt.exchange_config(name)`` (read once at start) points arbkit at it, and every
other access to the venue goes through ``await vt.run(fn, *args)`` / ``vt.call(...)`` / ``vt.call_soon(...)``, which
run ``fn`` on the venue's loop, so no object of the venue is touched from two threads.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import inspect
import threading
from collections.abc import Callable
from typing import Any, Self

from arbkit.config import ExchangeConfig
from arbkit.errors import ArbkitError
from arbkit.venue.server import LocalVenue

__all__ = ["VenueThread"]

_START_TIMEOUT_S = 30.0


class VenueThread:
    """A LocalVenue (same arguments) running in a thread with its own loop; thread-safe access by ``run``/``call``."""

    def __init__(self, exchanges: list[str] | tuple[str, ...] = ("binance",), **venue_kwargs: Any) -> None:
        self.exchanges = [str(e).lower() for e in exchanges]
        self._kwargs = venue_kwargs
        self._venue: LocalVenue | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._configs: dict[str, ExchangeConfig] = {}
        self.origin = ""
        self._ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._done: concurrent.futures.Future[None] = concurrent.futures.Future()

    # ------------------------------------------------------------------ lifecycle
    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __enter__(self) -> Self:
        self._spawn()
        self._ready.result(_START_TIMEOUT_S)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._stop_loop():
            self._done.result(_START_TIMEOUT_S)
        self._join()

    async def start(self) -> None:
        """Start the thread and wait (without blocking the caller's loop) until the venue serves."""
        self._spawn()
        try:
            await asyncio.wait_for(asyncio.wrap_future(self._ready), _START_TIMEOUT_S)
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Close the venue on its own loop, stop that loop and wait for the thread to end; safe to call twice."""
        self._stop_loop()
        if self._thread is not None:
            await asyncio.wait_for(asyncio.wrap_future(self._done), _START_TIMEOUT_S)
        self._join()

    @property
    def alive(self) -> bool:
        """True while the venue's thread runs."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def venue(self) -> LocalVenue:
        """The LocalVenue itself: pass its methods to ``run``/``call``; never call them from another thread."""
        if self._venue is None:
            raise ArbkitError("venue thread: not started (use `async with VenueThread(...)`)")
        return self._venue

    def exchange_config(self, name: str) -> ExchangeConfig:
        """An ExchangeConfig pointing at the venue's exchange ``name`` (read on the venue's thread at start)."""
        try:
            return self._configs[name.lower()]
        except KeyError:
            served = ", ".join(self._configs) or "nothing (not started)"
            raise ValueError(f"local venue thread: exchange {name!r} is not served (serving: {served})") from None

    def _spawn(self) -> None:
        if self._thread is not None:
            raise ArbkitError("venue thread: already started (one VenueThread runs one venue)")
        self._thread = threading.Thread(target=self._main, name="arbkit-venue", daemon=True)
        self._thread.start()

    def _join(self) -> None:
        """The thread has set ``_done`` (its last act): wait the instant it takes to end."""
        if self._thread is not None and self._done.done():
            self._thread.join(1.0)

    def _stop_loop(self) -> bool:
        """Ask the venue's loop to close the venue and stop; False if it never ran or has already stopped."""
        loop = self._loop
        if loop is None or self._done.done():
            return False
        with contextlib.suppress(RuntimeError):  # the loop closed on its own (start failed)
            loop.call_soon_threadsafe(lambda: loop.create_task(self._shutdown(loop)))
        return True

    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            try:
                loop.run_until_complete(self._open())
            except BaseException as exc:
                self._ready.set_exception(exc)
                return
            self._ready.set_result(None)
            loop.run_forever()
        finally:
            with contextlib.suppress(Exception):
                _cancel_all(loop)
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            self._done.set_result(None)

    async def _open(self) -> None:
        venue = LocalVenue(self.exchanges, **self._kwargs)
        await venue.start()
        self._venue = venue
        self.origin = venue.origin
        self._configs = {name: venue.exchange_config(name) for name in venue.exchanges}

    async def _shutdown(self, loop: asyncio.AbstractEventLoop) -> None:
        try:
            if self._venue is not None:
                await self._venue.close()
        finally:
            loop.stop()

    # ------------------------------------------------------------------ crossing threads
    def submit(self, fn: Callable[..., Any], *args: Any) -> concurrent.futures.Future[Any]:
        """Run ``fn(*args)`` on the venue's loop (awaiting it there if it returns an awaitable); its future."""
        loop = self._loop
        if loop is None or not self._ready.done() or self._done.done():
            raise ArbkitError("venue thread: not running (start it first; it cannot be used after close)")
        return asyncio.run_coroutine_threadsafe(_invoke(fn, args), loop)

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` on the venue's loop, its result (or exception) back on the caller's loop."""
        return await asyncio.wrap_future(self.submit(fn, *args))

    def call(self, fn: Callable[..., Any], *args: Any, timeout: float = 10.0) -> Any:
        """``fn(*args)`` on the venue's loop, blocking the calling thread until it returns (not from the venue's
        thread itself, which would wait for itself)."""
        if threading.current_thread() is self._thread:
            raise ArbkitError("venue thread: call() from the venue's own thread would deadlock; call fn directly")
        return self.submit(fn, *args).result(timeout)

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        """Queue ``fn(*args)`` (a plain function) on the venue's loop, in the order queued; no result, no wait."""
        loop = self._loop
        if loop is None or self._done.done():
            raise ArbkitError("venue thread: not running")
        loop.call_soon_threadsafe(fn, *args)


async def _invoke(fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    result = fn(*args)
    if inspect.isawaitable(result):
        result = await result
    return result


def _cancel_all(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what is still scheduled on the venue's loop (a close that failed half-way) and let it unwind."""
    tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in tasks:
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
