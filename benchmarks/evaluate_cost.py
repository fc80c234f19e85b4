"""Median cost of one ``evaluate_levels`` call for 3, 10 and 50 levels per side (full walk, early exit, and a walk the
marginal edge stops after the first level: the usual opportunity), against the evaluator before issue 10
(largest-root sizing) measured in the same run. Two columns for today's code: ``walk.py`` compiled by mypyc (what
runs after ``pip install``; absent when it is not built) and the same source run as Python (the fallback).

Baseline: the old ``arbkit/arbitrage/evaluate.py`` read from git history at run time (``_baseline.BASELINE``, the last
commit with the old sizing), so the comparison needs the repository's ``.git``. Run from the repo root:
``PYTHONPATH=. python benchmarks/evaluate_cost.py``. Prints median CPU ns per evaluation (medians of timed rounds;
process time, so other load on a shared machine is not counted) and the ratio new / old. Target: 3 levels under
2 us (the first column). Not a test.

Paths taken (``arbkit.arbitrage.walk``): the full walks are books profitable to their last levels (one pass per side),
the edge-limited cases the merged walk to the peak and on to the root of G (max_quantity); every size is on the
steps, so none reaches the general path. The last case gives every call a first ask size not seen before, as a live
feed does (the old code and the fallback once memoised sizes; today's walk computes each size's integer instead).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from _baseline import BASELINE, baseline

from arbkit.arbitrage import native
from arbkit.arbitrage.evaluate import make_spec
from arbkit.structs import AssetName, Level, Symbol, SymbolInfo

SYMBOL = Symbol(AssetName("BTC"), AssetName("USDT"))
BATCH = 2_000
ROUNDS = 15
LEVELS = (3, 10, 50)
FRESH = BATCH * ROUNDS + BATCH // 4  # distinct sizes for the "new size a call" case: one per call, warm-up included


def _info(exchange: str) -> SymbolInfo:
    return SymbolInfo(
        exchange, SYMBOL, tick_size=0.01, step_size=0.0001, min_quantity=0.0001, min_notional=5.0, taker_fee=0.001
    )


def books(levels: int, profitable: bool, tick: float = 0.001) -> tuple[list[Level], list[Level]]:
    """``levels`` of 0.5 a side; profitable books stay above the hurdle to the last level (a full walk) unless
    ``tick`` is large (0.4: the marginal edge falls below the hurdle after the first level, the usual case)."""
    gap = 1.0 if profitable else -1.0
    asks = [(round(100.0 + tick * i, 4), 0.5) for i in range(levels)]
    bids = [(round(100.0 + gap - tick * i, 4), 0.5) for i in range(levels)]
    return asks, bids


def median_ns(fns: list[Callable[[], object]]) -> list[float]:
    """Median ns per call of each function; rounds interleave the functions so they share machine conditions."""
    for fn in fns:  # warm up
        for _ in range(BATCH // 4):
            fn()
    samples: list[list[float]] = [[] for _ in fns]
    for _ in range(ROUNDS):
        for fn, out in zip(fns, samples, strict=True):
            start = time.process_time_ns()
            for _ in range(BATCH):
                fn()
            out.append((time.process_time_ns() - start) / BATCH)
    return [statistics.median(out) for out in samples]


def main() -> None:
    old = baseline("evaluate")
    implementations = [("compiled", native.compiled()), ("source", native.pure())]
    runs = [(name, module.evaluate_levels) for name, module in implementations if module is not None]
    runs.append(("old", old.evaluate_levels))
    new_spec = make_spec("btc_usdt", _info("a"), _info("b"), min_profit_bps=25.0)
    old_spec = old.make_spec("btc_usdt", _info("a"), _info("b"), min_profit_bps=25.0)
    labels: list[str] = []
    fns: list[Callable[[], object]] = []
    for levels in LEVELS:
        for kind in ("full walk", "early exit", "edge-limited"):
            asks, bids = books(levels, kind != "early exit", 0.4 if kind == "edge-limited" else 0.001)
            for _, evaluate in runs[:-1]:
                opp = evaluate(new_spec, asks, bids, 0)
                if kind == "full walk":
                    assert opp is not None and opp.buy_levels == opp.sell_levels == levels, opp
                elif kind == "edge-limited":
                    assert opp is not None and opp.limited_by == "edge" and opp.buy_levels == 1, opp
                else:
                    assert opp is None
            labels.append(f"{levels} levels, {kind}")
            for name, evaluate in runs:
                spec = old_spec if name == "old" else new_spec
                fns.append(lambda f=evaluate, s=spec, a=asks, b=bids: f(s, a, b, 0))
    # a feed changes sizes all the time: a first ask level of a size not seen before, on every call (the old code
    # learns it into its size memo; the books' depths then differ, so one side is taken in part)
    labels.append("3 levels, a new size a call")
    for n, (name, evaluate) in enumerate(runs):
        spec = old_spec if name == "old" else new_spec
        asks, bids = books(3, True)
        start = 1 + n * FRESH  # sizes of its own per run, so no run meets a size another one saw
        fresh = [[(asks[0][0], round(0.5 + m * 1e-4, 4)), *asks[1:]] for m in range(start, start + FRESH)]
        nxt = iter(fresh).__next__
        fns.append(lambda f=evaluate, s=spec, b=bids, nxt=nxt: f(s, nxt(), b, 0))
    results = median_ns(fns)
    width = len(runs)
    print(f"baseline: arbkit/arbitrage/evaluate.py at {BASELINE} (git history), same run; medians of {ROUNDS} rounds")
    print(f"in use: {native.IMPLEMENTATION}")
    names = [name for name, _ in runs]
    header = "".join(f"{name + ' ns':>12}" for name in names)
    ratios = "".join(f"{name + '/old':>14}" for name in names[:-1])
    print(f"{'case':<28}{header}{ratios}")
    for n, label in enumerate(labels):
        row = results[width * n : width * (n + 1)]
        cells = "".join(f"{ns:>12.0f}" for ns in row)
        print(f"{label:<28}{cells}{''.join(f'{ns / row[-1]:>14.2f}' for ns in row[:-1])}")
    three = results[0]
    verdict = "met" if three < 2000 else "NOT met"
    print(f"3 levels, full walk ({names[0]}): {three / 1000:.2f} us (target < 2 us: {verdict})")


if __name__ == "__main__":
    main()
