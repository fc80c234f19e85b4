"""Charts from journal frames: one trace per outcome / venue, built from a real journal."""

from __future__ import annotations

from arbkit.execution.charts import latency_chart, pnl_chart, slippage_chart
from arbkit.execution.frames import executions_frame, orders_frame
from arbkit.execution.machine import LegOutcome
from tests.execution.desk import desk


async def test_charts_from_a_real_journal(tmp_path):
    async with desk(tmp_path) as d:
        for buy, sell in [(LegOutcome.FILLED, LegOutcome.FILLED), (LegOutcome.UNFILLED, LegOutcome.UNFILLED)]:
            await d.executor.execute(d.leg_plan(buy, sell), d.market())
        executions, orders = executions_frame(d.journal), orders_frame(d.journal)
    pnl = pnl_chart(executions)
    assert [t.name for t in pnl.data] == ["cumulative P&L", "hedged", "flat"]
    assert len(pnl.data[0].y) == 2
    assert sorted(t.name for t in latency_chart(orders).data) == ["binance", "mexc"]
    slip = slippage_chart(orders)
    assert sum(len(t.y) for t in slip.data) == 2  # the two filled legs; unfilled legs have no slippage
