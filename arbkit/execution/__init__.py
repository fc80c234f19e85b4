"""Execution: both legs of an arbitrage sent, leg risk handled, a risk gate, a kill switch and a crash-safe journal.

Pure parts (config, plan, risk gate, state machine and leg policy) are separate from the I/O parts (journal, legs,
executor, kill switch, reconciliation).
"""

from __future__ import annotations

from arbkit.execution.config import ExecutionConfig, InventoryBand, execution_config, parse_execution_config
from arbkit.execution.machine import ActionKind, ExecState, LegOutcome, Position, decide, transition
from arbkit.execution.plan import ExecutionPlan, build_plan
from arbkit.execution.risk import RiskDecision, RiskInputs, RiskReason, TokenBucket, TradingState, check

__all__ = [
    "ActionKind",
    "ExecState",
    "ExecutionConfig",
    "ExecutionPlan",
    "InventoryBand",
    "LegOutcome",
    "Position",
    "RiskDecision",
    "RiskInputs",
    "RiskReason",
    "TokenBucket",
    "TradingState",
    "build_plan",
    "check",
    "decide",
    "execution_config",
    "parse_execution_config",
    "transition",
]
