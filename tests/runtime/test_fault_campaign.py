"""The quick fault campaign (the benchmark's own code): seeded faults of every kind on 4 exchanges x 2 books in about
10 s, with no divergent live book, no book stuck afterwards, and nothing left running after stop. Timing targets are
the benchmark's to judge (benchmarks/fault_campaign.py), not a unit test's."""

from __future__ import annotations

from benchmarks.fault_campaign import KINDS, QUICK, run_campaign


async def test_quick_fault_campaign_keeps_every_book_right() -> None:
    report = await run_campaign(seed=5, plan=QUICK)
    assert sum(report.faults.values()) >= QUICK.minimum
    assert {kind for kind, _ in report.faults} == set(KINDS)
    assert report.comparisons > QUICK.comparisons
    misses = report.misses(QUICK, timing=False)
    assert not misses, misses
