"""The setup every notebook shares: plotly charts that show everywhere, the config file, and an awaitable wait.

Charts carry two renderings: plotly's own mimetype (JupyterLab and VS Code draw it, offline) and HTML with
plotly.js embedded once per notebook, so ``jupyter nbconvert --to html`` exports and notebook viewers show them
too, without a network.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["CHART_RENDERER", "find_config", "notebook_setup", "wait_until"]

CHART_RENDERER = "plotly_mimetype+notebook"


def find_config(name: str = "config.yaml", start: Path | None = None) -> Path:
    """``name`` in the working directory or one of its parents (notebooks run from ``notebooks/``)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(f"{name} not found in {here} or any parent directory")


def notebook_setup(renderer: str = CHART_RENDERER, config: str = "config.yaml") -> Path:
    """Make plotly render with ``renderer`` (embedding plotly.js in this cell's output once) and return the path
    of ``config``."""
    import plotly.io as pio

    pio.renderers.default = renderer
    return find_config(config)


async def wait_until(condition: Callable[[], object], timeout: float = 10.0, every: float = 0.05) -> None:
    """Await until ``condition()`` is true; the kernel stays responsive while the books stream."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout:g}s")
        await asyncio.sleep(every)
