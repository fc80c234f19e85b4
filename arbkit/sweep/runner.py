"""``sweep()``: every cell of a grid on every recording, through the paper replay, on a process pool or Ray.

The grid is expanded and every cell's config built and validated before anything runs (a bad key or value is one
line naming the grid file, the cell and the key). Finished rows go to the result store as they arrive, so a crash
or Ctrl-C keeps them, and a re-run with the same ``out`` skips them.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import polars as pl

from arbkit.errors import ConfigurationError
from arbkit.sweep.grid import Grid, grid_cells, load_grid, parse_grid
from arbkit.sweep.overrides import BaseConfig, cell_config, load_base
from arbkit.sweep.results import error_row
from arbkit.sweep.sources import Source, day_views, find_recordings
from arbkit.sweep.store import ResultStore
from arbkit.sweep.tasks import CellFn, CellTask, run_task, without_credentials

__all__ = ["plan_tasks", "sweep"]

Emit = Callable[[dict[str, Any]], None]
POOL_ATTEMPTS = 2  # a task whose pool broke this many times (a worker died) is reported as failed


def sweep(
    recordings: Source | Iterable[Source],
    grid: Grid | Mapping[str, Any] | str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    *,
    config: BaseConfig | str | os.PathLike[str] = "config.yaml",
    workers: int | None = None,
    ray: bool | str | None = None,
    cell_fn: CellFn | None = None,
    by_day: bool = False,
    progress: bool = True,
    flush_seconds: float = 5.0,
) -> pl.DataFrame:
    """Run the grid's cells on the recordings; one row per (cell, recording), earlier runs' rows in ``out`` included.

    ``workers``: processes (default: every core); 0 runs the cells in this process. ``ray``: ``True`` (the Ray
    instance already initialised, else a local one), ``"auto"`` or an address to join a cluster. ``cell_fn``
    defaults to :func:`arbkit.paper.replay_trade.replay_trade`. ``by_day``: each UTC day of each recording is a unit
    of its own (views under ``<out>.days/``, or a temporary folder without ``out``)."""
    scratch = None
    if by_day:
        scratch = (
            Path(out).with_name(Path(out).name + ".days")
            if out is not None
            else Path(tempfile.mkdtemp(prefix="arbkit-days-"))
        )
    tasks = plan_tasks(recordings, grid, config, cell_fn, days_in=scratch)
    store = ResultStore(out, flush_seconds=flush_seconds)
    try:
        done = store.finished()
        todo = [t for t in tasks if t.key not in done]
        with _progress(len(tasks), len(tasks) - len(todo), progress) as bar:

            def emit(row: dict[str, Any]) -> None:
                store.add(row)
                bar.update(1)
                if row["status"] != "ok":
                    bar.write(f"sweep: cell {row['cell']} on {Path(row['recording']).name} failed: {row['error']}")

            if ray is not None and ray is not False:
                from arbkit.sweep.ray_runner import run_on_ray

                run_on_ray(todo, emit, address=None if ray is True else str(ray))
            elif workers == 0:
                for task in todo:
                    emit(run_task(task))
            else:
                run_on_pool(todo, emit, workers=workers or os.cpu_count() or 1)
    finally:
        frame = store.close()
    return frame


def plan_tasks(
    recordings: Source | Iterable[Source],
    grid: Grid | Mapping[str, Any] | str | os.PathLike[str],
    config: BaseConfig | str | os.PathLike[str] = "config.yaml",
    cell_fn: CellFn | None = None,
    days_in: str | os.PathLike[str] | None = None,
) -> list[CellTask]:
    """Every (cell, recording) task, each cell's config validated; nothing runs but, with ``days_in``, the building
    of one view per recording day there."""
    if isinstance(grid, Grid):
        parsed = grid
    elif isinstance(grid, Mapping):
        parsed = parse_grid(grid)
    else:
        parsed = load_grid(grid)
    base = config if isinstance(config, BaseConfig) else load_base(config)
    found = find_recordings(recordings)
    planned = []
    for cell in grid_cells(parsed):
        try:
            _, cell_cfg = cell_config(base, cell.params)
        except ConfigurationError as exc:
            raise ConfigurationError(f"{parsed.source}: {cell.label()}: {exc}") from None
        planned.append((cell, cell.cell_id(base.config_hash), without_credentials(cell_cfg)))
    fn = cell_fn if cell_fn is not None else _replay_trade()
    if days_in is not None:
        found = day_views(found, days_in)
    return [
        CellTask(cell_id, cell.index, recording, cell.seed, cell.params, shipped, fn)
        for cell, cell_id, shipped in planned
        for recording in found
    ]


def run_on_pool(tasks: list[CellTask], emit: Emit, workers: int) -> None:
    """Tasks on a pool of ``workers`` processes (forkserver where the OS has it, else spawn; never a plain fork of this
    process, whose polars threads a child would not have); a pool broken by a
    dying worker is replaced and its unfinished tasks run again, up to ``POOL_ATTEMPTS`` times each."""
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    if method == "forkserver" and tasks:
        # the server imports the cell function's module once and every worker forks from it with that done
        # (arbkit's replay imports ccxt: seconds per worker otherwise); no thread has started there, so forking is safe
        # (the server lives as long as this process, so only the first pool pays for the imports)
        modules = ["arbkit.sweep.tasks", "arbkit.paper.replay_trade", getattr(tasks[0].fn, "__module__", "")]
        context.set_forkserver_preload([m for m in modules if m])
    pending = list(tasks)
    broken: Counter[tuple[str, str]] = Counter()
    while pending:
        retry: list[CellTask] = []
        pool = ProcessPoolExecutor(max_workers=min(workers, len(pending)), mp_context=context)
        try:
            futures: dict[Future[dict[str, Any]], CellTask] = {pool.submit(run_task, t): t for t in pending}
            while futures:
                finished, _ = wait(futures, return_when=FIRST_COMPLETED)
                for future in finished:
                    task = futures.pop(future)
                    try:
                        emit(future.result())
                    except BrokenProcessPool:
                        broken[task.key] += 1
                        if broken[task.key] >= POOL_ATTEMPTS:
                            reason = "worker process died while running or queued for this cell (pool broken twice)"
                            emit(
                                error_row(reason, task.cell_id, task.cell, task.recording, task.seed, task.params, 0.0)
                            )
                        else:
                            retry.append(task)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        pending = retry


def _replay_trade() -> CellFn:
    from arbkit.paper.replay_trade import replay_trade

    return replay_trade


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def write(self, text: str) -> None:
        pass

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def _progress(total: int, initial: int, enabled: bool) -> Any:
    if not enabled:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, desc="sweep", unit="cell")
