"""Shared by the promotion tests: a local-venue config with a promotion section, and attestations made by hand."""

from __future__ import annotations

from typing import Any

from arbkit.config import ArbkitConfig
from arbkit.promotion.attestation import AttestationStore, RunFacts
from arbkit.promotion.config import PromotionConfig
from arbkit.promotion.identity import TradingIdentity

EASY = {"min_executions": 0, "min_minutes": 0}
HOUR_MS = 3_600_000


def venue_config(venue: Any, names: list[str], **sections: Any) -> ArbkitConfig:
    """The venue's exchanges (test credentials) plus raw sections (``promotion=``, ``execution=``, ...)."""
    return ArbkitConfig(exchanges={n: venue.exchange_config(n) for n in names}, sections=dict(sections))


def identity(config_hash: str = "h1", target: str = "local-venue", **sections: str) -> TradingIdentity:
    parts = {"exchanges": "e", "arbitrage": "a", "execution": "x"} | sections
    return TradingIdentity(config_hash, parts, target)


def add(
    store: AttestationStore,
    ident: TradingIdentity,
    *,
    ended_ms: int,
    minutes: float = 90.0,
    outcomes: dict[str, int] | None = None,
    pnl: float = 1.0,
    rules: PromotionConfig | None = None,
) -> Any:
    facts = RunFacts(ended_ms - int(minutes * 60_000), ended_ms, outcomes or {"hedged": 30}, pnl)
    return store.add(ident, facts, rules or PromotionConfig(), "run ended")
