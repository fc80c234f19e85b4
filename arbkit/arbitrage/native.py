"""Which walk runs: ``walk.py`` compiled by mypyc (built by ``pip install``, see ``setup.py``) when it was built from
the current source, else the same source as pure Python. ``IMPLEMENTATION`` says which and why.

API: ``evaluate_levels`` and ``walk`` (the chosen module's), ``IMPLEMENTATION`` (one line), ``COMPILED`` (bool),
``pure()`` / ``compiled()`` (each module, for tests and benchmarks; ``compiled()`` is None when there is none).

The build writes ``_walk_build.py`` with the SHA-256 of the ``walk.py`` it compiled. A compiled module whose hash
differs from today's ``walk.py`` (the source edited since the install) is not used: a ``RuntimeWarning`` says so
and the source runs, so an edit is never shadowed by an older build. ``ARBKIT_PURE_PYTHON=1`` in the environment
chooses the source. Both run the same code and give the same answers (tested against each other and against the
exact reference); past the early exit the compiled one is 3 to 6 times as fast (``benchmarks/evaluate_cost.py``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import warnings
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import arbkit.arbitrage.walk as _walk

__all__ = ["COMPILED", "IMPLEMENTATION", "compiled", "evaluate_levels", "pure", "walk"]

_SOURCE = Path(__file__).with_name("walk.py")
_PURE_NAME = "arbkit.arbitrage._walk_source"


def _is_compiled(module: ModuleType) -> bool:
    return str(module.__file__).endswith(tuple(EXTENSION_SUFFIXES))


def pure() -> ModuleType:
    """``walk.py`` run as Python: the imported module when it is not compiled, else the source loaded apart."""
    if not _is_compiled(_walk):
        return _walk
    module = sys.modules.get(_PURE_NAME)
    if module is None:
        spec = importlib.util.spec_from_file_location(_PURE_NAME, _SOURCE)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[_PURE_NAME] = module
        spec.loader.exec_module(module)
    return module


def compiled() -> ModuleType | None:
    """The compiled ``walk`` when one is built (current or not), else None."""
    return _walk if _is_compiled(_walk) else None


def _choose() -> tuple[ModuleType, str]:
    if not _is_compiled(_walk):
        return _walk, "pure Python (walk.py is not compiled: see the README's install notes)"
    if os.environ.get("ARBKIT_PURE_PYTHON"):
        return pure(), "pure Python (ARBKIT_PURE_PYTHON is set; a compiled walk is built)"
    try:
        from arbkit.arbitrage._walk_build import SOURCE_SHA256
    except ImportError:
        SOURCE_SHA256 = "unknown"
    if SOURCE_SHA256 != hashlib.sha256(_SOURCE.read_bytes()).hexdigest():
        message = (
            "arbkit: the compiled walk is older than arbkit/arbitrage/walk.py (edited since the install); "
            "running the source instead. Rebuild with: pip install -e ."
        )
        warnings.warn(message, RuntimeWarning, stacklevel=2)
        return pure(), "pure Python (the compiled walk is stale: walk.py changed since the build)"
    return _walk, "compiled (mypyc)"


_module, IMPLEMENTATION = _choose()
COMPILED: bool = _is_compiled(_module)
if TYPE_CHECKING:  # the same signatures, whichever module runs
    from arbkit.arbitrage.walk import evaluate_levels, walk
else:
    evaluate_levels = _module.evaluate_levels
    walk = _module.walk
