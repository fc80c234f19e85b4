"""Builders shared by the execution tests: a plan, symbol infos, healthy books and funded balances."""

from __future__ import annotations

from arbkit.execution.plan import ExecutionPlan
from arbkit.execution.risk import RiskInputs, TradingState
from arbkit.structs import AssetBalance, BookHealth, BookState, Symbol, SymbolInfo

BTC = Symbol.parse("BTC/USDT")


def info(exchange: str, step: float = 0.001, tick: float = 0.01, min_notional: float = 0.5) -> SymbolInfo:
    return SymbolInfo(exchange, BTC, tick_size=tick, step_size=step, min_quantity=step, min_notional=min_notional)


def plan(quantity: float = 0.01, buy: float = 100.0, sell: float = 101.0, **kw) -> ExecutionPlan:
    values = dict(
        pair_id="btc_usdt",
        symbol=BTC,
        buy_exchange="binance",
        sell_exchange="kraken",
        quantity=quantity,
        buy_price=buy,
        sell_price=sell,
        buy_vwap=buy,
        sell_vwap=sell,
        buy_worst=buy,
        sell_worst=sell,
        buy_fee=0.001,
        sell_fee=0.001,
        expected_profit=0.008,
        opportunity_ms=1_000,
    )
    values.update(kw)
    return ExecutionPlan(**values)


def health(
    exchange: str, state: BookState = BookState.LIVE, age_ms: float | None = 10.0, crossed: bool = False
) -> BookHealth:
    return BookHealth(exchange, BTC, state, 1, age_ms, 10, 10.0, 0, 0, 0, 0, crossed=crossed)


def inputs(**kw) -> RiskInputs:
    values = dict(
        state=TradingState.ACTIVE,
        now_ms=10_000,
        buy_info=info("binance"),
        sell_info=info("kraken"),
        balances={
            "binance": {"USDT": AssetBalance("USDT", 10_000.0), "BTC": AssetBalance("BTC", 1.0)},
            "kraken": {"USDT": AssetBalance("USDT", 10_000.0), "BTC": AssetBalance("BTC", 1.0)},
        },
        mids={"binance": 100.2, "kraken": 100.6, "gateio": 100.4},
        health={"binance": health("binance"), "kraken": health("kraken")},
        tokens={"binance": 5.0, "kraken": 5.0},
    )
    values.update(kw)
    return RiskInputs(**values)
