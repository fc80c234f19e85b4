"""Crash and resume: a trading process killed (SIGKILL) mid partial fill or mid unwind is started again on the same
journal; it looks every unfinished order up by client id (never resends) and carries the policy on to HEDGED."""

from __future__ import annotations

import asyncio
import os
import sys

import msgspec
import pytest

from arbkit.execution.backend import PrivateBackend
from arbkit.execution.config import parse_execution_config
from arbkit.execution.executor import Executor
from arbkit.execution.journal import Journal
from arbkit.execution.machine import ExecState, LegOutcome
from tests.execution.desk import BUY, SELL, TEST_LIMITS, desk

LIMITS = {**TEST_LIMITS, "leg_timeout_ms": 400}
CASES = [
    # (buy, sell, crash point, state the journal is left in)
    (LegOutcome.PARTIAL, LegOutcome.FILLED, "s:after", "submitted"),  # killed with both legs on the venue
    (LegOutcome.PARTIAL, LegOutcome.REJECTED, "h1:before", "hedging"),  # unwind journaled, never sent
    (LegOutcome.PARTIAL, LegOutcome.REJECTED, "h1:after", "hedging"),  # unwind on the venue, outcome unrecorded
    (LegOutcome.FILLED, LegOutcome.PARTIAL, "h1:after", "hedging"),  # completion on the venue, unrecorded
]


def venue_ids(d, name):
    return [o.client_order_id for o in d.venue.engine(name).account(d.venue.credentials(name)[0]).orders.values()]


@pytest.mark.parametrize(("buy", "sell", "crash", "left_in"), CASES)
async def test_killed_process_resumes_from_the_journal(tmp_path, buy, sell, crash, left_in):
    async with desk(tmp_path, **LIMITS) as d:
        plan = d.leg_plan(buy, sell)
        path = str(tmp_path / "crash.sqlite")
        spec = {
            "configs": {n: d.venue.exchange_config(n) for n in (BUY, SELL)},
            "journal": path,
            "limits": LIMITS,
            "plan": plan,
            "market": d.market(),
            "crash": crash,
        }
        env = {**os.environ, "ARBKIT_CRASH_SPEC": msgspec.json.encode(spec).decode()}
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "tests.execution.crash_worker", env=env)
        assert await asyncio.wait_for(proc.wait(), 120) == -9  # it died where it was told to

        journal = Journal(path)
        [row] = journal.executions(open_only=True)
        assert row.state == left_in
        backends = {n: PrivateBackend(p) for n, p in d.privates.items()}
        executor = Executor(backends, journal, parse_execution_config(LIMITS))
        [report] = await executor.resume()
        assert report.state is ExecState.HEDGED, report.reason
        assert report.bought == pytest.approx(report.sold, abs=1e-9) and report.bought > 0
        assert journal.executions(open_only=True) == []
        assert any(e.kind == "resume" for e in journal.events())
        for name in (BUY, SELL):  # never a duplicate: one venue order per journaled client id that reached it
            ids = venue_ids(d, name)
            assert len(ids) == len(set(ids))
            sent = [
                r.client_order_id
                for r in journal.orders()
                if r.exchange == name and r.status not in ("rejected", "missing")
            ]
            assert sorted(ids) == sorted(sent)
        journal.close()
