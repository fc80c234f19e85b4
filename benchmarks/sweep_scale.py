"""Cells per second of a sweep: in this process, on 1 and 2 worker processes, and on a local Ray instance.

Run: ``PYTHONPATH=. python benchmarks/sweep_scale.py [--cells 16] [--books 200] [--repeat 3] [--cell replay]``.
Each mode sweeps the same grid over the same recording ``--repeat`` times; the median cells per second of each is
printed with its ratio to one worker process. Pool start-up is inside the timing (a user waits for it too); Ray's
start-up is not (a cluster is started once and serves many sweeps). The recording is made from synthetic vendor
snapshot rows. ``--cell replay`` (default) runs the paper replay; ``crossings`` a cheap stand-in that only reads the
recording, which shows the runner's own overhead.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from arbkit.sweep import sweep

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: the tests' recording maker
from tests.sweep.helpers import crossings, make_recording, write_base


def _cell_fn(name: str) -> Any:
    if name == "crossings":
        return crossings
    from arbkit.paper.replay_trade import replay_trade

    return replay_trade


def _rate(recording: Path, config: Path, grid: dict[str, list[int]], cells: int, **kwargs: Any) -> float:
    start = time.perf_counter()
    results = sweep(recording, grid, config=config, progress=False, **kwargs)
    elapsed = time.perf_counter() - start
    failed = results.filter(results["status"] != "ok")
    if failed.height:
        raise SystemExit(f"sweep_scale: {failed.height} cell(s) failed, e.g. {failed['error'][0]}")
    return cells / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=16, help="cells per sweep (default: 16)")
    parser.add_argument("--books", type=int, default=200, help="books per venue in the recording (default: 200)")
    parser.add_argument("--repeat", type=int, default=3, help="sweeps per mode (default: 3)")
    parser.add_argument("--cell", choices=("replay", "crossings"), default="replay")
    parser.add_argument("--no-ray", action="store_true", help="skip the Ray measurement")
    args = parser.parse_args()
    fn = _cell_fn(args.cell)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        recording = make_recording(root, "bench", rich_bps=30.0, books=args.books)
        config = write_base(root)
        grid = {"execution.leg_timeout_ms": [500 + 10 * i for i in range(args.cells)]}
        modes: dict[str, dict[str, Any]] = {
            "in-process": {"workers": 0},
            "1 worker process": {"workers": 1},
            "2 worker processes": {"workers": 2},
        }
        rates: dict[str, list[float]] = {name: [] for name in modes}
        for _ in range(args.repeat):
            for name, kwargs in modes.items():
                rates[name].append(_rate(recording, config, grid, args.cells, cell_fn=fn, **kwargs))
        if not args.no_ray:
            import ray

            try:
                ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
            except Exception as exc:  # a loaded machine can miss the raylet's fixed wait for its agents
                ray.shutdown()
                print(f"sweep_scale: a local Ray instance could not start: {str(exc).splitlines()[0]}")
            else:
                try:
                    rates["ray (local, 2 CPUs)"] = [
                        _rate(recording, config, grid, args.cells, cell_fn=fn, ray=True) for _ in range(args.repeat)
                    ]
                finally:
                    ray.shutdown()
    base = statistics.median(rates["1 worker process"])
    print(f"sweep_scale: {args.cells} cells x 1 recording ({args.books} books per venue), cell={args.cell}, "
          f"median of {args.repeat}")  # fmt: skip
    for name, values in rates.items():
        median = statistics.median(values)
        print(f"  {name:<22} {median:8.2f} cells/s   x{median / base:5.2f} vs 1 worker process")


if __name__ == "__main__":
    main()
