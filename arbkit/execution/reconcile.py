"""Reconciliation: the journal against each venue's open orders and balances. A mismatch is one line saying what
differs; the caller halts on it (``Reconciler.check_and_halt`` trips the kill switch; ``arbkit run`` refuses to start).

Pure part: ``compare(...) -> list[str]``. Balances of the traded assets are checked against a baseline taken at
start plus every fill the journal holds since then; the tolerance per venue and asset is the fees paid there (an
exchange may take a fee in either asset) plus a relative 1e-9.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable, Mapping

from arbkit.execution.executor import Executor
from arbkit.execution.journal import FillRow, OrderRow, now_ms
from arbkit.structs import AssetBalance, Order

__all__ = ["OURS", "Reconciler", "compare", "expected_balances"]

log = logging.getLogger(__name__)
OURS = ("ak", "t-ak")  # client order id prefixes of this executor


def _ours(client_id: str | None) -> bool:
    return bool(client_id) and str(client_id).startswith(OURS)


def expected_balances(
    baseline: Mapping[str, Mapping[str, float]], fills: Iterable[FillRow], symbols: Mapping[str, tuple[str, str]]
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """(expected totals, tolerance) per venue and asset: the baseline moved by every fill; ``symbols`` maps a fill's
    client order id to its (base, quote)."""
    expected = {v: dict(a) for v, a in baseline.items()}
    tolerance: dict[str, dict[str, float]] = {}
    for fill in fills:
        base, quote = symbols[fill.client_order_id]
        venue = expected.setdefault(fill.exchange, {})
        sign = 1.0 if fill.side == "buy" else -1.0
        venue[base] = venue.get(base, 0.0) + sign * fill.quantity
        venue[quote] = venue.get(quote, 0.0) - sign * fill.quantity * fill.price
        tol = tolerance.setdefault(fill.exchange, {})
        tol[quote] = tol.get(quote, 0.0) + fill.fee_quote
        tol[base] = tol.get(base, 0.0) + fill.fee_quote / fill.price
    return expected, tolerance


def compare(
    journal_orders: Iterable[OrderRow],
    venue_open: Mapping[str, list[Order]],
    expected: Mapping[str, Mapping[str, float]],
    tolerance: Mapping[str, Mapping[str, float]],
    actual: Mapping[str, Mapping[str, AssetBalance]],
) -> list[str]:
    """Every difference, one line each, venues in order."""
    problems: list[str] = []
    journal_open = {r.client_order_id: r for r in journal_orders if not r.is_final}
    for venue, orders in venue_open.items():
        for order in orders:
            if _ours(order.client_order_id) and order.client_order_id not in journal_open:
                problems.append(f"{venue}: order {order.client_order_id} is open on the venue, not in the journal")
    for cid, row in journal_open.items():
        live = {o.client_order_id for o in venue_open.get(row.exchange, [])}
        if cid not in live:
            problems.append(f"{row.exchange}: order {cid} is {row.status} in the journal, not open on the venue")
    for venue, assets in expected.items():
        for asset, want in assets.items():
            bal = actual.get(venue, {}).get(asset)
            have = 0.0 if bal is None else bal.total
            allowed = tolerance.get(venue, {}).get(asset, 0.0) + 1e-9 * max(abs(want), 1.0)
            if abs(have - want) > allowed:
                differs = f"(differs by {have - want:+.10g})"
                problems.append(f"{venue}: {asset} balance {have:.10g}, journal expects {want:.10g} {differs}")
    return problems


class Reconciler:
    """Runs ``compare`` against the venues: ``start()`` takes the balance baseline, ``check()`` compares."""

    BASELINE_KEY = "reconcile_baseline"

    def __init__(self, executor: Executor, assets: Iterable[str] = ()) -> None:
        self.executor = executor
        self.assets = set(assets)  # checked even before the journal trades them
        self.last: list[str] = []
        self._task: asyncio.Task[None] | None = None

    async def _snapshot(self) -> tuple[dict[str, list[Order]], dict[str, dict[str, AssetBalance]]]:
        names = list(self.executor.backends)
        backends = self.executor.backends
        opened = await asyncio.gather(*(backends[n].open_orders() for n in names))
        balances = await asyncio.gather(*(backends[n].refresh_balances() for n in names))
        return dict(zip(names, opened, strict=True)), dict(zip(names, balances, strict=True))

    async def start(self) -> list[str]:
        """At start (after resume): open orders must agree; then the current balances become the baseline."""
        async with self.executor.lock:
            return await self._start()

    async def _start(self) -> list[str]:
        journal = self.executor.journal
        venue_open, balances = await self._snapshot()
        problems = compare(journal.orders(), venue_open, {}, {}, balances)
        baseline = {v: {a: b.total for a, b in bals.items()} for v, bals in balances.items()}
        state = {"at_ms": now_ms(), "fills": len(journal.fills()), "balances": baseline}
        journal.set_meta(self.BASELINE_KEY, json.dumps(state))
        self.last = problems
        return problems

    async def check(self) -> list[str]:
        """Open orders and balances against the journal since the baseline, between executions (it waits for the
        one in flight to end)."""
        async with self.executor.lock:
            return await self._check()

    async def _check(self) -> list[str]:
        journal = self.executor.journal
        raw = journal.meta(self.BASELINE_KEY)
        if raw is None:
            return await self._start()
        base = json.loads(raw)
        fills = journal.fills()[int(base["fills"]) :]
        symbols = {r.client_order_id: tuple(r.symbol.split("/")) for r in journal.orders()}
        expected, tolerance = expected_balances(base["balances"], fills, symbols)  # type: ignore[arg-type]
        traded = self.assets | {a for pair in symbols.values() for a in pair}
        wanted = {v: {a: want for a, want in expected[v].items() if a in traded} for v in expected}
        venue_open, balances = await self._snapshot()
        self.last = compare(journal.orders(), venue_open, wanted, tolerance, balances)
        return self.last

    async def check_and_halt(self) -> list[str]:
        """``check()``; on a mismatch trip the executor's alarm (the kill switch) with the first difference."""
        problems = await self.check()
        if problems:
            reason = problems[0] + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")
            self.executor.journal.event("reconcile", reason)
            await self.executor.raise_alarm("reconciliation", reason)
        return problems

    def every(self, seconds: float) -> asyncio.Task[None]:
        async def loop() -> None:
            while True:
                await asyncio.sleep(seconds)
                await self.check_and_halt()

        self._task = asyncio.get_running_loop().create_task(loop(), name="arbkit-reconcile")
        return self._task

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
