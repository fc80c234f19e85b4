"""The pre-trade gate: one test per reason code, the ALLOW path and the token bucket."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arbkit.execution.config import ExecutionConfig, parse_execution_config
from arbkit.execution.risk import RiskReason, TokenBucket, TradingState, check
from arbkit.structs import AssetBalance, BookState
from tests.execution.helpers import health, info, inputs, plan

CFG = ExecutionConfig()


def reason(p=None, cfg=CFG, **kw):
    decision = check(p or plan(), inputs(**kw), cfg)
    assert decision.allowed is (decision.reason is None)
    if decision.reason is not None:
        assert decision.detail and "\n" not in decision.detail
    return decision.reason


def test_allows_a_sound_plan():
    assert reason() is None


def test_halted():
    assert reason(state=TradingState.HALTED) is RiskReason.TRADING_HALTED


def test_reducing():
    assert reason(state=TradingState.REDUCING) is RiskReason.TRADING_REDUCING


def test_stuck_execution_halts_the_asset():
    assert reason(stuck_assets=frozenset({"BTC"})) is RiskReason.STUCK_EXECUTION
    assert reason(stuck_assets=frozenset({"ETH"})) is None


def test_daily_loss():
    assert reason(daily_pnl=-100.0) is RiskReason.DAILY_LOSS
    assert reason(daily_pnl=-99.99) is None


def test_cooldown():
    assert reason(last_execution_ms={"btc_usdt": 9_500}) is RiskReason.COOLDOWN
    assert reason(last_execution_ms={"btc_usdt": 9_000}) is None


@pytest.mark.parametrize(
    "bad",
    [
        health("kraken", BookState.STALE),
        health("kraken", crossed=True),
        health("kraken", age_ms=5_000.0),
        health("kraken", age_ms=None),
        None,
    ],
)
def test_book_unhealthy(bad):
    assert reason(health={"binance": health("binance"), "kraken": bad}) is RiskReason.BOOK_UNHEALTHY


def test_quantity_step_and_minimum():
    assert reason(plan(quantity=0.0105)) is RiskReason.QUANTITY_STEP
    assert reason(plan(quantity=0.0), sell_info=info("kraken")) is RiskReason.QUANTITY_STEP


def test_min_notional():
    assert reason(sell_info=info("kraken", min_notional=0.9)) is None
    assert reason(sell_info=info("kraken", min_notional=1.5)) is RiskReason.MIN_NOTIONAL


def test_notional_per_leg():
    assert reason(cfg=parse_execution_config({"max_notional_per_leg": 1.0})) is RiskReason.NOTIONAL_PER_LEG


def test_price_collar():
    assert reason(plan(sell=103.0)) is RiskReason.PRICE_COLLAR  # about 250 bps from the others' mid
    assert reason(plan(sell=103.0), cfg=parse_execution_config({"price_collar_bps": 300})) is None


def test_funds_on_either_venue_with_reservations():
    assert reason(reserved={"binance": {"USDT": 9_999.5}}) is RiskReason.FUNDS
    poor = {"binance": {"USDT": AssetBalance("USDT", 10_000.0)}, "kraken": {"BTC": AssetBalance("BTC", 0.005)}}
    assert reason(balances=poor) is RiskReason.FUNDS


def test_net_exposure():
    cfg = parse_execution_config({"max_net_exposure": 5.0})
    assert reason(plan(quantity=0.01), cfg=cfg) is None  # 0.01 x ~100 = 1 quote
    assert reason(plan(quantity=0.01), cfg=cfg, exposure={"BTC": 0.045}) is RiskReason.NET_EXPOSURE


def test_inventory_band():
    cfg = parse_execution_config({"inventory": {"kraken": {"BTC": {"min": 0.995}}}})
    assert reason(cfg=cfg) is RiskReason.INVENTORY_BAND
    cfg = parse_execution_config({"inventory": {"binance": {"BTC": {"max": 1.005}}}})
    assert reason(cfg=cfg) is RiskReason.INVENTORY_BAND
    cfg = parse_execution_config({"inventory": {"binance": {"BTC": {"max": 2.0}}}})
    assert reason(cfg=cfg) is None


def test_rate_limit():
    assert reason(tokens={"binance": 5.0, "kraken": 0.5}) is RiskReason.RATE_LIMIT


def test_token_bucket_refills_at_its_rate():
    bucket = TokenBucket(2.0, now_ms=0)
    assert bucket.take(0) and bucket.take(0) and not bucket.take(0)
    assert bucket.available(250) == pytest.approx(0.5)
    assert not bucket.take(250)
    assert bucket.take(500)
    assert bucket.available(10_000) == 2.0  # never more than the capacity


@given(st.lists(st.tuples(st.integers(0, 200), st.integers(1, 3)), max_size=60), st.floats(0.5, 50))
def test_token_bucket_never_exceeds_its_rate(steps, rate):
    bucket = TokenBucket(rate, now_ms=0)
    now = 0
    taken = 0
    for dt, n in steps:
        now += dt
        taken += n * bucket.take(now, n)
    assert taken <= bucket.capacity + rate * now / 1000.0 + 1e-9


def test_token_bucket_reserve_goes_into_debt_and_says_how_long_to_wait():
    bucket = TokenBucket(4.0, now_ms=0)
    assert [bucket.reserve(0) for _ in range(4)] == [0.0, 0.0, 0.0, 0.0]
    assert bucket.reserve(0) == pytest.approx(0.25)
    assert bucket.reserve(0) == pytest.approx(0.5)
    assert not bucket.take(100)


def test_daily_loss_limit_zero_allows_no_loss_but_trades_at_zero():
    cfg = parse_execution_config({"daily_loss_limit": 0})
    assert reason(cfg=cfg, daily_pnl=0.0) is None
    assert reason(cfg=cfg, daily_pnl=-0.01) is RiskReason.DAILY_LOSS
