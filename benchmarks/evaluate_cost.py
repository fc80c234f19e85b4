"""Median cost of one ``evaluate_levels`` call for walks of 1, 3 and 10 levels, against a naive top-of-book check.

Run from the repo root: ``PYTHONPATH=. python benchmarks/evaluate_cost.py``. Prints the median ns per evaluation
(medians of timed batches) and the ratio to the top-of-book check measured in the same run. Not a test.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from arbkit.arbitrage.evaluate import VenuePairSpec, evaluate_levels, make_spec
from arbkit.structs import AssetName, Level, Symbol, SymbolInfo

SYMBOL = Symbol(AssetName("BTC"), AssetName("USDT"))
BATCH = 2_000
ROUNDS = 25


def _info(exchange: str) -> SymbolInfo:
    return SymbolInfo(
        exchange, SYMBOL, tick_size=0.01, step_size=0.0001, min_quantity=0.0001, min_notional=5.0, taker_fee=0.001
    )


def books(drop_bps: float, depth: int = 20) -> tuple[list[Level], list[Level]]:
    """Buy-venue asks below sell-venue bids: an 80 bps raw top edge that gives up ``drop_bps`` per level.

    With 0.1% taker fees a side and 25 bps required, the raw edge must average 45 bps over the walk.
    """
    asks = [(100.0 * (1 + drop_bps / 2e4 * i), 0.5) for i in range(depth)]
    bids = [(100.8 * (1 - drop_bps / 2e4 * i), 0.5) for i in range(depth)]
    return asks, bids


# (label, raw-edge drop per level in bps, max_notional): tuned so the walk uses 1, 3 and 10 levels a side.
CASES = [(1, 70.0, 30.0), (3, 110.0 / 3, None), (10, 8.0, None)]


def median_ns(fns: list[Callable[[], object]]) -> list[float]:
    """Median ns per call of each function; rounds interleave the functions so they share machine conditions."""
    for fn in fns:  # warm up
        for _ in range(BATCH):
            fn()
    samples: list[list[float]] = [[] for _ in fns]
    for _ in range(ROUNDS):
        for fn, out in zip(fns, samples, strict=True):
            start = time.perf_counter_ns()
            for _ in range(BATCH):
                fn()
            out.append((time.perf_counter_ns() - start) / BATCH)
    return [statistics.median(out) for out in samples]


def naive(spec: VenuePairSpec, asks: list[Level], bids: list[Level]) -> bool:
    """The top-of-book check: best bid after fees beats best ask after fees and the required edge."""
    return bids[0][0] * spec.sell_factor >= asks[0][0] * spec.buy_factor


def main() -> None:
    fns: list[Callable[[], object]] = []
    labels: list[str] = []
    for levels, drop, cap in CASES:
        spec = make_spec("btc_usdt", _info("a"), _info("b"), min_profit_bps=25.0, max_notional=cap)
        asks, bids = books(drop)
        opp = evaluate_levels(spec, asks, bids, 0)
        assert opp is not None and opp.buy_levels == opp.sell_levels == levels, opp
        fns.append(lambda s=spec, a=asks, b=bids: evaluate_levels(s, a, b, 0))
        labels.append(f"{levels} levels")
    spec = make_spec("btc_usdt", _info("a"), _info("b"), min_profit_bps=25.0)
    asks, bids = books(10.0)
    bids = [(p - 2.0, q) for p, q in bids]
    assert evaluate_levels(spec, asks, bids, 0) is None
    fns.append(lambda: evaluate_levels(spec, asks, bids, 0))
    labels.append("none (early exit)")
    fns.append(lambda: naive(spec, asks, bids))
    labels.append("naive top of book")

    results = median_ns(fns)
    base = results[-1]
    print(f"{'case':<18} {'median ns':>10} {'x naive':>8}")
    for label, ns in zip(labels, results, strict=True):
        print(f"{label:<18} {ns:>10.0f} {ns / base:>8.1f}")


if __name__ == "__main__":
    main()
