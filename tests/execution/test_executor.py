"""The executor on the local venue: the leg-outcome combinations end FLAT, HEDGED or STUCK as the policy says,
with the venue's own account agreeing with the journal."""

from __future__ import annotations

import itertools

import pytest

from arbkit.errors import ArbkitError
from arbkit.execution.executor import Executor
from arbkit.execution.machine import ExecState, LegOutcome
from tests.execution.desk import BTC, BUY, SELL, desk

KNOWN = [LegOutcome.FILLED, LegOutcome.PARTIAL, LegOutcome.UNFILLED, LegOutcome.REJECTED]
FLAT_PAIRS = {(LegOutcome.UNFILLED, LegOutcome.UNFILLED), (LegOutcome.UNFILLED, LegOutcome.REJECTED),
              (LegOutcome.REJECTED, LegOutcome.UNFILLED), (LegOutcome.REJECTED, LegOutcome.REJECTED)}  # fmt: skip


@pytest.mark.parametrize(("buy", "sell"), list(itertools.product(KNOWN, KNOWN)))
async def test_leg_outcomes_on_the_venue(tmp_path, buy, sell):
    async with desk(tmp_path) as d:
        plan = d.leg_plan(buy, sell)
        report = await d.executor.execute(plan, d.market())
        assert report.refused is None, report.reason
        journal = d.journal
        legs = {o.role: o for o in journal.orders(report.execution_id)}
        assert legs["buy"].status != "pending" and legs["sell"].status != "pending"
        transitions = [t.to_state for t in journal.transitions(report.execution_id)]
        assert transitions[:4] == ["planned", "reserved", "submitted", "working"]
        if (buy, sell) in FLAT_PAIRS:
            assert report.state is ExecState.FLAT
            assert report.bought == report.sold == 0
        else:
            assert report.state is ExecState.HEDGED, report.reason
            assert report.bought == pytest.approx(report.sold, abs=1e-5)
            if buy is not sell or (buy is LegOutcome.PARTIAL and legs["buy"].filled != legs["sell"].filled):
                assert "hedging" in transitions
        # The journal agrees with the venue's own account: every journaled order exists there with the same fill.
        for name in (BUY, SELL):
            engine = d.venue.engine(name)
            account = engine.account(d.venue.credentials(name)[0])
            venue_orders = {o.client_order_id: o for o in account.orders.values()}
            for row in journal.orders(report.execution_id):
                if row.exchange != name:
                    continue
                if row.status == "rejected":
                    assert row.client_order_id not in venue_orders
                    continue
                assert venue_orders[row.client_order_id].filled == pytest.approx(row.filled)
            assert len(venue_orders) == len(
                [r for r in journal.orders() if r.exchange == name and r.status != "rejected"]
            )
        assert d.executor.open_count() == 0


async def test_dry_run_trades_on_paper_and_sends_nothing(tmp_path):
    async with desk(tmp_path, dry_run=True) as d:
        report = await d.executor.execute(d.leg_plan(LegOutcome.FILLED, LegOutcome.FILLED), d.market())
        assert report.state is ExecState.HEDGED and report.bought == report.sold > 0
        rows = d.journal.orders(report.execution_id)
        assert {r.role for r in rows} == {"buy", "sell"} and all(r.status == "filled" for r in rows)
        assert d.journal.execution(report.execution_id).mode == "dry-run"
        for name in (BUY, SELL):
            assert d.venue.engine(name).account(d.venue.credentials(name)[0]).orders == {}


async def test_dry_run_refuses_real_back_ends(tmp_path):
    async with desk(tmp_path) as d:
        with pytest.raises(ArbkitError, match="paper back-end"):
            Executor(d.executor.backends, d.journal, d.executor.config, dry_run=True)


async def test_gate_refusal_is_counted_and_not_journaled(tmp_path):
    async with desk(tmp_path, max_notional_per_leg=1.0) as d:
        report = await d.executor.execute(d.leg_plan(LegOutcome.FILLED, LegOutcome.FILLED), d.market())
        assert report.refused == "notional_per_leg" and report.execution_id is None
        assert d.journal.executions() == [] and d.executor.refusals["notional_per_leg"] == 1
        assert str(BTC) == "BTC/USDT"
