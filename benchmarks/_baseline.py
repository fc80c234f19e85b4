"""Modules as they were before issue 10, loaded from git history at run time, for same-run ratios."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

BASELINE = "ab0cbe1"  # the last commit with the largest-root evaluator and the evaluate-on-every-update scanner
_MODULES = ("evaluate", "gating", "lifecycle", "scanner")


def baseline(name: str) -> types.ModuleType:
    """``arbkit/arbitrage/<name>.py`` at ``BASELINE`` as module ``baseline_<name>``; its imports of the other
    arbitrage modules point at their baseline copies too (needs the repository's ``.git``)."""
    return baseline_path(f"arbkit/arbitrage/{name}.py")


def baseline_path(path: str) -> types.ModuleType:
    """Any ``arbkit/...`` module at ``BASELINE`` (e.g. ``arbkit/exchanges/book_feed.py``) as ``baseline_<stem>``;
    imports of the baseline arbitrage modules are redirected to their baseline copies, others stay current."""
    module_name = f"baseline_{Path(path).stem}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    root = Path(__file__).resolve().parents[1]
    source = subprocess.run(
        ["git", "show", f"{BASELINE}:{path}"], cwd=root, capture_output=True, text=True, check=True
    ).stdout
    for other in _MODULES:
        if f"from arbkit.arbitrage.{other} import" in source:
            baseline(other)
            source = source.replace(f"from arbkit.arbitrage.{other} import", f"from baseline_{other} import")
    module = types.ModuleType(module_name)
    sys.modules[module_name] = module
    exec(compile(source, f"{BASELINE}:{path}", "exec"), module.__dict__)
    return module
