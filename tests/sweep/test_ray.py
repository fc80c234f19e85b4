"""The same sweep on a local Ray instance gives the process pool's rows, cell for cell."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from arbkit.sweep import sweep
from tests.sweep.helpers import make_recording, write_base

ray = pytest.importorskip("ray")

GRID = {"arbitrage.min_profit_bps": [1, 30], "paper.latency_ms.gateio": [5, 400]}


@pytest.fixture
def local_ray() -> Iterator[None]:
    """A 2-CPU local Ray instance. Ray's raylet gives its Python agents a fixed ~15 s to start, which a heavily
    loaded machine can miss; the node then never comes up, which is Ray's start-up and not the sweep, so the test
    is skipped with the reason (on this sprint's shared 2-core machine at load 5-12 it passed in about 25 s)."""
    try:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    except Exception as exc:
        ray.shutdown()
        pytest.skip(f"a local Ray instance could not start here: {str(exc).splitlines()[0]}")
    try:
        yield
    finally:
        ray.shutdown()


def test_ray_equals_the_process_pool(tmp_path: Path, local_ray: None) -> None:
    make_recording(tmp_path / "recs", "day1", rich_bps=60.0, books=9)
    make_recording(tmp_path / "recs", "day2", rich_bps=20.0, books=9)
    kwargs = {"config": write_base(tmp_path), "progress": False}  # the paper replay, replay_trade
    on_ray = sweep(tmp_path / "recs", GRID, tmp_path / "ray.parquet", ray=True, **kwargs)
    assert ray.is_initialized()  # the caller's Ray is left running
    pooled = sweep(tmp_path / "recs", GRID, workers=2, **kwargs)
    assert on_ray.height == 8 and on_ray["status"].to_list() == ["ok"] * 8 and on_ray["executions"].sum() > 0
    assert on_ray.drop("seconds").equals(pooled.drop("seconds"))
