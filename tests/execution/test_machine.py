"""The execution state machine and the leg-risk policy over all 25 leg-outcome combinations (pure)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arbkit.execution.machine import (
    TERMINAL,
    TRANSITIONS,
    ActionKind,
    ExecState,
    IllegalTransitionError,
    LegOutcome,
    Position,
    decide,
    outcome_of,
    transition,
)
from arbkit.structs import Side

Q = 1.0
FILL = {
    LegOutcome.FILLED: 1.0,
    LegOutcome.PARTIAL: 0.4,
    LegOutcome.UNFILLED: 0.0,
    LegOutcome.REJECTED: 0.0,
    LegOutcome.UNKNOWN: 0.0,
}


def position(buy, sell, bought=None, sold=None, attempts=0):
    return Position(
        buy_exchange="binance",
        sell_exchange="kraken",
        buy_outcome=buy,
        sell_outcome=sell,
        bought=FILL[buy] * Q if bought is None else bought,
        sold=FILL[sell] * Q if sold is None else sold,
        attempts=attempts,
        step=0.001,
    )


def test_transitions_read_top_to_bottom():
    path = [
        ExecState.PLANNED,
        ExecState.RESERVED,
        ExecState.SUBMITTED,
        ExecState.WORKING,
        ExecState.HEDGING,
        ExecState.HEDGED,
    ]
    state = path[0]
    for to in path[1:]:
        state = transition(state, to)
    assert state is ExecState.HEDGED
    for terminal in TERMINAL:
        assert not TRANSITIONS[terminal]
    with pytest.raises(IllegalTransitionError, match="illegal transition submitted -> flat"):
        transition(ExecState.SUBMITTED, ExecState.FLAT)
    with pytest.raises(IllegalTransitionError):
        transition(ExecState.HEDGED, ExecState.HEDGING)


def test_every_state_reaches_a_terminal_one():
    for state in ExecState:
        seen, todo = set(), [state]
        while todo:
            s = todo.pop()
            seen.add(s)
            todo.extend(TRANSITIONS[s] - seen)
        assert seen & TERMINAL, state


def test_outcome_of():
    assert outcome_of(1.0, 1.0) is LegOutcome.FILLED
    assert outcome_of(0.5, 1.0) is LegOutcome.PARTIAL
    assert outcome_of(0.0, 1.0) is LegOutcome.UNFILLED
    assert outcome_of(0.0, 1.0, rejected=True) is LegOutcome.REJECTED
    assert outcome_of(None, 1.0) is LegOutcome.UNKNOWN


# The first decision for each of the 25 combinations (fills as in FILL; an UNKNOWN leg is unresolved here).
EXPECTED = {
    ("filled", "filled"): (ActionKind.HEDGED, None),
    ("filled", "partial"): (ActionKind.COMPLETE, ("kraken", Side.SELL, 0.6)),
    ("filled", "unfilled"): (ActionKind.COMPLETE, ("kraken", Side.SELL, 1.0)),
    ("filled", "rejected"): (ActionKind.UNWIND, ("binance", Side.SELL, 1.0)),
    ("partial", "filled"): (ActionKind.COMPLETE, ("binance", Side.BUY, 0.6)),
    ("partial", "partial"): (ActionKind.HEDGED, None),
    ("partial", "unfilled"): (ActionKind.COMPLETE, ("kraken", Side.SELL, 0.4)),
    ("partial", "rejected"): (ActionKind.UNWIND, ("binance", Side.SELL, 0.4)),
    ("unfilled", "filled"): (ActionKind.COMPLETE, ("binance", Side.BUY, 1.0)),
    ("unfilled", "partial"): (ActionKind.COMPLETE, ("binance", Side.BUY, 0.4)),
    ("unfilled", "unfilled"): (ActionKind.FLAT, None),
    ("unfilled", "rejected"): (ActionKind.FLAT, None),
    ("rejected", "filled"): (ActionKind.UNWIND, ("kraken", Side.BUY, 1.0)),
    ("rejected", "partial"): (ActionKind.UNWIND, ("kraken", Side.BUY, 0.4)),
    ("rejected", "unfilled"): (ActionKind.FLAT, None),
    ("rejected", "rejected"): (ActionKind.FLAT, None),
}


@pytest.mark.parametrize(("buy", "sell"), list(itertools.product(LegOutcome, LegOutcome)))
def test_all_25_combinations(buy, sell):
    action = decide(position(buy, sell), hedge_attempts=3)
    if LegOutcome.UNKNOWN in (buy, sell):
        assert action.kind is ActionKind.STUCK and "unknown" in action.reason
        return
    kind, order = EXPECTED[(buy.value, sell.value)]
    assert action.kind is kind
    if order is not None:
        assert (action.exchange, action.side) == order[:2]
        assert action.quantity == pytest.approx(order[2])


def test_later_attempts_unwind_and_then_stick():
    first = decide(position(LegOutcome.FILLED, LegOutcome.UNFILLED), 2)
    assert first.kind is ActionKind.COMPLETE
    second = decide(position(LegOutcome.FILLED, LegOutcome.UNFILLED, attempts=1), 2)
    assert (second.kind, second.exchange, second.side) == (ActionKind.UNWIND, "binance", Side.SELL)
    last = decide(position(LegOutcome.FILLED, LegOutcome.UNFILLED, attempts=2), 2)
    assert last.kind is ActionKind.STUCK and "after 2 hedge attempts" in last.reason
    assert decide(position(LegOutcome.FILLED, LegOutcome.UNFILLED), 0).kind is ActionKind.STUCK


def test_excess_below_one_step_is_hedged():
    assert decide(position(LegOutcome.FILLED, LegOutcome.PARTIAL, bought=1.0, sold=0.9996), 3).kind is ActionKind.HEDGED


outcomes = st.sampled_from(list(LegOutcome))
fractions = st.sampled_from([0.0, 0.25, 0.5, 1.0])


@settings(max_examples=400, deadline=None)
@given(outcomes, outcomes, fractions, fractions, st.lists(fractions, min_size=0, max_size=8), st.integers(0, 5))
def test_policy_always_ends_and_only_shrinks_the_position(buy, sell, buy_part, sell_part, hedge_fills, attempts):
    """Simulate the executor's loop with hypothesis choosing what every hedge IOC fills."""
    bought = {LegOutcome.FILLED: Q, LegOutcome.PARTIAL: Q * max(buy_part, 0.1)}.get(buy, 0.0)
    sold = {LegOutcome.FILLED: Q, LegOutcome.PARTIAL: Q * max(sell_part, 0.1)}.get(sell, 0.0)
    p = position(buy, sell, bought=bought, sold=sold)
    fills = iter(hedge_fills)
    for _ in range(attempts + 2):
        action = decide(p, attempts)
        if action.kind in (ActionKind.FLAT, ActionKind.HEDGED, ActionKind.STUCK):
            break
        assert 0 < action.quantity <= abs(p.net) + 1e-12  # never over-hedged
        assert action.side is (Side.SELL if p.net > 0 else Side.BUY)
        filled = action.quantity * next(fills, 0.0)
        before = abs(p.net)
        p = Position(
            **{
                **_fields(p),
                "attempts": p.attempts + 1,
                "bought": p.bought + (filled if action.side is Side.BUY else 0.0),
                "sold": p.sold + (filled if action.side is Side.SELL else 0.0),
            }
        )
        assert abs(p.net) <= before + 1e-12
    else:
        pytest.fail("the policy did not end")
    assert p.attempts <= attempts
    if action.kind is ActionKind.FLAT:
        assert p.bought == p.sold == 0
    elif action.kind is ActionKind.HEDGED:
        assert abs(p.net) < p.step and p.bought > 0
    else:
        assert LegOutcome.UNKNOWN in (buy, sell) or (p.attempts == attempts and abs(p.net) >= p.step * (1 - 1e-9))


def _fields(p: Position) -> dict:
    return {f: getattr(p, f) for f in p.__struct_fields__}
