"""What one worker runs: a task (a cell's config on one recording) through the cell function, caught into a row.

Everything here is module level and picklable, so a process pool (spawn or forkserver) and Ray ship the same
task to the same function. A task's config carries no credentials: paper replay needs none.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import msgspec

from arbkit.config import ArbkitConfig

__all__ = ["CellTask", "run_task", "without_credentials"]

CellFn = Callable[..., Any]


class CellTask(msgspec.Struct, frozen=True):
    """One (cell, recording): the cell function and its inputs, and the labels its row carries."""

    cell_id: str
    cell: int
    recording: str
    seed: int
    params: dict[str, Any]
    config: ArbkitConfig
    fn: Any  # the cell function: module-level, called as fn(recording, config, seed=seed)

    @property
    def key(self) -> tuple[str, str]:
        return (self.cell_id, self.recording)


def run_task(task: CellTask) -> dict[str, Any]:
    """Run one task; any exception becomes an ``error`` row with its reason, so one bad cell loses nothing else."""
    from arbkit.sweep.results import error_row, result_row

    labels = (task.cell_id, task.cell, task.recording, task.seed, task.params)
    start = time.perf_counter()
    try:
        result = task.fn(task.recording, task.config, seed=task.seed)
        return result_row(result, *labels, seconds=time.perf_counter() - start)
    except Exception as exc:  # the whole point: a failed cell is reported, not fatal
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return error_row(reason, *labels, seconds=time.perf_counter() - start)


def without_credentials(config: ArbkitConfig) -> ArbkitConfig:
    """The config with every secret removed, so none travels to a worker process or a cluster node."""
    entries = {}
    for name, entry in config.exchanges.items():
        secret = entry.secret_names()
        settings = {k: v for k, v in entry.settings.items() if k not in secret}
        headers = {k: v for k, v in entry.custom_headers.items() if k not in secret}
        entries[name] = msgspec.structs.replace(
            entry, api_key=None, secret_key=None, settings=settings, custom_headers=headers
        )
    return config.with_exchanges(entries)
