"""Unclear outcomes on the local venue: a dropped acknowledgement or a slow exchange is looked up by client id,
never resent; the 9 leg-outcome combinations with an UNKNOWN leg end as the looked-up truth says."""

from __future__ import annotations

import pytest

from arbkit.execution.machine import ExecState, LegOutcome
from tests.execution.desk import BTC, BUY, SELL, desk

OTHERS = [LegOutcome.FILLED, LegOutcome.PARTIAL, LegOutcome.UNFILLED, LegOutcome.REJECTED, LegOutcome.UNKNOWN]
UNKNOWN_COMBOS = sorted({(LegOutcome.UNKNOWN, o) for o in OTHERS} | {(o, LegOutcome.UNKNOWN) for o in OTHERS})


def venue_orders(d, name):
    account = d.venue.engine(name).account(d.venue.credentials(name)[0])
    return list(account.orders.values())


@pytest.mark.parametrize(("buy", "sell"), UNKNOWN_COMBOS)
async def test_unknown_leg_combinations(tmp_path, buy, sell):
    assert len(UNKNOWN_COMBOS) == 9
    async with desk(tmp_path) as d:
        report = await d.executor.execute(d.leg_plan(buy, sell), d.market())
        legs = {o.role: o for o in d.journal.orders(report.execution_id)}
        for role, outcome in (("buy", buy), ("sell", sell)):
            if outcome is LegOutcome.UNKNOWN:  # the answer was lost, the lookup found the fill
                assert legs[role].exchange_order_id is not None and legs[role].status == "filled"
                assert "unknown" not in legs[role].status
        filled = {LegOutcome.FILLED, LegOutcome.PARTIAL, LegOutcome.UNKNOWN}
        if buy in filled or sell in filled:
            assert report.state is ExecState.HEDGED, report.reason
            assert report.bought == pytest.approx(report.sold, abs=1e-5) and report.bought > 0
        else:
            assert report.state is ExecState.FLAT
        for name in (BUY, SELL):  # exactly one venue order per journaled (non-rejected) client id: no duplicate
            ids = [o.client_order_id for o in venue_orders(d, name)]
            assert len(ids) == len(set(ids))
            journaled = [r.client_order_id for r in d.journal.orders() if r.exchange == name and r.status != "rejected"]
            assert sorted(ids) == sorted(journaled)


@pytest.mark.parametrize("mode", ["reset", "silence"])
async def test_dropped_ack_leaves_exactly_one_order(tmp_path, mode):
    async with desk(tmp_path, leg_timeout_ms=400) as d:
        plan = d.leg_plan(LegOutcome.FILLED, LegOutcome.FILLED)
        d.venue.drop_next_ack(BUY, mode)
        report = await d.executor.execute(plan, d.market())
        assert report.state is ExecState.HEDGED
        buy = next(r for r in d.journal.orders(report.execution_id) if r.role == "buy")
        mine = [o for o in venue_orders(d, BUY) if o.client_order_id == buy.client_order_id]
        assert len(mine) == 1 and len(venue_orders(d, BUY)) == 1
        assert mine[0].filled == pytest.approx(buy.filled) == pytest.approx(plan.quantity)
        assert str(mine[0].order_id) == buy.exchange_order_id


async def test_slow_exchange_is_found_late_not_resent(tmp_path):
    """The exchange acts on the order after the leg timed out: the lookups over the next timeouts find it."""
    async with desk(tmp_path, leg_timeout_ms=300) as d:
        plan = d.leg_plan(LegOutcome.FILLED, LegOutcome.FILLED)
        d.venue.set_order_latency(SELL, 0.45)
        report = await d.executor.execute(plan, d.market())
        d.venue.clear_order_faults(SELL)
        sell = next(r for r in d.journal.orders(report.execution_id) if r.role == "sell")
        assert "timeout" in sell.error and sell.status == "filled"
        assert report.state is ExecState.HEDGED
        assert len(venue_orders(d, SELL)) == 1
        assert str(BTC) == plan.symbol.__str__()
