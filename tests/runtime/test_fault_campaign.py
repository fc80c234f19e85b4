"""The short fault campaign (the benchmark's own code): >= 150 seeded faults of every kind in under a minute, with
no divergent live book, no book stuck afterwards, and nothing left running after stop. Timing targets are the
benchmark's to judge (benchmarks/fault_campaign.py), not a unit test's."""

from __future__ import annotations

from benchmarks.fault_campaign import SHORT, run_campaign


async def test_short_fault_campaign_keeps_every_book_right() -> None:
    report = await run_campaign(seed=5, plan=SHORT)
    assert sum(report.faults.values()) >= 150
    assert report.comparisons > 1000
    misses = report.misses(SHORT, timing=False)
    assert not misses, misses
