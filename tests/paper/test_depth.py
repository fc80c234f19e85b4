"""The consumed-depth ledger and the latency window's book."""

from __future__ import annotations

from arbkit.paper.depth import DepthLedger, window_levels
from arbkit.structs import Side
from tests.paper.helpers import BTC


def test_window_keeps_common_levels_with_the_smaller_size() -> None:
    sent = [(100.0, 1.0), (100.5, 2.0), (101.0, 1.0)]
    acted = [(99.5, 5.0), (100.5, 0.5), (101.0, 3.0), (101.5, 1.0)]
    # 99.5 (better than anything at send time) and 101.5 (not there at send time) are not taken
    assert window_levels(sent, acted) == [(100.5, 0.5), (101.0, 1.0)]
    assert window_levels(sent, sent) == sent


def test_consumed_depth_stays_until_the_level_vanishes() -> None:
    ledger = DepthLedger()
    asks = [(100.0, 1.0), (100.5, 2.0)]
    ledger.consume("binance", BTC, Side.BUY, [(100.0, 0.6)])
    assert ledger.visible("binance", BTC, Side.BUY, asks) == [(100.0, 0.4), (100.5, 2.0)]
    # the level grew: still counted as consumed (a refill queues behind what was taken)
    assert ledger.visible("binance", BTC, Side.BUY, [(100.0, 3.0), (100.5, 2.0)]) == [(100.0, 2.4), (100.5, 2.0)]
    # the other side and other venues are untouched
    assert ledger.visible("binance", BTC, Side.SELL, [(99.0, 1.0)]) == [(99.0, 1.0)]
    assert ledger.visible("mexc", BTC, Side.BUY, asks) == asks
    # beyond the visible range we cannot tell: kept
    assert ledger.visible("binance", BTC, Side.BUY, [(99.0, 1.0)]) == [(99.0, 1.0)]
    assert ledger.taken("binance", BTC, Side.BUY) == {100.0: 0.6}
    # the level is gone inside the visible range: forgotten, a new level there is new liquidity
    assert ledger.visible("binance", BTC, Side.BUY, [(99.0, 1.0), (100.5, 2.0)]) == [(99.0, 1.0), (100.5, 2.0)]
    assert ledger.visible("binance", BTC, Side.BUY, asks) == asks


def test_fully_consumed_level_shows_empty() -> None:
    ledger = DepthLedger()
    ledger.consume("binance", BTC, Side.SELL, [(99.0, 1.0), (98.5, 0.25)])
    assert ledger.visible("binance", BTC, Side.SELL, [(99.0, 1.0), (98.5, 1.0)]) == [(99.0, 0.0), (98.5, 0.75)]
