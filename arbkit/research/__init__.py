"""Research layer: polars frames, plotly charts and HTML reprs for notebooks.

Names load lazily so ``import arbkit.research`` (done by ``OrderBook._repr_html_``) does not import polars or
plotly until a frame or chart is asked for.
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "RECORDED_BOOK_SCHEMA": "arbkit.research.frames",
    "book_frame": "arbkit.research.frames",
    "books_frame": "arbkit.research.frames",
    "top_of_book_frame": "arbkit.research.frames",
    "spread_frame": "arbkit.research.frames",
    "resample": "arbkit.research.frames",
    "opportunities_frame": "arbkit.research.frames",
    "lifecycles_frame": "arbkit.research.frames",
    "health_frame": "arbkit.research.frames",
    "depth_chart": "arbkit.research.charts",
    "spread_chart": "arbkit.research.charts",
    "opportunity_heatmap": "arbkit.research.charts",
    "opportunity_timeline": "arbkit.research.charts",
    "health_timeline": "arbkit.research.charts",
    "LiveChart": "arbkit.research.charts",
    "QuotePoint": "arbkit.research.charts",
    "order_book_html": "arbkit.research.html",
    "book_health_html": "arbkit.research.html",
    "opportunities_html": "arbkit.research.html",
    "opportunity_html": "arbkit.research.html",
    "session_html": "arbkit.research.html",
    "notebook_setup": "arbkit.research.notebook",
    "find_config": "arbkit.research.notebook",
    "wait_until": "arbkit.research.notebook",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'arbkit.research' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
