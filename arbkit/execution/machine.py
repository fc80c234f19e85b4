"""The state machine of one execution and the leg-risk policy, both pure.

States read top to bottom: PLANNED -> RESERVED -> SUBMITTED -> WORKING -> FLAT | HEDGED | HEDGING | STUCK, and
HEDGING -> HEDGING | HEDGED | STUCK. ``transition(state, to)`` refuses anything else.

Each leg ends FILLED, PARTIAL, UNFILLED, REJECTED or UNKNOWN. ``decide(position, config)`` maps the 25 combinations
(and every later hedge attempt) to one action: finish FLAT, finish HEDGED, send one IOC that completes the short leg
or unwinds the excess, or give up STUCK. The rule:
- a leg still UNKNOWN after the lookup by client id: STUCK (the position cannot be known, so nothing is sent);
- bought == sold (to within one common step, the least both venues can trade): FLAT when nothing traded, else
  HEDGED;
- otherwise the first attempt completes the short leg when that leg only missed liquidity (PARTIAL or UNFILLED);
  when it was REJECTED (the venue refuses it, so it would refuse again), and on every later attempt, the excess is
  unwound on the venue that filled, where it can be traded back;
- after ``hedge_attempts`` attempts with an excess left: STUCK.
A hedge never trades more than the excess, so a position only ever shrinks.
"""

from __future__ import annotations

from enum import StrEnum

import msgspec

from arbkit.structs import Side

__all__ = [
    "TERMINAL",
    "TRANSITIONS",
    "Action",
    "ActionKind",
    "ExecState",
    "IllegalTransitionError",
    "LegOutcome",
    "Position",
    "decide",
    "outcome_of",
    "transition",
]


class ExecState(StrEnum):
    PLANNED = "planned"  # gate passed, journaled, nothing reserved or sent
    RESERVED = "reserved"  # funds reserved on both venues (in the executor's ledger)
    SUBMITTED = "submitted"  # written before both legs go on the wire
    WORKING = "working"  # both legs answered (or timed out and were looked up)
    HEDGING = "hedging"  # an excess is being completed or unwound
    FLAT = "flat"  # nothing filled
    HEDGED = "hedged"  # bought == sold (both legs filled alike, or the excess completed or unwound)
    STUCK = "stuck"  # could not be made flat within the policy: halts the asset


TERMINAL = frozenset({ExecState.FLAT, ExecState.HEDGED, ExecState.STUCK})

TRANSITIONS: dict[ExecState, frozenset[ExecState]] = {
    ExecState.PLANNED: frozenset({ExecState.RESERVED, ExecState.FLAT}),
    ExecState.RESERVED: frozenset({ExecState.SUBMITTED, ExecState.FLAT}),
    ExecState.SUBMITTED: frozenset({ExecState.WORKING}),
    ExecState.WORKING: frozenset({ExecState.FLAT, ExecState.HEDGED, ExecState.HEDGING, ExecState.STUCK}),
    ExecState.HEDGING: frozenset({ExecState.HEDGING, ExecState.HEDGED, ExecState.STUCK}),
    ExecState.FLAT: frozenset(),
    ExecState.HEDGED: frozenset(),
    ExecState.STUCK: frozenset(),
}


class IllegalTransitionError(ValueError):
    """A transition the machine does not allow (a bug, never a market event)."""


def transition(state: ExecState, to: ExecState) -> ExecState:
    """``to`` if the machine allows ``state -> to``; raise otherwise."""
    if to not in TRANSITIONS[state]:
        raise IllegalTransitionError(f"illegal transition {state} -> {to}")
    return to


class LegOutcome(StrEnum):
    FILLED = "filled"
    PARTIAL = "partial"
    UNFILLED = "unfilled"
    REJECTED = "rejected"
    UNKNOWN = "unknown"


def outcome_of(filled: float | None, quantity: float, rejected: bool = False, tolerance: float = 1e-9) -> LegOutcome:
    """Classify a final leg: ``filled`` None means no answer and no lookup result."""
    if filled is None:
        return LegOutcome.UNKNOWN
    if filled >= quantity - tolerance:
        return LegOutcome.FILLED
    if filled > tolerance:
        return LegOutcome.PARTIAL
    return LegOutcome.REJECTED if rejected else LegOutcome.UNFILLED


class ActionKind(StrEnum):
    FLAT = "flat"
    HEDGED = "hedged"
    COMPLETE = "complete"  # trade the short leg's missing quantity on its own venue
    UNWIND = "unwind"  # trade the excess back on the venue that filled it
    STUCK = "stuck"


class Action(msgspec.Struct, frozen=True):
    """What to do next; for COMPLETE / UNWIND one IOC of ``quantity`` on ``exchange`` at ``side``."""

    kind: ActionKind
    exchange: str = ""
    side: Side | None = None
    quantity: float = 0.0
    reason: str = ""


class Position(msgspec.Struct, frozen=True, kw_only=True):
    """Where one execution stands: what each leg did and what hedges added (base quantities)."""

    buy_exchange: str
    sell_exchange: str
    buy_outcome: LegOutcome
    sell_outcome: LegOutcome
    bought: float  # buy leg fills + hedge buys
    sold: float  # sell leg fills + hedge sells
    attempts: int = 0  # hedge orders sent so far
    step: float = 0.0  # the common quantity step; an excess below one step is untradeable dust

    @property
    def net(self) -> float:
        return self.bought - self.sold


def decide(position: Position, hedge_attempts: int) -> Action:
    """The next action for ``position`` under the policy in the module docstring."""
    p = position
    legs = f"buy={p.buy_outcome} sell={p.sell_outcome}"
    if LegOutcome.UNKNOWN in (p.buy_outcome, p.sell_outcome):
        return Action(ActionKind.STUCK, reason=f"{legs}: a leg is still unknown after lookup by client id")
    tolerance = max(p.step * (1.0 - 1e-9), 1e-12)  # less than one step cannot be traded on both venues
    net = p.net
    if abs(net) <= tolerance:
        if p.bought <= tolerance and p.sold <= tolerance:
            return Action(ActionKind.FLAT, reason=f"{legs}: nothing filled")
        return Action(ActionKind.HEDGED, reason=f"{legs}: bought {p.bought:.8g} = sold {p.sold:.8g}")
    if p.attempts >= hedge_attempts:
        return Action(ActionKind.STUCK, reason=f"{legs}: excess {net:+.8g} left after {p.attempts} hedge attempts")
    long = net > 0  # bought more than sold: sell the excess
    short_outcome = p.sell_outcome if long else p.buy_outcome
    side = Side.SELL if long else Side.BUY
    excess = abs(net)
    if p.attempts == 0 and short_outcome in (LegOutcome.PARTIAL, LegOutcome.UNFILLED):
        venue = p.sell_exchange if long else p.buy_exchange
        return Action(ActionKind.COMPLETE, venue, side, excess, f"{legs}: complete the short leg on {venue}")
    venue = p.buy_exchange if long else p.sell_exchange
    return Action(ActionKind.UNWIND, venue, side, excess, f"{legs}: unwind {excess:.8g} on {venue}")
