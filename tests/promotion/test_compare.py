"""Live vs the dry run that promoted it: per-venue fill ratio, slippage and leg latency of both runs from one
journal, their differences, the drift verdict and its logged warning, and the chart."""

from __future__ import annotations

import logging

import pytest

from arbkit.execution.journal import Journal, OrderRow
from arbkit.execution.machine import ExecState
from arbkit.promotion.attestation import AttestationStore, RunFacts
from arbkit.promotion.charts import calibration_chart
from arbkit.promotion.compare import COMPARE_COLUMNS, compare_runs
from arbkit.promotion.config import PromotionConfig
from tests.execution.helpers import plan
from tests.promotion.helpers import identity

IDENT = identity("cfg1")


def execution(j, eid, mode, at, buy_fill, sell_fill, buy_avg=100.0, sell_avg=101.0, buy_lat=20, sell_lat=80):
    """One execution: buy on binance (planned VWAP 100), sell on kraken (planned VWAP 101), filled as given."""
    rows = []
    for role, side, venue, lat in (("buy", "buy", "binance", buy_lat), ("sell", "sell", "kraken", sell_lat)):
        rows.append(OrderRow(f"ak{eid}{role[0]}", eid, role, venue, "BTC/USDT", side, 100.0, 0.01, None,
                             "pending", 0.0, None, 0.0, "", at, at, at + lat, at))  # fmt: skip
    j.open_execution(eid, plan(), config_hash=IDENT.config_hash, target=IDENT.target, mode=mode, at_ms=at,
                     reserved="funds", orders=rows)  # fmt: skip
    for row, fill, avg in ((rows[0], buy_fill, buy_avg), (rows[1], sell_fill, sell_avg)):
        status = "filled" if fill == 0.01 else "expired"
        j.update_order(row.client_order_id, status=status, filled=fill, average_price=avg if fill else None,
                       updated_ms=at + 100)  # fmt: skip
    j.transition(eid, ExecState.WORKING, at_ms=at + 100)
    j.transition(eid, ExecState.HEDGED if buy_fill == sell_fill else ExecState.STUCK, at_ms=at + 101, pnl_quote=0.0)


@pytest.fixture
def journal(tmp_path):
    j = Journal(tmp_path / "j.sqlite")
    execution(j, "d1", "dry-run", 10_000, 0.01, 0.01)
    execution(j, "d2", "dry-run", 20_000, 0.01, 0.01, buy_avg=100.01)  # 1 bps worse on binance
    store = AttestationStore(j.db)
    rules = PromotionConfig(
        min_executions=0,
        min_minutes=0,
        max_drift_fill_ratio=0.2,
        max_drift_slippage_bps=5.0,
        max_drift_latency_ms=100.0,
    )
    store.add(IDENT, RunFacts(5_000, 30_000, {"hedged": 2}, 0.0), rules, "run ended")
    execution(j, "x1", "dry-run", 25_000, 0.01, 0.01, buy_avg=120.0)  # inside the span, another config: left out
    j._db.execute("UPDATE executions SET config_hash = 'other' WHERE id = 'x1'")
    # live: binance fills only half on one leg, 10 bps worse; kraken as the dry run but 300 ms slower
    execution(j, "l1", "live", 40_000, 0.005, 0.005, buy_avg=100.1, sell_lat=380)
    execution(j, "l2", "live", 50_000, 0.01, 0.01, buy_avg=100.1, sell_lat=380)
    yield j
    j.close()


def test_per_venue_frame_and_drift(journal, caplog):
    with caplog.at_level(logging.WARNING, logger="arbkit.promotion.compare"):
        frame = compare_runs(journal)
    assert frame.columns == list(COMPARE_COLUMNS) and frame["venue"].to_list() == ["binance", "kraken"]
    binance, kraken = frame.row(0, named=True), frame.row(1, named=True)
    assert (binance["dry_legs"], binance["live_legs"]) == (2, 2)
    assert binance["dry_fill_ratio"] == 1.0 and binance["live_fill_ratio"] == pytest.approx(0.75)
    assert binance["dry_slippage_bps"] == pytest.approx(0.5) and binance["live_slippage_bps"] == pytest.approx(10.0)
    assert binance["fill_ratio_diff"] == pytest.approx(-0.25) and binance["drift"] is True
    assert kraken["fill_ratio_diff"] == pytest.approx(-0.25)  # the same half-filled execution
    assert kraken["dry_latency_ms"] == 80.0 and kraken["live_latency_ms"] == 380.0 and kraken["drift"] is True
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 2 and warned[0].startswith("binance: live results drift from the dry run")


def test_no_live_run_yet_gives_nulls_and_no_drift(journal):
    frame = compare_runs(journal, attestation_id=1, live_since_ms=60_000)
    assert frame["live_legs"].null_count() == 2 and not frame["drift"].any()


def test_chart_has_both_runs_per_panel(journal):
    fig = calibration_chart(compare_runs(journal))
    assert [t.name for t in fig.data] == ["dry run", "live"] * 3
    assert list(fig.data[0].x) == ["binance *", "kraken *"]
