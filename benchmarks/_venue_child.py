"""Where the fault campaign's venue and checker run: ``VenueProcess`` (a spawned child process, the default) or
``VenueInThread`` (a ``VenueThread`` in the session's own process). Both offer the surface the campaign uses:
``exchanges``/``origin``/``exchange_config(name)`` (read once at start) for ``connect``, ``await run(op, *args)`` for
named operations (the fault API and the checker's start/finish) run on the venue's loop, and ``hand_over(summary)``,
a one-way, never-blocking hand-over of each emitted update's summary to the checker.

A remote exchange holds no GIL and no heap in the session's process; a venue thread does (the session's loop waits
for the venue's thread to hand the GIL back, and full collections walk the venue's objects), so the process is the
faithful setting for the event-loop block target. time.monotonic (CLOCK_MONOTONIC) is system-wide on Linux, so the
checker's frame-to-evaluation delays compare the child's send times with the session's emit times directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import pickle
import signal
import threading
import time
from collections import deque
from multiprocessing.connection import Connection
from typing import Any, Self

from _fault_checker import Checker, Emitted

from arbkit.config import ExchangeConfig
from arbkit.venue import LocalVenue, VenueThread
from arbkit.venue.protocols.kraken import corrupt_checksum

_START_TIMEOUT_S = 60.0  # spawning re-imports arbkit and ccxt: slow on a loaded machine
_BATCH_EVERY_S = 0.01  # the session's summaries go over in batches this often


def _operate(venue: LocalVenue, checker: Checker, op: str, args: tuple[Any, ...]) -> Any:
    """One named operation on the venue's loop (a plain result or an awaitable); unknown names are an error."""
    if op == "corrupt_checksum":
        return corrupt_checksum(venue, *args)
    if op == "disarm":  # no close-on-connect or close-on-subscribe left pending
        faults = venue.context(args[0]).hub.faults
        faults.close_on_connect = faults.close_on_subscribe = 0
        return None
    if op == "connections":  # the venue's open websockets
        return sum(len(venue.context(e).hub.connections) for e in venue.exchanges)
    if op == "checker_start":
        return checker.start()
    if op == "checker_finish":
        return _finished(checker)
    if op in ("skip_sequence", "burst", "stall", "drop_connections", "close_on_connect", "close_on_subscribe"):
        return getattr(venue, op)(*args)
    raise ValueError(f"venue operation {op!r} is not known")


async def _finished(checker: Checker) -> tuple[int, list[str], list[float]]:
    await checker.finish()
    return checker.comparisons, checker.divergent, checker.delays_ms


class VenueInThread:
    """The venue and checker on a ``VenueThread`` in this process: summaries go straight into the checker's inbox."""

    where = "thread"

    def __init__(self, exchanges: list[str], depth: int, **venue_kwargs: Any) -> None:
        self._thread = VenueThread(exchanges, **venue_kwargs)
        self._depth = depth
        self._checker: Checker | None = None

    async def __aenter__(self) -> Self:
        await self._thread.start()
        self._checker = Checker(self._thread.venue, self._depth)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._thread.close()

    @property
    def exchanges(self) -> list[str]:
        return self._thread.exchanges

    @property
    def origin(self) -> str:
        return self._thread.origin

    @property
    def alive(self) -> bool:
        return self._thread.alive

    def exchange_config(self, name: str) -> ExchangeConfig:
        return self._thread.exchange_config(name)

    async def run(self, op: str, *args: Any) -> Any:
        assert self._checker is not None
        return await self._thread.run(_operate, self._thread.venue, self._checker, op, args)

    def hand_over(self, summary: Emitted) -> None:
        assert self._checker is not None
        self._checker.inbox.append(summary)  # a deque: thread-safe appends


class VenueProcess:
    """The venue and checker in a spawned child process. Requests and replies share one pipe (read on the session's
    loop with ``add_reader``); summaries go one way over another, batched by a sender thread, so IPC never blocks
    the session's loop. The child ignores Ctrl-C and stops when asked or when its pipes close (the parent died)."""

    where = "process"

    def __init__(self, exchanges: list[str], depth: int, **venue_kwargs: Any) -> None:
        self.exchanges = [str(e).lower() for e in exchanges]
        self.origin = ""
        self._args = (self.exchanges, depth, venue_kwargs)
        self._configs: dict[str, ExchangeConfig] = {}
        self._process: multiprocessing.process.BaseProcess | None = None
        self._calls: Connection | None = None
        self._replies: dict[int, asyncio.Future[Any]] = {}
        self._next = 0
        self._batch: deque[tuple[Any, ...]] = deque()  # appended on the session's loop, emptied by the sender
        self._batches = 0
        self._sender: threading.Thread | None = None
        self._sending = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def __aenter__(self) -> Self:
        try:
            await self._start()
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    def exchange_config(self, name: str) -> ExchangeConfig:
        try:
            return self._configs[name.lower()]
        except KeyError:
            served = ", ".join(self._configs) or "nothing (not started)"
            raise ValueError(f"venue process: exchange {name!r} is not served (serving: {served})") from None

    async def _start(self) -> None:
        ctx = multiprocessing.get_context("spawn")  # never fork a process that already runs threads
        calls, child_calls = ctx.Pipe()
        summaries, child_summaries = ctx.Pipe(duplex=False)
        self._calls = calls
        self._process = ctx.Process(
            target=_child_main, args=(child_calls, summaries, *self._args), name="arbkit-venue", daemon=True
        )
        self._process.start()
        child_calls.close()
        summaries.close()
        self._loop = loop = asyncio.get_running_loop()
        ready: asyncio.Future[Any] = loop.create_future()
        self._replies[-1] = ready
        loop.add_reader(calls.fileno(), self._on_reply)
        self.origin, self._configs = await asyncio.wait_for(ready, _START_TIMEOUT_S)
        self._sending.set()
        self._sender = threading.Thread(
            target=self._send_loop, args=(child_summaries,), name="campaign-sender", daemon=True
        )
        self._sender.start()

    def _on_reply(self) -> None:
        calls = self._calls
        assert calls is not None
        try:
            while calls.poll():
                ident, ok, value = calls.recv()
                future = self._replies.pop(ident, None)
                if future is not None and not future.done():
                    future.set_result(value) if ok else future.set_exception(value)
        except (EOFError, OSError):  # the child ended: fail whatever waits for it
            assert self._loop is not None
            self._loop.remove_reader(calls.fileno())
            for future in self._replies.values():
                if not future.done():
                    future.set_exception(RuntimeError("venue process ended unexpectedly"))
            self._replies.clear()

    async def run(self, op: str, *args: Any) -> Any:
        """The named operation ``op(*args)`` run on the child's venue loop; its result or exception."""
        if self._calls is None or self._loop is None or not self.alive:
            raise RuntimeError("venue process: not running")
        if op == "checker_finish":  # every summary handed over is checked first
            self._stop_sender()
            args = (self._batches,)
        self._next += 1
        future: asyncio.Future[Any] = self._loop.create_future()
        self._replies[self._next] = future
        self._calls.send((self._next, op, args))  # a few bytes: the pipe never fills
        return await future

    def hand_over(self, summary: Emitted) -> None:
        self._batch.append(tuple(summary))  # deque appends and pops are thread-safe

    def _send_loop(self, out: Connection) -> None:
        try:
            while True:
                running = self._sending.is_set()
                queued = self._batch
                batch = [queued.popleft() for _ in range(len(queued))]
                if batch:
                    out.send_bytes(pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL))
                    self._batches += 1
                if not running:
                    return
                time.sleep(_BATCH_EVERY_S)
        except OSError:  # the child is gone: nothing left to hand over to
            return
        finally:
            out.close()

    def _stop_sender(self) -> None:
        self._sending.clear()
        if self._sender is not None:
            self._sender.join(5.0)
            self._sender = None

    async def close(self) -> None:
        """Ask the child to close its venue and exit; terminate it if it does not within a few seconds. Idempotent."""
        self._stop_sender()
        process, calls = self._process, self._calls
        if process is None:
            return
        if calls is not None and process.is_alive():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.run("exit"), 15.0)
        await asyncio.to_thread(process.join, 10.0)
        if process.is_alive():
            process.terminate()
            await asyncio.to_thread(process.join, 5.0)
        if process.is_alive():
            process.kill()
            await asyncio.to_thread(process.join, 5.0)
        if calls is not None:
            if self._loop is not None:
                with contextlib.suppress(Exception):
                    self._loop.remove_reader(calls.fileno())
            calls.close()
            self._calls = None


# ---------------------------------------------------------------------------------------------------- the child
def _child_main(calls: Connection, summaries: Connection, exchanges: list[str], depth: int, kwargs: Any) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent stops the child
    asyncio.run(_child(calls, summaries, exchanges, depth, kwargs))


async def _child(calls: Connection, summaries: Connection, exchanges: list[str], depth: int, kwargs: Any) -> None:
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()
    async with LocalVenue(exchanges, **kwargs) as venue:
        checker = Checker(venue, depth)
        received = [0]
        calls.send((-1, True, (venue.origin, {n: venue.exchange_config(n) for n in venue.exchanges})))
        tasks: set[asyncio.Task[None]] = set()

        def on_summaries() -> None:
            try:
                while summaries.poll():
                    checker.inbox.extend(Emitted(*s) for s in pickle.loads(summaries.recv_bytes()))
                    received[0] += 1
            except (EOFError, OSError):
                loop.remove_reader(summaries.fileno())

        def on_call() -> None:
            try:
                while calls.poll():
                    ident, op, args = calls.recv()
                    if op == "exit":
                        calls.send((ident, True, None))
                        done.done() or done.set_result(None)
                        return
                    task = loop.create_task(_serve(ident, op, args))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
            except (EOFError, OSError):  # the parent is gone
                loop.remove_reader(calls.fileno())
                done.done() or done.set_result(None)

        async def _serve(ident: int, op: str, args: tuple[Any, ...]) -> None:
            try:
                if op == "checker_finish":
                    while received[0] < args[0]:  # noqa: ASYNC110 (the summaries still in the pipe come first)
                        await asyncio.sleep(0.01)
                    args = ()
                result = _operate(venue, checker, op, args)
                if asyncio.iscoroutine(result):
                    result = await result
                reply = (ident, True, result)
            except Exception as exc:
                reply = (ident, False, exc)
            try:
                calls.send(reply)
            except OSError:  # the parent is gone
                return
            except Exception as exc:  # a result or an exception that does not pickle: still an answer
                with contextlib.suppress(OSError):
                    calls.send((ident, False, RuntimeError(f"venue operation {op!r}: {reply[2]!r} ({exc})")))

        loop.add_reader(summaries.fileno(), on_summaries)
        loop.add_reader(calls.fileno(), on_call)
        await done
        loop.remove_reader(summaries.fileno())
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await checker.finish()
