"""The kill switch on the local venue: every open order on every venue cancelled (none open 1 s after the halt),
dead-man switches armed where the exchange has one, and each trigger: the API, a STUCK execution, the daily loss
limit and a private stream down for too long."""

from __future__ import annotations

import asyncio
import time

from arbkit.execution.killswitch import KillSwitch
from arbkit.execution.machine import ExecState, LegOutcome
from arbkit.execution.risk import RiskReason, TradingState
from arbkit.structs import Side
from tests.execution.desk import BTC, BUY, desk
from tests.helpers import wait_for

FOUR = ("binance", "gateio", "mexc", "kraken")


def open_on_venue(d) -> int:
    total = 0
    for name in d.privates:
        engine = d.venue.engine(name)
        total += len(engine.open_orders(d.venue.credentials(name)[0]))
    return total


async def test_halt_cancels_everything_on_four_venues(tmp_path):
    async with desk(tmp_path, exchanges=FOUR) as d:
        for name, private in d.privates.items():  # resting orders far from the market, two per venue
            best_bid = d.venue.book(name, str(BTC)).bids[0][0]
            for k in (1, 2):
                await private.place_limit_order(BTC, Side.BUY, 0.001, round(best_bid * (0.9 - k / 100), 2))
        assert open_on_venue(d) == 8
        switch = KillSwitch(d.executor)
        halted_at = time.monotonic()
        report = await switch.trip("test: API halt")
        await asyncio.sleep(max(0.0, halted_at + 1.0 - time.monotonic()))
        assert open_on_venue(d) == 0  # measured on the venue itself, 1 s after the halt
        assert report.seconds_to_zero is not None and sum(report.cancelled.values()) == 8, report.line()
        assert report.dead_man == {"binance": False, "gateio": True, "mexc": False, "kraken": True}
        assert not report.errors
        assert d.executor.state is TradingState.HALTED
        assert [e.kind for e in d.journal.events()][-2:] == ["kill", "kill_done"]
        refused = await d.executor.execute(d.leg_plan(LegOutcome.FILLED, LegOutcome.FILLED), d.market())
        assert refused.refused is RiskReason.TRADING_HALTED


async def test_stuck_execution_trips_the_switch(tmp_path):
    async with desk(tmp_path, hedge_attempts=0) as d:
        switch = KillSwitch(d.executor)
        report = await d.executor.execute(d.leg_plan(LegOutcome.FILLED, LegOutcome.UNFILLED), d.market())
        assert report.state is ExecState.STUCK
        assert "BTC" in d.executor.stuck_assets
        await wait_for(lambda: switch.reports)
        assert switch.reports[0].reason.startswith("stuck: execution")
        assert d.executor.state is TradingState.HALTED
        assert d.executor.exposure["BTC"] > 0  # the unhedged excess stays visible


async def test_daily_loss_trips_the_switch(tmp_path):
    async with desk(tmp_path, daily_loss_limit=0) as d:
        switch = KillSwitch(d.executor)
        report = await d.executor.execute(d.leg_plan(LegOutcome.FILLED, LegOutcome.FILLED), d.market())
        assert report.state is ExecState.HEDGED and report.pnl_quote < 0  # crossing both spreads and paying fees
        await wait_for(lambda: switch.reports)
        assert switch.reports[0].reason.startswith("daily_loss")
        assert d.executor.state is TradingState.HALTED


async def test_private_stream_down_too_long_trips_the_switch(tmp_path):
    async with desk(tmp_path, private_stream_timeout_ms=100) as d:
        switch = KillSwitch(d.executor)
        switch.watch(poll_s=0.02)
        try:
            await asyncio.sleep(0.3)
            assert not switch.reports  # streams up: nothing happens
            assert await d.venue.disconnect_private(BUY) >= 1
            await wait_for(lambda: switch.reports, timeout=10)
            assert f"{BUY} private stream down" in switch.reports[0].reason
        finally:
            await switch.stop()
