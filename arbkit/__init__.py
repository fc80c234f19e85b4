"""arbkit: cross-exchange crypto arbitrage research on ccxt and ccxt.pro, from a notebook, a script or the CLI.

Heavy parts (ccxt, polars, plotly) load on first use, so ``import arbkit`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "load_config": "arbkit.config",
    "ArbkitConfig": "arbkit.config",
    "ExchangeConfig": "arbkit.config",
    "WebsocketConfig": "arbkit.config",
    "ConfigurationError": "arbkit.errors",
    "BaseExchangeError": "arbkit.errors",
    "ExchangeEnum": "arbkit.structs",
    "Symbol": "arbkit.structs",
    "OrderBook": "arbkit.structs",
    "BookHealth": "arbkit.structs",
    "Side": "arbkit.structs",
    "get_composite_implementation": "arbkit.exchanges.factory",
    "CompositePublicSpotExchange": "arbkit.exchanges.composite_public",
    "CompositePrivateSpotExchange": "arbkit.exchanges.composite_private",
    "LocalVenue": "arbkit.venue",
    "attach_to_venue": "arbkit.venue.attach",
    "connect": "arbkit.runtime.session",
    "stop_all": "arbkit.runtime.session",
    "Session": "arbkit.runtime.session",
    "Scanner": "arbkit.arbitrage.scanner",
    "Opportunity": "arbkit.arbitrage.evaluate",
    "OpportunityEvent": "arbkit.arbitrage.lifecycle",
    "make_spec": "arbkit.arbitrage.evaluate",
    "evaluate_books": "arbkit.arbitrage.evaluate",
    "Recorder": "arbkit.recording",
    "Replayer": "arbkit.recording",
    "replay": "arbkit.recording",
}
_EXPORTS.update(
    dict.fromkeys(
        (
            "book_frame",
            "books_frame",
            "top_of_book_frame",
            "spread_frame",
            "resample",
            "opportunities_frame",
            "lifecycles_frame",
            "health_frame",
            "depth_chart",
            "spread_chart",
            "opportunity_heatmap",
            "opportunity_timeline",
            "health_timeline",
            "LiveChart",
        ),
        "arbkit.research",
    )
)

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'arbkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
