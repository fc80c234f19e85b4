"""Attestations: what a dry run showed, judged against the ``promotion:`` rules, kept in the journal's
``attestations`` table (same SQLite file, so the guard reads the very journal the real run will write).

``judge`` is pure; ``AttestationStore`` is the table; ``attest`` builds one from the journal rows of a run.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import msgspec

from arbkit.promotion.config import PromotionConfig
from arbkit.promotion.identity import TradingIdentity

__all__ = ["Attestation", "AttestationStore", "RunFacts", "attest", "judge"]

FINAL_STATES = ("flat", "hedged", "stuck")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS attestations (
    id INTEGER PRIMARY KEY AUTOINCREMENT, config_hash TEXT NOT NULL, sections TEXT NOT NULL, target TEXT NOT NULL,
    started_ms INTEGER NOT NULL, ended_ms INTEGER NOT NULL, duration_s REAL NOT NULL, executions INTEGER NOT NULL,
    outcomes TEXT NOT NULL, pnl_quote REAL NOT NULL, stuck INTEGER NOT NULL, ended_by TEXT NOT NULL,
    passed INTEGER NOT NULL, why TEXT NOT NULL, rules TEXT NOT NULL
);
"""


class RunFacts(msgspec.Struct, frozen=True):
    """What one dry run did: its span, executions by final state, realised P&L."""

    started_ms: int
    ended_ms: int
    outcomes: dict[str, int]
    pnl_quote: float

    @property
    def duration_s(self) -> float:
        return max(0.0, (self.ended_ms - self.started_ms) / 1000.0)

    @property
    def executions(self) -> int:
        """Executions that reached a final state (FLAT, HEDGED or STUCK)."""
        return sum(self.outcomes.get(s, 0) for s in FINAL_STATES)

    @property
    def stuck(self) -> int:
        return self.outcomes.get("stuck", 0)


class Attestation(msgspec.Struct, frozen=True):
    """One row of ``attestations``."""

    id: int
    config_hash: str
    sections: dict[str, str]
    target: str
    started_ms: int
    ended_ms: int
    duration_s: float
    executions: int
    outcomes: dict[str, int]
    pnl_quote: float
    stuck: int
    ended_by: str
    passed: bool
    why: str
    rules: PromotionConfig

    def facts(self) -> RunFacts:
        return RunFacts(self.started_ms, self.ended_ms, self.outcomes, self.pnl_quote)


def judge(facts: RunFacts, rules: PromotionConfig) -> tuple[bool, str]:
    """(passed, why): every rule the run fails, joined with '; ', or what it showed when it passes."""
    failures = []
    if facts.executions < rules.min_executions:
        failures.append(f"{facts.executions} executions < min_executions {rules.min_executions}")
    minutes = facts.duration_s / 60.0
    if minutes < rules.min_minutes:
        failures.append(f"{minutes:.1f} minutes < min_minutes {rules.min_minutes:g}")
    if facts.stuck and not rules.allow_stuck:
        failures.append(f"{facts.stuck} STUCK execution(s) (allow_stuck is false)")
    if facts.pnl_quote < rules.min_pnl_quote:
        failures.append(f"P&L {facts.pnl_quote:.6g} < min_pnl_quote {rules.min_pnl_quote:g}")
    if failures:
        return False, "; ".join(failures)
    return True, f"{facts.executions} executions over {minutes:.1f} minutes, no rule failed"


class AttestationStore:
    """The ``attestations`` table of a journal's SQLite connection (created on first use)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._db.executescript(_SCHEMA)

    def add(self, identity: TradingIdentity, facts: RunFacts, rules: PromotionConfig, ended_by: str) -> Attestation:
        passed, why = judge(facts, rules)
        values = (
            identity.config_hash, msgspec.json.encode(identity.sections).decode(), identity.target,
            facts.started_ms, facts.ended_ms, facts.duration_s, facts.executions,
            msgspec.json.encode(facts.outcomes, order="sorted").decode(), facts.pnl_quote, facts.stuck, ended_by,
            int(passed), why, msgspec.json.encode(rules).decode(),
        )  # fmt: skip
        with self._db:
            cursor = self._db.execute(
                "INSERT INTO attestations (config_hash, sections, target, started_ms, ended_ms, duration_s, "
                "executions, outcomes, pnl_quote, stuck, ended_by, passed, why, rules) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                values,
            )
        return self.get(int(cursor.lastrowid or 0))

    def get(self, attestation_id: int) -> Attestation:
        rows = self._select("WHERE id = ?", (attestation_id,))
        if not rows:
            from arbkit.errors import ArbkitError

            raise ArbkitError(f"attestation {attestation_id}: not in this journal")
        return rows[0]

    def all(self) -> list[Attestation]:
        """Every attestation, newest first."""
        return self._select("", ())

    def _select(self, where: str, args: tuple[Any, ...]) -> list[Attestation]:
        cursor = self._db.execute(f"SELECT * FROM attestations {where} ORDER BY ended_ms DESC, id DESC", args)
        return [_row(r) for r in cursor.fetchall()]


def _row(r: tuple[Any, ...]) -> Attestation:
    return Attestation(
        id=r[0], config_hash=r[1], sections=msgspec.json.decode(r[2]), target=r[3], started_ms=r[4], ended_ms=r[5],
        duration_s=r[6], executions=r[7], outcomes=msgspec.json.decode(r[8]), pnl_quote=r[9], stuck=r[10],
        ended_by=r[11], passed=bool(r[12]), why=r[13], rules=msgspec.json.decode(r[14], type=PromotionConfig),
    )  # fmt: skip


def attest(
    store: AttestationStore,
    rows: list[Any],
    identity: TradingIdentity,
    rules: PromotionConfig,
    started_ms: int,
    ended_ms: int,
    ended_by: str,
) -> Attestation:
    """Judge the dry run made of journal execution ``rows`` (those opened since ``started_ms``) and store it."""
    outcomes: dict[str, int] = {}
    for row in rows:
        outcomes[str(row.state)] = outcomes.get(str(row.state), 0) + 1
    pnl = sum(row.pnl_quote or 0.0 for row in rows)
    return store.add(identity, RunFacts(started_ms, ended_ms, outcomes, pnl), rules, ended_by)
