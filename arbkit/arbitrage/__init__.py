"""The pure core of the arbitrage engine (no I/O): config, opportunity math, lifecycles and book-health gating.

- ``config``: ``parse_arbitrage_config`` / ``ArbitrageConfig`` / ``validate_pair_listing``.
- ``evaluate``: ``make_spec`` (``spec``) once per ordered venue pair, then ``evaluate_books`` / ``evaluate_levels``
  per update; ``sizing`` settles the size on the step grid exactly.
- ``lifecycle``: ``OpportunityTracker.observe`` turns evaluations into OPENED/UPDATED/CLOSED events.
- ``gating``: ``gate`` / ``HealthTable`` decide whether a book may feed signals.
"""

from arbkit.arbitrage.config import (
    ArbitrageConfig,
    ArbitragePair,
    OpportunityType,
    parse_arbitrage_config,
    validate_pair_listing,
)
from arbkit.arbitrage.evaluate import (
    BookRejectedError,
    Opportunity,
    VenuePairSpec,
    evaluate_books,
    evaluate_levels,
    make_spec,
    top_of_book_edge_bps,
)
from arbkit.arbitrage.gating import GateDecision, GateThresholds, HealthTable, gate, gate_pair
from arbkit.arbitrage.lifecycle import (
    EventKind,
    LifecycleStats,
    OpportunityEvent,
    OpportunityLifecycle,
    OpportunityTracker,
    lifecycle_stats,
    stats_by_key,
)

__all__ = [
    "ArbitrageConfig",
    "ArbitragePair",
    "BookRejectedError",
    "EventKind",
    "GateDecision",
    "GateThresholds",
    "HealthTable",
    "LifecycleStats",
    "Opportunity",
    "OpportunityEvent",
    "OpportunityLifecycle",
    "OpportunityTracker",
    "OpportunityType",
    "VenuePairSpec",
    "evaluate_books",
    "evaluate_levels",
    "gate",
    "gate_pair",
    "lifecycle_stats",
    "make_spec",
    "parse_arbitrage_config",
    "stats_by_key",
    "top_of_book_edge_bps",
    "validate_pair_listing",
]
