"""Compiles arbkit's one hot module, ``arbkit/arbitrage/walk.py`` (the evaluator's walk), with mypyc; everything else
about the package is in pyproject.toml.

The compiled module is optional: without a C compiler the build warns and the package installs as pure Python
(``arbkit.arbitrage.native.IMPLEMENTATION`` says which runs). ``ARBKIT_PURE_PYTHON=1`` at install skips the
compilation. The build also writes ``arbkit/arbitrage/_walk_build.py``, the SHA-256 of the source it compiled, so
a compiled module older than an edited source is never used (``arbkit.arbitrage.native``).
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

from setuptools import Extension, setup

HOT = "arbkit/arbitrage/walk.py"
BUILD_INFO = Path("arbkit/arbitrage/_walk_build.py")


def compiled_walk() -> list[Extension]:
    if os.environ.get("ARBKIT_PURE_PYTHON"):
        return []
    from mypyc.build import mypycify

    digest = hashlib.sha256(Path(HOT).read_bytes()).hexdigest()
    BUILD_INFO.write_text(
        '"""Written by setup.py: the SHA-256 of the walk.py the compiled walk was built from."""\n\n'
        f'SOURCE_SHA256 = "{digest}"\n'
    )
    # imported modules are read for their types only; a type error in walk.py fails the build
    extensions = mypycify(["--follow-imports=silent", "--ignore-missing-imports", HOT], opt_level="3")
    for extension in extensions:
        extension.optional = True  # no compiler: a warning, and the pure-Python walk runs
        if sys.platform != "win32":  # the same float results as Python: no fused multiply-add (aarch64's default)
            extension.extra_compile_args.append("-ffp-contract=off")
    return extensions


setup(ext_modules=compiled_walk())
