"""Arbitrage pairs for watched symbols the config has no pair for, so every watched symbol is scanned.

A default pair has the settings an ``arbitrage_pairs`` entry gets when it names only its assets: every enabled
exchange, ``min_profit_bps`` 0 (any profit after both taker fees), no ``max_notional`` cap.
"""

from __future__ import annotations

from typing import Any

from arbkit.config import ArbkitConfig
from arbkit.structs import Symbol

DEFAULT_MIN_PROFIT_BPS = 0.0
DEFAULT_SETTINGS = "min profit 0 bps, no size cap, every enabled exchange"


def configured_symbols(raw: Any) -> set[Symbol]:
    """The symbols of the ``arbitrage_pairs`` in a raw ``arbitrage:`` mapping (entries that do not parse are skipped:
    the arbitrage config reports those)."""
    pairs = raw.get("arbitrage_pairs") if isinstance(raw, dict) else None
    found: set[Symbol] = set()
    for entry in pairs if isinstance(pairs, list) else ():
        if isinstance(entry, dict):
            try:
                found.add(Symbol.parse(f"{entry.get('base_asset')}/{entry.get('quote_asset')}"))
            except ValueError:
                continue
    return found


def default_pair_symbols(config: ArbkitConfig, symbols: list[Symbol]) -> list[Symbol]:
    """The watched symbols that no configured arbitrage pair covers."""
    covered = configured_symbols(config.sections.get("arbitrage"))
    return [s for s in symbols if s not in covered]


def with_default_pairs(raw: Any, symbols: list[Symbol]) -> Any:
    """The raw ``arbitrage:`` mapping plus one default pair per uncovered symbol (ids kept unique)."""
    if not isinstance(raw, dict):
        return raw
    existing = raw.get("arbitrage_pairs")
    pairs = list(existing) if isinstance(existing, list) else []
    if existing is not None and not isinstance(existing, list):
        return raw  # malformed: the arbitrage config reports it
    covered = configured_symbols(raw)
    ids = {str(p.get("id")) for p in pairs if isinstance(p, dict)}
    added = False
    for symbol in symbols:
        if symbol in covered:
            continue
        pair_id = f"{symbol.base}_{symbol.quote}".lower()
        while pair_id in ids:
            pair_id += "_default"
        ids.add(pair_id)
        pairs.append(
            {
                "id": pair_id,
                "base_asset": str(symbol.base),
                "quote_asset": str(symbol.quote),
                "min_profit_bps": DEFAULT_MIN_PROFIT_BPS,
            }
        )
        added = True
    return {**raw, "arbitrage_pairs": pairs} if added else raw
