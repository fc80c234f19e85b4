"""``import arbkit`` and ``arbkit scan --help`` must not pull in plotly, polars or jupyter."""

from __future__ import annotations

import subprocess
import sys

import arbkit

HEAVY = ("plotly", "polars", "jupyter_client", "ipykernel", "pandas")


def _loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_import_arbkit_is_light() -> None:
    assert _loaded_after("import arbkit") == set()


def test_scan_help_is_light() -> None:
    code = (
        "import contextlib, io\nfrom arbkit.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n        main(['scan', '--help'])\n    except SystemExit:\n        pass"
    )
    assert _loaded_after(code) == set()


def test_public_api_matches_all() -> None:
    for name in arbkit.__all__:
        assert getattr(arbkit, name) is not None, name
    assert sorted(arbkit.__all__) == arbkit.__all__
