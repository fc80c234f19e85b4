"""The long campaign of the sizing property test: ``evaluate_levels`` against the exact ``Fraction`` reference on
5,000 (or ``--examples``) derandomized random book pairs, the strength issue 10 asks for; the suite runs 300. Run
on each walk there is: the compiled one (when built) and the source (``ARBKIT_PURE_PYTHON=1``).

    PYTHONPATH=. python benchmarks/sizing_campaign.py [--examples 5000]

Prints pytest's summary and the wall time per walk; exits with the first failing pytest status. Not a test.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from arbkit.arbitrage import native

TEST = "tests/arbitrage/test_sizing_property.py"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=5000)
    args = parser.parse_args()
    root = Path(__file__).resolve().parents[1]
    walks = [("compiled", {})] if native.COMPILED else []
    walks.append(("source", {"ARBKIT_PURE_PYTHON": "1"}))
    failed = 0
    for name, extra in walks:
        env = {**os.environ, "ARBKIT_SIZING_EXAMPLES": str(args.examples), **extra}
        start = time.perf_counter()
        command = [sys.executable, "-m", "pytest", TEST, "-q", "-p", "no:cacheprovider", "--no-header"]
        status = subprocess.run(command, cwd=root, env=env, check=False).returncode
        print(f"{name} walk, {args.examples} cases: {time.perf_counter() - start:.1f} s wall, pytest exit {status}")
        failed = failed or status
    return failed


if __name__ == "__main__":
    sys.exit(main())
