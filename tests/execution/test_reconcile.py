"""Reconciliation on the local venue: a clean journal agrees with the venue; an order or a balance the journal
does not explain halts trading with one line."""

from __future__ import annotations

from arbkit.execution.killswitch import KillSwitch
from arbkit.execution.machine import ExecState, LegOutcome
from arbkit.execution.reconcile import Reconciler, compare
from arbkit.execution.risk import TradingState
from arbkit.structs import AssetBalance, Order, OrderStatus, OrderType, Side
from tests.execution.desk import BTC, BUY, SELL, desk


async def test_clean_journal_agrees_after_trading(tmp_path):
    async with desk(tmp_path) as d:
        reconciler = Reconciler(d.executor, assets=["BTC", "USDT"])
        assert await reconciler.start() == []
        for buy, sell in [(LegOutcome.FILLED, LegOutcome.FILLED), (LegOutcome.FILLED, LegOutcome.PARTIAL)]:
            report = await d.executor.execute(d.leg_plan(buy, sell), d.market())
            assert report.state is ExecState.HEDGED
        assert await reconciler.check_and_halt() == []
        assert d.executor.state is TradingState.ACTIVE


async def test_unknown_open_order_halts(tmp_path):
    async with desk(tmp_path) as d:
        switch = KillSwitch(d.executor)
        reconciler = Reconciler(d.executor)
        assert await reconciler.start() == []
        bid = d.venue.book(BUY, str(BTC)).bids[0][0]
        await d.privates[BUY].place_limit_order(BTC, Side.BUY, 0.001, round(bid * 0.9, 2), client_order_id="akstray01b")
        problems = await reconciler.check_and_halt()
        assert problems == [f"{BUY}: order akstray01b is open on the venue, not in the journal"]
        assert d.executor.state is TradingState.HALTED and switch.reports[0].reason.startswith("reconciliation: ")
        assert switch.reports[0].cancelled[BUY] == 1  # and the stray order is gone


async def test_unexplained_balance_halts(tmp_path):
    async with desk(tmp_path) as d:
        KillSwitch(d.executor)
        reconciler = Reconciler(d.executor, assets=["BTC"])
        assert await reconciler.start() == []
        d.venue.engine(SELL).account(d.venue.credentials(SELL)[0]).balance("BTC").free += 0.5
        problems = await reconciler.check_and_halt()
        assert len(problems) == 1 and problems[0].startswith(f"{SELL}: BTC balance 2.5, journal expects 2 ")
        assert d.executor.state is TradingState.HALTED


def test_compare_pure():
    order = Order(
        "binance", BTC, "1", Side.BUY, OrderType.LIMIT, 1.0, 1.0, 0.0, OrderStatus.OPEN, client_order_id="akx1b"
    )
    foreign = Order(
        "binance", BTC, "2", Side.BUY, OrderType.LIMIT, 1.0, 1.0, 0.0, OrderStatus.OPEN, client_order_id="manual"
    )
    assert compare([], {"binance": [foreign]}, {}, {}, {}) == []  # not ours: not our business
    assert compare([], {"binance": [order]}, {}, {}, {}) == [
        "binance: order akx1b is open on the venue, not in the journal"
    ]
    bal = {"binance": {"BTC": AssetBalance("BTC", 1.0005)}}
    assert compare([], {}, {"binance": {"BTC": 1.0}}, {"binance": {"BTC": 0.001}}, bal) == []
    assert compare([], {}, {"binance": {"BTC": 1.0}}, {}, bal) == [
        "binance: BTC balance 1.0005, journal expects 1 (differs by +0.0005)"
    ]
