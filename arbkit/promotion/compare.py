"""Live results against the dry run that promoted them, per venue: fill ratio, slippage against the plan and leg
latency of each run, their differences, and a logged warning when a venue drifts beyond the ``promotion:`` limits.

API: ``compare_runs(journal, attestation_id=None, live_since_ms=None) -> pl.DataFrame`` (the dry run is the
attestation's span; the live run is every real execution of the same config hash and target after it).
"""

from __future__ import annotations

import logging
from typing import Any

import polars as pl

from arbkit.execution.frames import JournalLike, _open, orders_frame
from arbkit.promotion.attestation import Attestation, AttestationStore
from arbkit.promotion.config import PromotionConfig

__all__ = ["COMPARE_COLUMNS", "compare_runs", "run_legs"]

log = logging.getLogger(__name__)

METRICS = ("fill_ratio", "slippage_bps", "latency_ms")
COMPARE_COLUMNS = (
    "venue",
    *(f"{run}_{what}" for what in ("legs", *METRICS) for run in ("dry", "live")),
    *(f"{m}_diff" for m in METRICS),
    "drift",
)


def run_legs(journal: Any, execution_ids: set[str]) -> pl.DataFrame:
    """The buy and sell legs (not hedges) of the given executions, with ``latency_ms`` and ``slippage_bps``."""
    orders = orders_frame(journal)
    return orders.filter(pl.col("execution_id").is_in(sorted(execution_ids)) & pl.col("role").is_in(["buy", "sell"]))


def _per_venue(legs: pl.DataFrame, prefix: str) -> pl.DataFrame:
    return legs.group_by("exchange").agg(
        pl.len().cast(pl.Int64).alias(f"{prefix}_legs"),
        (pl.col("filled").sum() / pl.col("quantity").sum()).alias(f"{prefix}_fill_ratio"),
        pl.col("slippage_bps").mean().alias(f"{prefix}_slippage_bps"),
        pl.col("latency_ms").cast(pl.Float64).median().alias(f"{prefix}_latency_ms"),
    )


def compare_runs(
    journal: JournalLike, attestation_id: int | None = None, live_since_ms: int | None = None
) -> pl.DataFrame:
    """One row per venue: the dry run's and the live run's legs, fill ratio, mean slippage (bps, positive = worse
    than planned) and median leg latency (ms), the live-minus-dry differences, and ``drift`` (beyond the
    attestation's ``max_drift_*`` limits). A venue with no legs in one run has nulls there and no drift verdict."""
    j, owned = _open(journal)
    try:
        store = AttestationStore(j.db)
        attestation = _pick(store, attestation_id)
        rows = j.executions()
        same = [r for r in rows if r.config_hash == attestation.config_hash and r.target == attestation.target]
        dry = {
            r.id for r in same if r.mode == "dry-run" and attestation.started_ms <= r.opened_ms <= attestation.ended_ms
        }
        since = attestation.ended_ms if live_since_ms is None else live_since_ms
        live = {r.id for r in same if r.mode == "live" and r.opened_ms >= since}
        dry_legs, live_legs = run_legs(j, dry), run_legs(j, live)
    finally:
        if owned:
            j.close()
    frame = _join(_per_venue(dry_legs, "dry"), _per_venue(live_legs, "live"))
    frame = _with_drift(frame, attestation.rules)
    for row in frame.filter(pl.col("drift")).iter_rows(named=True):
        log.warning(
            "%s: live results drift from the dry run (fill ratio %+.3g, slippage %+.3g bps, latency %+.3g ms)",
            row["venue"], row["fill_ratio_diff"] or 0.0, row["slippage_bps_diff"] or 0.0, row["latency_ms_diff"] or 0.0,
        )  # fmt: skip
    return frame


def _pick(store: AttestationStore, attestation_id: int | None) -> Attestation:
    if attestation_id is not None:
        return store.get(attestation_id)
    passing = [a for a in store.all() if a.passed]
    if not passing:
        from arbkit.errors import ArbkitError

        raise ArbkitError("compare_runs: this journal holds no passing attestation (pass attestation_id=...)")
    return passing[0]


def _join(dry: pl.DataFrame, live: pl.DataFrame) -> pl.DataFrame:
    both = dry.join(live, on="exchange", how="full", coalesce=True).rename({"exchange": "venue"})
    return both.with_columns((pl.col(f"live_{m}") - pl.col(f"dry_{m}")).alias(f"{m}_diff") for m in METRICS).sort(
        "venue"
    )


def _with_drift(frame: pl.DataFrame, rules: PromotionConfig) -> pl.DataFrame:
    beyond = (
        (pl.col("fill_ratio_diff").abs() > rules.max_drift_fill_ratio).fill_null(False)
        | (pl.col("slippage_bps_diff").abs() > rules.max_drift_slippage_bps).fill_null(False)
        | (pl.col("latency_ms_diff").abs() > rules.max_drift_latency_ms).fill_null(False)
    )
    return frame.with_columns(beyond.alias("drift")).select(COMPARE_COLUMNS)
