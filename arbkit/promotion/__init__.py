"""Promotion from a dry run to real orders: attestations, the ``promotion:`` rules, the guard, pre-flight and the
live-vs-dry-run comparison (docs/execution.md, "Promotion")."""

from arbkit.promotion.attestation import Attestation, AttestationStore, RunFacts, judge
from arbkit.promotion.config import PromotionConfig, parse_promotion_config, promotion_config
from arbkit.promotion.guard import PromotionRefused, check_promotion
from arbkit.promotion.identity import LOCAL_VENUE, TradingIdentity, target_of, trading_identity
from arbkit.promotion.preflight import PreflightError, PreflightLine, run_preflight

__all__ = [
    "LOCAL_VENUE",
    "Attestation",
    "AttestationStore",
    "PreflightError",
    "PreflightLine",
    "PromotionConfig",
    "PromotionRefused",
    "RunFacts",
    "TradingIdentity",
    "check_promotion",
    "judge",
    "parse_promotion_config",
    "promotion_config",
    "run_preflight",
    "target_of",
    "trading_identity",
]
