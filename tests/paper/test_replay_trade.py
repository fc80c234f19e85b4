"""replay_trade: a recording traded on paper in simulated time. Executions happen, a replay is exactly
reproducible, a moved book gives a partial leg and an unwind, and latency never earns more than zero latency."""

from __future__ import annotations

import pickle
from pathlib import Path

import msgspec
import pytest

from arbkit.errors import ArbkitError
from arbkit.execution.journal import Journal
from arbkit.paper.replay_trade import ReplayTradeResult, replay_trade
from tests.paper.recordings import config, dislocations, moved_book

SPREAD = "binance: [5, 25, 60]\ngateio: [40, 60, 150]"  # measured round trips: the seed picks among them


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return dislocations(tmp_path_factory.mktemp("replay") / "dislocations")


@pytest.fixture(scope="module")
def moved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return moved_book(tmp_path_factory.mktemp("replay") / "moved")


def _tables(path: Path) -> tuple[list[object], ...]:
    journal = Journal(path)
    try:
        return journal.executions(), journal.orders(), journal.transitions(), journal.fills(), journal.events()
    finally:
        journal.close()


def test_zero_latency_hedges_every_execution_at_the_predicted_edge(market: Path) -> None:
    result = replay_trade(market, config(), zero_latency=True)
    assert result.executions >= 5 and result.outcomes == {"hedged": result.executions}
    assert result.fill_ratio == 1.0 and result.stuck == 0
    assert result.pnl_quote == pytest.approx(result.edge_predicted_quote, rel=1e-9)
    assert result.edge_captured_quote == pytest.approx(result.edge_predicted_quote, rel=1e-9)
    assert [p for _, p in result.equity] == sorted(p for _, p in result.equity)  # only gains: never a drawdown
    assert result.max_drawdown_quote == 0.0


def test_with_latency_executions_happen_and_some_legs_miss(market: Path) -> None:
    result = replay_trade(market, config())
    assert result.outcomes.get("hedged", 0) > 0
    assert 0.0 < result.fill_ratio < 1.0  # the book moves within the latency window of some legs
    assert result.updates == 400 and result.opportunities > 0
    assert result.refusals.get("cooldown", 0) > 0
    assert len(result.equity) == result.executions
    assert result.equity[-1][1] == pytest.approx(result.pnl_quote)


def test_same_seed_gives_the_same_journal_rows_and_result(market: Path, tmp_path: Path) -> None:
    runs = [replay_trade(market, config(SPREAD), seed=3, journal=tmp_path / f"j{i}.sqlite") for i in range(2)]
    assert runs[0].executions > 0
    assert msgspec.structs.replace(runs[0], journal_path=None) == msgspec.structs.replace(runs[1], journal_path=None)
    assert _tables(tmp_path / "j0.sqlite") == _tables(tmp_path / "j1.sqlite")
    replay_trade(market, config(SPREAD), seed=4, journal=tmp_path / "other.sqlite")
    assert _tables(tmp_path / "other.sqlite") != _tables(tmp_path / "j0.sqlite")  # the seed does matter


def test_the_result_pickles_for_worker_processes(market: Path) -> None:
    result = replay_trade(market, config(), zero_latency=True)
    assert isinstance(result, ReplayTradeResult) and result.journal_path is None
    assert pickle.loads(pickle.dumps(result)) == result


@pytest.mark.parametrize("recording", ["market", "moved"])
def test_latency_never_earns_more_than_zero_latency(recording: str, request: pytest.FixtureRequest) -> None:
    """Over latency models and seeds, on these recordings: a run's P&L and its legs' captured edge are at most the
    zero-latency run's (which no latency model or seed changes). What is guaranteed in general: docs/execution.md."""
    path = request.getfixturevalue(recording)
    zero = replay_trade(path, config(), zero_latency=True)
    assert zero.executions > 0
    for latency in ("", SPREAD, "'*': 150"):
        for seed in (0, 1, 2):
            late = replay_trade(path, config(latency), seed=seed)
            assert late.pnl_quote <= zero.pnl_quote + 1e-9, (latency, seed)
            assert late.edge_captured_quote <= zero.edge_captured_quote + 1e-9, (latency, seed)


@pytest.mark.parametrize("latency", [SPREAD, "'*': 150"])
def test_each_execution_captures_at_most_its_predicted_edge(market: Path, tmp_path: Path, latency: str) -> None:
    from arbkit.paper.replay_result import LEGS, _matched_pnl

    replay_trade(market, config(latency), seed=1, journal=tmp_path / "j.sqlite")
    executions, orders, *_ = _tables(tmp_path / "j.sqlite")
    assert executions
    for ex in executions:
        legs = [o for o in orders if o.execution_id == ex.id and o.role in LEGS]  # type: ignore[attr-defined]
        assert _matched_pnl(legs) <= ex.expected_profit + 1e-9, ex  # type: ignore[attr-defined]


def test_a_moved_book_gives_a_partial_leg_then_an_unwind(moved: Path, tmp_path: Path) -> None:
    result = replay_trade(moved, config("binance: 25\ngateio: 60"), journal=tmp_path / "j.sqlite")
    assert result.outcomes == {"hedged": 1} and result.stuck == 0
    _executions, orders, transitions, *_ = _tables(tmp_path / "j.sqlite")
    rows = {o.role: o for o in orders}  # type: ignore[attr-defined]
    assert rows["buy"].status == "filled" and rows["sell"].status == "expired"
    assert 0 < rows["sell"].filled < rows["sell"].quantity  # only what was left of the rich bid 60 ms later
    assert rows["hedge1"].exchange == "gateio" and rows["hedge1"].filled == 0  # completing: the bid is gone
    assert rows["hedge2"].exchange == "binance" and rows["hedge2"].side == "sell"  # unwound where it was bought
    assert rows["hedge2"].filled == pytest.approx(rows["buy"].filled - rows["sell"].filled)
    assert [t.to_state for t in transitions][-3:] == ["hedging", "hedging", "hedged"]  # type: ignore[attr-defined]
    assert result.pnl_quote < 0 < result.edge_predicted_quote
    assert result.max_drawdown_quote == pytest.approx(-result.pnl_quote)


def test_bad_input_is_one_line(market: Path, tmp_path: Path) -> None:
    with pytest.raises(ArbkitError, match="no such directory"):
        replay_trade(tmp_path / "nothing", config())
    (tmp_path / "empty").mkdir()
    with pytest.raises(ArbkitError, match="no recording.json"):
        replay_trade(tmp_path / "empty", config())
    (tmp_path / "used.sqlite").write_bytes(b"x")
    with pytest.raises(ArbkitError, match="already exists"):
        replay_trade(market, config(), journal=tmp_path / "used.sqlite")
