"""Plans from evaluator opportunities: worst price touched, the slippage collar on the tick grid, the notional cap."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arbkit.arbitrage.evaluate import evaluate_levels, make_spec
from arbkit.execution.plan import build_plan, collar_price, round_to_tick, worst_prices
from arbkit.structs import Side
from tests.execution.helpers import info

ASKS = [(100.0, 1.0), (100.5, 1.0), (101.0, 5.0)]
BIDS = [(103.0, 0.5), (102.0, 1.0), (101.5, 5.0)]


def opportunity():
    spec = make_spec("btc_usdt", info("binance"), info("kraken"), 0.0, buy_fee=0.001, sell_fee=0.001)
    opp = evaluate_levels(spec, ASKS, BIDS, 1_000)
    assert opp is not None
    return opp


def test_worst_prices_walk_the_levels():
    opp = opportunity()
    assert worst_prices(opp, ASKS, BIDS) == (ASKS[opp.buy_levels - 1][0], BIDS[opp.sell_levels - 1][0])
    assert worst_prices(opp, ASKS, BIDS, 0.4) == (100.0, 103.0)
    assert worst_prices(opp, ASKS, BIDS, 1.2) == (100.5, 102.0)


def test_collar_stays_on_the_tick_grid_and_never_inside_the_reference():
    assert collar_price(Side.BUY, 100.0, 5.0, 0.01) == 100.05
    assert collar_price(Side.SELL, 100.0, 5.0, 0.01) == 99.95
    assert collar_price(Side.BUY, 100.0, 0.0, 0.01) == 100.0
    assert round_to_tick(100.004, 0.01, up=True) == 100.01 and round_to_tick(100.004, 0.01, up=False) == 100.0


@given(st.floats(1.0, 1e5), st.floats(0.0, 100.0), st.sampled_from([0.01, 0.5, 1.0, 0.0001]))
def test_collar_bounds(reference, bps, tick):
    ref = round_to_tick(reference, tick, up=False)
    buy = collar_price(Side.BUY, ref, bps, tick)
    sell = collar_price(Side.SELL, ref, bps, tick)
    assert ref - 1e-9 <= buy <= ref * (1 + bps / 1e4) + 1e-9
    assert ref * (1 - bps / 1e4) - 1e-9 <= sell <= ref + 1e-9


def test_build_plan_and_cap():
    opp = opportunity()
    plan = build_plan(opp, ASKS, BIDS, info("binance"), info("kraken"), 5.0)
    assert plan.quantity == opp.quantity and plan.buy_vwap == opp.buy_vwap
    assert plan.buy_price >= plan.buy_worst and plan.sell_price <= plan.sell_worst
    capped = build_plan(opp, ASKS, BIDS, info("binance"), info("kraken"), 5.0, max_notional=50.0)
    assert capped.quantity * max(capped.buy_price, capped.sell_price) <= 50.0
    assert capped.quantity == pytest.approx(0.485)  # floored to the 0.001 step
    assert capped.buy_worst == 100.0 and capped.sell_worst == 103.0 and capped.buy_vwap == 100.0
    assert capped.expected_profit == pytest.approx(0.485 * (103.0 * 0.999 - 100.0 * 1.001))
