"""The kill switch: halt new executions, cancel every open order on every venue, arm the exchanges' dead-man
switches, and say how long it took until no order was open anywhere.

Triggers: ``trip(reason)`` (the API, Ctrl-C or SIGTERM in ``arbkit run``), the executor's alarms (a STUCK
execution, the daily loss limit) and ``watch()``, which trips when a private stream stays down longer than
``private_stream_timeout_ms``. HALTED still lets the executor finish what is in flight with orders that reduce
exposure (hedges and unwinds); it starts nothing new.
"""

from __future__ import annotations

import asyncio
import logging

import msgspec

from arbkit.execution.executor import Executor
from arbkit.execution.journal import now_ms
from arbkit.execution.risk import TradingState

__all__ = ["KillReport", "KillSwitch"]

log = logging.getLogger(__name__)


class KillReport(msgspec.Struct, frozen=True):
    """What a trip did, per venue."""

    reason: str
    at_ms: int
    cancelled: dict[str, int]
    dead_man: dict[str, bool]
    errors: dict[str, str]
    open_after: dict[str, int]
    seconds_to_zero: float | None  # None when orders were still open at the deadline

    def line(self) -> str:
        cancelled = sum(self.cancelled.values())
        armed = ", ".join(n for n, ok in self.dead_man.items() if ok) or "none"
        when = "not reached" if self.seconds_to_zero is None else f"{self.seconds_to_zero * 1000:.0f} ms"
        errors = f"; errors: {'; '.join(f'{k}: {v}' for k, v in self.errors.items())}" if self.errors else ""
        return (
            f"HALTED ({self.reason}): {cancelled} orders cancelled, zero open after {when}, "
            f"dead-man armed on {armed}{errors}"
        )


class KillSwitch:
    """One per executor; registers itself for the executor's alarms."""

    def __init__(self, executor: Executor, deadline_s: float = 5.0) -> None:
        self.executor = executor
        self.deadline_s = deadline_s
        self.reports: list[KillReport] = []
        self._watch: asyncio.Task[None] | None = None
        executor.alarms.append(self._on_alarm)

    async def _on_alarm(self, kind: str, reason: str) -> None:
        await self.trip(f"{kind}: {reason}")

    @property
    def tripped(self) -> bool:
        return self.executor.state is TradingState.HALTED

    async def trip(self, reason: str) -> KillReport:
        """Halt, cancel everything everywhere, arm dead-man switches; safe to call again (it cancels again)."""
        start = asyncio.get_running_loop().time()
        ex = self.executor
        ex.set_state(TradingState.HALTED, reason)
        ex.journal.event("kill", reason)
        names = list(ex.backends)
        errors: dict[str, str] = {}

        async def guarded(name: str, what: str, coro: object) -> object:
            try:
                return await asyncio.wait_for(coro, self.deadline_s)  # type: ignore[arg-type]
            except Exception as exc:
                errors[name] = f"{what}: {str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__}"
                return None

        cancelled = await asyncio.gather(*(guarded(n, "cancel all", ex.backends[n].cancel_all()) for n in names))
        armed = await asyncio.gather(
            *(guarded(n, "dead-man", ex.backends[n].arm_dead_man(ex.config.dead_man_seconds)) for n in names)
        )
        open_after, seconds = await self._until_zero(start, errors)
        report = KillReport(
            reason=reason,
            at_ms=now_ms(),
            cancelled={n: int(c or 0) for n, c in zip(names, cancelled, strict=True)},
            dead_man={n: bool(a) for n, a in zip(names, armed, strict=True)},
            errors=errors,
            open_after=open_after,
            seconds_to_zero=seconds,
        )
        self.reports.append(report)
        ex.journal.event("kill_done", report.line())
        log.warning("%s", report.line())
        return report

    async def _until_zero(self, start: float, errors: dict[str, str]) -> tuple[dict[str, int], float | None]:
        """Poll every venue's open orders until none is open (cancelling stragglers) or the deadline passes."""
        ex = self.executor
        counts: dict[str, int] = {}

        async def sweep(name: str) -> None:
            backend = ex.backends[name]
            try:
                orders = await asyncio.wait_for(backend.open_orders(), self.deadline_s)
                counts[name] = len(orders)
                await asyncio.gather(*(backend.cancel(o.symbol, o.order_id) for o in orders))
            except Exception as exc:
                errors[name] = f"open orders: {str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__}"
                counts[name] = -1

        while True:
            await asyncio.gather(*(sweep(name) for name in ex.backends))
            if all(c == 0 for c in counts.values()):
                return counts, asyncio.get_running_loop().time() - start
            if asyncio.get_running_loop().time() - start > self.deadline_s:
                return counts, None
            await asyncio.sleep(0.02)

    # ------------------------------------------------------------------ private stream watchdog
    def watch(self, poll_s: float = 0.1) -> asyncio.Task[None]:
        """Start tripping when any private stream has been down longer than ``private_stream_timeout_ms``."""
        if self._watch is None or self._watch.done():
            self._watch = asyncio.get_running_loop().create_task(self._watch_streams(poll_s), name="arbkit-killswitch")
        return self._watch

    async def _watch_streams(self, poll_s: float) -> None:
        limit = self.executor.config.private_stream_timeout_ms / 1000.0
        down_since: dict[str, float] = {}
        while True:
            await asyncio.sleep(poll_s)
            now = asyncio.get_running_loop().time()  # the loop's clock: monotonic live, recorded time in a replay
            self.executor.review(now)  # drops age out of their window; bands and loss change with balances
            for name, backend in self.executor.backends.items():
                if backend.stream_up:
                    down_since.pop(name, None)
                    continue
                if name not in down_since:  # up -> down: one drop, counted for REDUCING (stream flapping)
                    self.executor.note_stream_drop(name, now)
                since = down_since.setdefault(name, now)
                if now - since > limit and not self.tripped:
                    await self.trip(f"{name} private stream down for more than {limit:g} s")

    async def stop(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            await asyncio.gather(self._watch, return_exceptions=True)
            self._watch = None
