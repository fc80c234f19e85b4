"""The promotion guard: real orders only for a config and target that a recent dry run attested, and passed.

``check_promotion`` is pure over the journal's attestations: it returns the attestation that promotes, or raises
``PromotionRefused`` with one line saying why (none, stale, failed and why, another target, a changed config and
which section changed).
"""

from __future__ import annotations

import time

from arbkit.errors import ArbkitError
from arbkit.promotion.attestation import Attestation, judge
from arbkit.promotion.config import PromotionConfig
from arbkit.promotion.identity import LOCAL_VENUE, TradingIdentity, changed_sections

__all__ = ["PromotionRefused", "check_promotion"]

HINT = "run it with --dry-run (dry_run=True) first"


class PromotionRefused(ArbkitError):
    """No passing, fresh attestation for this config and target; the message says which and why."""


def check_promotion(
    attestations: list[Attestation],
    identity: TradingIdentity,
    rules: PromotionConfig,
    now_ms: int | None = None,
) -> Attestation:
    """The newest attestation that promotes ``identity`` under ``rules`` (passed then and still passes now, and
    no older than ``max_age_hours``); ``PromotionRefused`` otherwise."""
    now = int(time.time() * 1000) if now_ms is None else now_ms
    short = identity.config_hash
    same = [a for a in attestations if a.config_hash == identity.config_hash and a.target == identity.target]
    if not same:
        raise PromotionRefused(_missing(attestations, identity))
    good = [a for a in same if a.passed and judge(a.facts(), rules)[0]]
    if not good:
        last = same[0]
        why = last.why if not last.passed else judge(last.facts(), rules)[1] + " (under the current promotion rules)"
        raise PromotionRefused(f"the last dry run of config {short} on {identity.target} failed: {why}; {HINT}")
    best = good[0]
    age_h = (now - best.ended_ms) / 3_600_000.0
    if age_h > rules.max_age_hours:
        raise PromotionRefused(
            f"stale attestation: the dry run of config {short} on {identity.target} ended {age_h:.1f} h ago "
            f"(promotion.max_age_hours {rules.max_age_hours:g}); {HINT}"
        )
    return best


def _missing(attestations: list[Attestation], identity: TradingIdentity) -> str:
    short = identity.config_hash
    other_target = [a for a in attestations if a.config_hash == identity.config_hash]
    if other_target:
        where = other_target[0].target
        return (
            f"config {short} was dry-run on {_place(where)}, not on {_place(identity.target)}: "
            f"another target needs its own dry run; {HINT}"
        )
    here = [a for a in attestations if a.target == identity.target]
    if here:
        changed = changed_sections(here[0].sections, identity.sections)
        which = ", ".join(changed) if changed else "unknown section"
        return (
            f"config changed since the last dry run on {identity.target} (changed: {which}; "
            f"was {here[0].config_hash}, now {short}); {HINT}"
        )
    return f"no dry-run attestation for config {short} on {identity.target} in this journal; {HINT}"


def _place(target: str) -> str:
    return "the local venue" if target == LOCAL_VENUE else target
