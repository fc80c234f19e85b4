"""Plans from evaluator opportunities: worst price touched, the slippage collar on the tick grid, the notional cap."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from arbkit.arbitrage.config import ArbitrageConfig, ArbitragePair
from arbkit.arbitrage.evaluate import evaluate_levels, make_spec
from arbkit.execution.config import parse_execution_config
from arbkit.execution.plan import (
    build_plan,
    collar_price,
    evaluator_cap,
    round_to_tick,
    sized_for_execution,
    worst_prices,
)
from arbkit.execution.risk import RiskReason, check
from arbkit.structs import Side
from tests.execution.helpers import info, inputs

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


def test_plan_is_the_evaluators_size():
    opp = opportunity()
    plan = build_plan(opp, ASKS, BIDS, info("binance"), info("kraken"), 5.0)
    assert plan.quantity == opp.quantity and plan.buy_vwap == opp.buy_vwap and plan.sell_vwap == opp.sell_vwap
    assert plan.expected_profit == opp.profit_quote
    assert plan.buy_price >= plan.buy_worst and plan.sell_price <= plan.sell_worst


def test_a_plan_above_the_cap_is_refused_with_the_reason_not_resized():
    opp = opportunity()
    plan = build_plan(opp, ASKS, BIDS, info("binance"), info("kraken"), 5.0)
    cfg = parse_execution_config({"max_notional_per_leg": 50.0, "max_net_exposure": 1e9, "price_collar_bps": 5000})
    decision = check(plan, inputs(mids={"binance": 101.5, "kraken": 101.5}), cfg)
    assert decision.reason is RiskReason.NOTIONAL_PER_LEG and "max_notional_per_leg 50" in decision.detail
    assert plan.quantity == opp.quantity  # what the user saw is what was refused


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.floats(5.0, 500.0), st.floats(0.0, 50.0))
def test_the_scanner_sized_for_execution_plans_within_the_cap(cap, slippage):
    """With ``size_to_cap`` the evaluator is given the cap, so the plan (its size, unchanged) passes the gate's
    notional check on books whose edge and worst-vs-VWAP gap stay within the 100 bps headroom."""
    asks, bids = [(100.0, 0.02), (100.1, 0.05), (100.2, 5.0)], [(100.7, 0.03), (100.6, 0.05), (100.5, 5.0)]
    pair = ArbitragePair(id="btc_usdt", base_asset="BTC", quote_asset="USDT", min_profit_bps=0.0)
    arbitrage = sized_for_execution(ArbitrageConfig(enabled_exchanges=("binance", "kraken"), arbitrage_pairs=(pair,)),
                                    cap, slippage)  # fmt: skip
    capped = arbitrage.arbitrage_pairs[0].max_notional
    assert capped == evaluator_cap(cap, slippage) < cap
    spec = make_spec("btc_usdt", info("binance"), info("kraken"), 0.0, capped, buy_fee=0.001, sell_fee=0.001)
    opp = evaluate_levels(spec, asks, bids, 1_000)
    assert opp is not None
    plan = build_plan(opp, asks, bids, info("binance"), info("kraken"), slippage)
    assert plan.quantity == opp.quantity
    assert max(plan.buy_notional, plan.sell_notional) <= cap


def test_sized_for_execution_keeps_a_smaller_pair_cap():
    pair = ArbitragePair(id="btc_usdt", base_asset="BTC", quote_asset="USDT", min_profit_bps=0.0, max_notional=10.0)
    arbitrage = ArbitrageConfig(enabled_exchanges=("binance", "kraken"), arbitrage_pairs=(pair,))
    assert sized_for_execution(arbitrage, 1000.0, 5.0).arbitrage_pairs[0].max_notional == 10.0
