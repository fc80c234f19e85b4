"""Leg risk on paper: the executor over two PaperBackends; the sell venue's book moves during its latency window,
so the sell leg fills partly, the completion finds nothing more, and the unwind runs against the buy venue's paper
book to HEDGED."""

from __future__ import annotations

import asyncio

import pytest

from arbkit.execution.config import parse_execution_config
from arbkit.execution.executor import Executor, MarketContext
from arbkit.execution.journal import Journal
from arbkit.execution.machine import ExecState
from arbkit.execution.plan import ExecutionPlan
from arbkit.structs import BookHealth, BookState
from tests.paper.helpers import BTC, Books, StepClock, backend, info

LIMITS = {"price_collar_bps": 1000, "cooldown_ms": 0, "max_notional_per_leg": 1e6, "max_net_exposure": 1e6,
          "leg_timeout_ms": 3000, "max_orders_per_second": 100, "max_hedge_slippage_bps": 30}  # fmt: skip


def _plan() -> ExecutionPlan:
    return ExecutionPlan(
        pair_id="btc_usdt", symbol=BTC, buy_exchange="binance", sell_exchange="mexc", quantity=1.0,
        buy_price=100.0, sell_price=101.0, buy_vwap=100.0, sell_vwap=101.0, buy_worst=100.0, sell_worst=101.0,
        buy_fee=0.001, sell_fee=0.001, expected_profit=0.8, opportunity_ms=0, buy_tick=0.01, sell_tick=0.01,
        step=0.0001,
    )  # fmt: skip


def _market() -> MarketContext:
    health = {n: BookHealth(n, BTC, BookState.LIVE, 1, 5.0, 1, 1.0, 0, 0, 0, 0) for n in ("binance", "mexc")}
    return MarketContext(info("binance"), info("mexc"), {"binance": 99.95, "mexc": 101.05}, health)


async def test_partial_leg_from_a_moving_book_is_unwound_on_paper(tmp_path) -> None:
    books = Books()
    books.set("binance", [(99.9, 2.0), (99.0, 5.0)], [(100.0, 1.0), (100.5, 1.0)])
    books.set("mexc", [(101.0, 1.0), (95.0, 5.0)], [(101.1, 1.0)])
    clock = StepClock()
    backends = {
        "binance": backend("binance", books, clock, latency_ms=0),
        "mexc": backend("mexc", books, clock, latency_ms=70),
    }
    journal = Journal(tmp_path / "paper.sqlite")
    executor = Executor(backends, journal, parse_execution_config(LIMITS), target="paper-test", dry_run=True)
    running = asyncio.ensure_future(executor.execute(_plan(), _market()))
    await asyncio.wait_for(clock.slept.wait(), 5)  # the sell leg is on its way to mexc
    books.set("mexc", [(101.0, 0.4), (95.0, 5.0)], [(101.1, 1.0)])  # someone hits the bid first
    while not running.done():
        await clock.advance(10)
    report = running.result()
    assert report.state is ExecState.HEDGED and report.bought == pytest.approx(report.sold)
    rows = {r.role: r for r in journal.orders(report.execution_id)}
    assert rows["buy"].filled == pytest.approx(1.0) and rows["sell"].filled == pytest.approx(0.4)
    assert rows["hedge1"].exchange == "mexc" and rows["hedge1"].filled == 0  # completion: the 0.4 is used up
    unwind = rows["hedge2"]
    assert unwind.exchange == "binance" and unwind.side == "sell" and unwind.filled == pytest.approx(0.6)
    assert unwind.average_price == 99.9  # the buy venue's paper bid
    assert backends["binance"].balances()["BTC"].free == pytest.approx(2.0 + 1.0 * 0.999 - 0.6)
    assert journal.execution(report.execution_id).mode == "dry-run"
    journal.close()
