"""The ``promotion:`` section: what a dry run's attestation must show before the same config may trade for real.

Parsed here (the core config keeps the section raw); every value range-checked, errors name the key path.
"""

from __future__ import annotations

from typing import Any

import msgspec

from arbkit.config import ArbkitConfig
from arbkit.config_checks import Range, check_bool, check_keys, check_mapping, check_number

__all__ = ["PromotionConfig", "parse_promotion_config", "promotion_config"]

ROOT = "promotion"


class PromotionConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Rules a dry run must pass to promote its config (defaults are deliberately strict).

    ``min_executions`` (20): executions that reached a final state (FLAT, HEDGED or STUCK) in the dry run;
    ``min_minutes`` (60): how long the dry run lasted; ``allow_stuck`` (false): whether a STUCK execution may pass;
    ``min_pnl_quote`` (0): the dry run's realised P&L floor in quote (may be negative); ``max_age_hours`` (24): how
    old a passing attestation may be when the real run starts; ``max_drift_*``: how far live results may drift from
    the dry run per venue before a warning (fill ratio 0..1, slippage in bps, leg latency in ms).
    """

    min_executions: int = 20
    min_minutes: float = 60.0
    allow_stuck: bool = False
    min_pnl_quote: float = 0.0
    max_age_hours: float = 24.0
    max_drift_fill_ratio: float = 0.2
    max_drift_slippage_bps: float = 5.0
    max_drift_latency_ms: float = 250.0


_RANGES: dict[str, Range] = {
    "min_executions": Range(0, 1_000_000, integer=True),
    "min_minutes": Range(0.0, 43_200.0),
    "min_pnl_quote": Range(-1e12, 1e12),
    "max_age_hours": Range(0.0, 8_760.0, low_open=True),
    "max_drift_fill_ratio": Range(0.0, 1.0),
    "max_drift_slippage_bps": Range(0.0, 10_000.0),
    "max_drift_latency_ms": Range(0.0, 600_000.0),
}
_KNOWN = (*_RANGES, "allow_stuck")


def parse_promotion_config(raw: Any) -> PromotionConfig:
    """Validate the raw ``promotion:`` mapping (None: the defaults)."""
    if raw is None:
        return PromotionConfig()
    check_mapping(raw, ROOT)
    check_keys(raw, _KNOWN, ROOT)
    values: dict[str, Any] = {k: check_number(raw[k], f"{ROOT}.{k}", r) for k, r in _RANGES.items() if k in raw}
    if "allow_stuck" in raw:
        values["allow_stuck"] = check_bool(raw["allow_stuck"], f"{ROOT}.allow_stuck")
    return PromotionConfig(**values)


def promotion_config(config: ArbkitConfig | None) -> PromotionConfig:
    """The config's ``promotion:`` section, or the defaults when it has none."""
    return parse_promotion_config(None if config is None else config.sections.get(ROOT))
