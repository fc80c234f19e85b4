"""Sweep tasks on Ray: one Ray task per (cell, recording), the same ``run_task`` the process pool runs.

``address=None`` uses the Ray instance this process already initialised, else starts a local one; ``"auto"`` or
``ray://host:port`` / ``host:port`` joins a cluster. Workers read the recordings from their paths, so on a cluster
the recordings must sit on storage every node mounts at the same path. A Ray this function started is shut down
at the end; one the caller started is left running.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from arbkit.errors import ConfigurationError
from arbkit.sweep.tasks import CellTask, run_task

__all__ = ["RAY_MISSING", "import_ray", "run_on_ray"]

RAY_MISSING = 'Ray is not installed; install the cluster extra: pip install "arbkit[cluster]"'
MAX_IN_FLIGHT_PER_CPU = 4  # tasks submitted ahead of the ones finished, per cluster CPU


def import_ray() -> Any:
    """The ``ray`` module, or a one-line ConfigurationError telling the pip command."""
    try:
        import ray
    except ImportError:
        raise ConfigurationError(RAY_MISSING) from None
    return ray


def run_on_ray(tasks: list[CellTask], emit: Callable[[dict[str, Any]], None], address: str | None = None) -> None:
    """Run ``tasks`` as Ray tasks, emitting each row as it finishes."""
    ray = import_ray()
    started = False
    if not ray.is_initialized():
        try:
            ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
        except Exception as exc:  # ConnectionError for no cluster at the address; Ray raises others at start-up
            ray.shutdown()
            where = address or "local instance"
            detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ConfigurationError(f"--ray {where}: cannot start or reach Ray ({detail})") from None
        started = True  # else the caller's own ray.init() chose the cluster, and wins over ``address``
    try:
        remote = ray.remote(num_cpus=1, max_retries=1)(run_task)
        window = max(1, int(ray.cluster_resources().get("CPU", 1)) * MAX_IN_FLIGHT_PER_CPU)
        queue = list(reversed(tasks))
        running: dict[Any, CellTask] = {}
        while queue or running:
            while queue and len(running) < window:
                task = queue.pop()
                running[remote.remote(task)] = task
            ready, _ = ray.wait(list(running), num_returns=1)
            for ref in ready:
                task = running.pop(ref)
                emit(_row(ray, ref, task))
    finally:
        if started:
            ray.shutdown()


def _row(ray: Any, ref: Any, task: CellTask) -> dict[str, Any]:
    """The task's row; a task Ray itself lost (its worker or node died twice) becomes an error row."""
    from arbkit.sweep.results import error_row

    try:
        return ray.get(ref)
    except Exception as exc:  # ray.exceptions.RayError and its kin: the cell is reported, the sweep goes on
        reason = f"Ray lost the task: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        return error_row(reason, task.cell_id, task.cell, task.recording, task.seed, task.params, 0.0)
