"""The execution journal: one SQLite file (stdlib sqlite3, WAL), written before every network call it leads to.

Tables (documented in docs/execution.md): ``executions``, ``orders``, ``transitions``, ``fills``, ``events`` and
``meta``. Each write is its own committed transaction, so a process killed at any point leaves a journal from which
``Executor.resume()`` finishes what was in flight. WAL with ``synchronous=NORMAL`` survives a killed process (not a
power cut); ``sync="full"`` (config ``execution.journal_sync: full``) fsyncs every commit.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
from typing import Any

import msgspec

from arbkit.clock import now_ms
from arbkit.execution.machine import ExecState, transition
from arbkit.execution.plan import ExecutionPlan
from arbkit.structs import Symbol

__all__ = ["EventRow", "ExecutionRow", "FillRow", "Journal", "OrderRow", "TransitionRow", "now_ms"]

SCHEMA_VERSION = 1
CHECKPOINT_FALLBACK = 2000  # commits after which a commit checkpoints inline (the executor does it sooner, aside)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS executions (
    id TEXT PRIMARY KEY, config_hash TEXT NOT NULL, target TEXT NOT NULL, mode TEXT NOT NULL,
    pair_id TEXT NOT NULL, symbol TEXT NOT NULL, buy_exchange TEXT NOT NULL, sell_exchange TEXT NOT NULL,
    planned_quantity REAL NOT NULL, buy_price REAL NOT NULL, sell_price REAL NOT NULL,
    buy_vwap REAL NOT NULL, sell_vwap REAL NOT NULL, expected_profit REAL NOT NULL,
    buy_fee REAL NOT NULL, sell_fee REAL NOT NULL, buy_tick REAL NOT NULL, sell_tick REAL NOT NULL,
    step REAL NOT NULL, state TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '', pnl_quote REAL,
    opportunity_ms INTEGER NOT NULL, opened_ms INTEGER NOT NULL, closed_ms INTEGER
);
CREATE TABLE IF NOT EXISTS orders (
    client_order_id TEXT PRIMARY KEY, execution_id TEXT NOT NULL REFERENCES executions(id), role TEXT NOT NULL,
    exchange TEXT NOT NULL, symbol TEXT NOT NULL, side TEXT NOT NULL, price REAL NOT NULL, quantity REAL NOT NULL,
    exchange_order_id TEXT, status TEXT NOT NULL, filled REAL NOT NULL DEFAULT 0, average_price REAL,
    fee_quote REAL NOT NULL DEFAULT 0, error TEXT NOT NULL DEFAULT '',
    created_ms INTEGER NOT NULL, sent_ms INTEGER, acked_ms INTEGER, updated_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_execution ON orders(execution_id);
CREATE TABLE IF NOT EXISTS transitions (
    execution_id TEXT NOT NULL REFERENCES executions(id), seq INTEGER NOT NULL, from_state TEXT,
    to_state TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '', at_ms INTEGER NOT NULL,
    PRIMARY KEY (execution_id, seq)
);
CREATE TABLE IF NOT EXISTS fills (
    client_order_id TEXT NOT NULL REFERENCES orders(client_order_id), seq INTEGER NOT NULL,
    execution_id TEXT NOT NULL, exchange TEXT NOT NULL, side TEXT NOT NULL, price REAL NOT NULL,
    quantity REAL NOT NULL, fee_quote REAL NOT NULL, at_ms INTEGER NOT NULL,
    PRIMARY KEY (client_order_id, seq)
);
CREATE TABLE IF NOT EXISTS events (at_ms INTEGER NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL);
"""

# Order statuses in the journal: pending (written, not yet sent), sent (on the wire), unknown (no answer and not
# yet found), then the exchange's own: open, partially_filled, filled, canceled, expired, rejected; or missing
# (looked up by client id after a timeout and the exchange never received it).
FINAL_ORDER_STATUSES = frozenset({"filled", "canceled", "expired", "rejected", "missing"})


class ExecutionRow(msgspec.Struct, frozen=True):
    id: str
    config_hash: str
    target: str
    mode: str
    pair_id: str
    symbol: str
    buy_exchange: str
    sell_exchange: str
    planned_quantity: float
    buy_price: float
    sell_price: float
    buy_vwap: float
    sell_vwap: float
    expected_profit: float
    buy_fee: float
    sell_fee: float
    buy_tick: float
    sell_tick: float
    step: float
    state: str
    reason: str
    pnl_quote: float | None
    opportunity_ms: int
    opened_ms: int
    closed_ms: int | None

    def plan(self) -> ExecutionPlan:
        """The plan this execution was opened with (to resume it from the journal alone)."""
        return ExecutionPlan(
            pair_id=self.pair_id,
            symbol=Symbol.parse(self.symbol),
            buy_exchange=self.buy_exchange,
            sell_exchange=self.sell_exchange,
            quantity=self.planned_quantity,
            buy_price=self.buy_price,
            sell_price=self.sell_price,
            buy_vwap=self.buy_vwap,
            sell_vwap=self.sell_vwap,
            buy_worst=self.buy_price,
            sell_worst=self.sell_price,
            buy_fee=self.buy_fee,
            sell_fee=self.sell_fee,
            expected_profit=self.expected_profit,
            opportunity_ms=self.opportunity_ms,
            buy_tick=self.buy_tick,
            sell_tick=self.sell_tick,
            step=self.step,
        )


class OrderRow(msgspec.Struct, frozen=True):
    client_order_id: str
    execution_id: str
    role: str  # "buy", "sell", or "hedge<n>"
    exchange: str
    symbol: str
    side: str
    price: float
    quantity: float
    exchange_order_id: str | None
    status: str
    filled: float
    average_price: float | None
    fee_quote: float
    error: str
    created_ms: int
    sent_ms: int | None
    acked_ms: int | None
    updated_ms: int

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_ORDER_STATUSES


class TransitionRow(msgspec.Struct, frozen=True):
    execution_id: str
    seq: int
    from_state: str | None
    to_state: str
    reason: str
    at_ms: int


class FillRow(msgspec.Struct, frozen=True):
    client_order_id: str
    seq: int
    execution_id: str
    exchange: str
    side: str
    price: float
    quantity: float
    fee_quote: float
    at_ms: int


class EventRow(msgspec.Struct, frozen=True):
    at_ms: int
    kind: str
    detail: str


class Journal:
    """The journal file. One writer (the executor); readers may open the same file at any time."""

    def __init__(self, path: str | os.PathLike[str], durable: bool = False, sync: str | None = None) -> None:
        """``sync``: "normal" (default; survives a killed process) or "full" (also an OS crash or power cut);
        ``durable=True`` is "full" (``execution.journal_sync``)."""
        self.path = os.fspath(path)
        level = (sync or ("full" if durable else "normal")).upper()
        if level not in ("NORMAL", "FULL"):
            raise ValueError(f"journal {self.path}: sync must be 'normal' or 'full', got {sync!r}")
        self.sync = level.lower()
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={level}")
        # no checkpoint (and its fsync) inside a commit on the hot path: the executor runs ``checkpoint`` in a
        # thread between executions; ``_Transaction`` checkpoints inline only past CHECKPOINT_FALLBACK commits
        self._db.execute("PRAGMA wal_autocheckpoint=0")
        self.uncheckpointed = 0  # commits since the last checkpoint
        self._db.executescript(_SCHEMA)
        self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        self._cursor: dict[str, tuple[ExecState, int]] = {}  # execution -> (state, next seq), saves two SELECTs
        self._pending_cursor: dict[str, tuple[ExecState, int]] = {}

    # ------------------------------------------------------------------ executions and transitions
    def open_execution(
        self,
        execution_id: str,
        plan: ExecutionPlan,
        *,
        config_hash: str,
        target: str,
        mode: str,
        at_ms: int,
        reserved: str | None = None,
        orders: list[OrderRow] | None = None,
        submitted: str = "",
    ) -> None:
        """Record a new execution in PLANNED (with its first transition) in one transaction; with ``reserved`` (a
        reason) it moves on to RESERVED, and with ``orders`` on to SUBMITTED with both legs' rows, all in the same
        transaction: one commit before the legs go on the wire."""
        chain = [(ExecState.PLANNED, "gate passed")]
        if reserved is not None:
            chain.append((ExecState.RESERVED, reserved))
        if orders:
            chain.append((ExecState.SUBMITTED, submitted))
        for (before, _), (after, _) in itertools.pairwise(chain):
            transition(before, after)  # checked against the machine before anything is written
        state, reason = chain[-1]
        with self._tx():  # one INSERT per table: the fewest statements in the commit before the wire
            self._db.execute(
                "INSERT INTO executions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    execution_id, config_hash, target, mode, plan.pair_id, str(plan.symbol), plan.buy_exchange,
                    plan.sell_exchange, plan.quantity, plan.buy_price, plan.sell_price, plan.buy_vwap,
                    plan.sell_vwap, plan.expected_profit, plan.buy_fee, plan.sell_fee, plan.buy_tick,
                    plan.sell_tick, plan.step, state.value, reason if len(chain) > 1 else "", None,
                    plan.opportunity_ms, at_ms, None,
                ),
            )  # fmt: skip
            self._db.executemany(
                "INSERT INTO transitions VALUES (?,?,?,?,?,?)",
                [
                    (execution_id, seq, chain[seq - 1][0].value if seq else None, to.value, why, at_ms)
                    for seq, (to, why) in enumerate(chain)
                ],
            )
            if orders:
                values = [tuple(_values(r)) for r in orders]
                self._db.executemany("INSERT INTO orders VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", values)
            self._pending_cursor[execution_id] = (state, len(chain))

    def transition(
        self,
        execution_id: str,
        to: ExecState,
        reason: str = "",
        at_ms: int | None = None,
        pnl_quote: float | None = None,
    ) -> ExecState:
        """Move an execution to ``to`` (checked against the machine), appending the transition."""
        with self._tx():
            self._transition(execution_id, to, reason, now_ms() if at_ms is None else at_ms, pnl_quote)
        return to

    def _transition(self, eid: str, to: ExecState, reason: str, at: int, pnl_quote: float | None) -> None:
        known = self._cursor.get(eid)
        if known is None:
            row = self._db.execute("SELECT state FROM executions WHERE id=?", (eid,)).fetchone()
            if row is None:
                raise KeyError(f"journal {self.path}: no execution {eid!r}")
            seq = self._db.execute(
                "SELECT COALESCE(MAX(seq), -1) + 1 FROM transitions WHERE execution_id=?", (eid,)
            ).fetchone()[0]
            known = (ExecState(row[0]), seq)
        current, seq = known
        transition(current, to)
        self._db.execute(
            "INSERT INTO transitions VALUES (?,?,?,?,?,?)", (eid, seq, current.value, to.value, reason, at)
        )
        closed = at if to in (ExecState.FLAT, ExecState.HEDGED, ExecState.STUCK) else None
        self._db.execute(
            "UPDATE executions SET state=?, reason=?, closed_ms=COALESCE(?, closed_ms), "
            "pnl_quote=COALESCE(?, pnl_quote) WHERE id=?",
            (to.value, reason, closed, pnl_quote, eid),
        )
        self._pending_cursor[eid] = (to, seq + 1)

    def execution(self, execution_id: str) -> ExecutionRow:
        row = self._db.execute("SELECT * FROM executions WHERE id=?", (execution_id,)).fetchone()
        if row is None:
            raise KeyError(f"journal {self.path}: no execution {execution_id!r}")
        return ExecutionRow(*row)

    def executions(self, open_only: bool = False) -> list[ExecutionRow]:
        where = " WHERE state NOT IN ('flat','hedged','stuck')" if open_only else ""
        return [ExecutionRow(*r) for r in self._db.execute(f"SELECT * FROM executions{where} ORDER BY opened_ms, id")]

    def transitions(self, execution_id: str | None = None) -> list[TransitionRow]:
        if execution_id is None:
            rows = self._db.execute("SELECT * FROM transitions ORDER BY at_ms, execution_id, seq")
        else:
            rows = self._db.execute("SELECT * FROM transitions WHERE execution_id=? ORDER BY seq", (execution_id,))
        return [TransitionRow(*r) for r in rows]

    # ------------------------------------------------------------------ orders and fills
    def add_order(self, row: OrderRow) -> None:
        """Record an order in ``pending`` BEFORE it is sent, so a crash leaves its client id to look up."""
        with self._tx():
            self._db.execute("INSERT INTO orders VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", tuple(_values(row)))

    def update_order(self, client_order_id: str, **fields: Any) -> OrderRow:
        """Update an order's columns; a rise in ``filled`` appends a fill at the implied price."""
        with self._tx():
            before = self._order(client_order_id)
            if not fields:
                return before
            names = ", ".join(f"{k}=?" for k in fields)
            self._db.execute(f"UPDATE orders SET {names} WHERE client_order_id=?", (*fields.values(), client_order_id))
            after = self._order(client_order_id)
            self._fill_from(before, after)
        return after

    def _fill_from(self, before: OrderRow, after: OrderRow) -> None:
        qty = after.filled - before.filled
        if qty <= 1e-12 or after.average_price is None:
            return
        value = after.average_price * after.filled - (before.average_price or 0.0) * before.filled
        fee = after.fee_quote - before.fee_quote
        seq = self._db.execute(
            "SELECT COUNT(*) FROM fills WHERE client_order_id=?", (after.client_order_id,)
        ).fetchone()[0]
        self._db.execute(
            "INSERT INTO fills VALUES (?,?,?,?,?,?,?,?,?)",
            (after.client_order_id, seq, after.execution_id, after.exchange, after.side, value / qty, qty, fee,
             after.updated_ms),
        )  # fmt: skip

    def _order(self, client_order_id: str) -> OrderRow:
        row = self._db.execute("SELECT * FROM orders WHERE client_order_id=?", (client_order_id,)).fetchone()
        if row is None:
            raise KeyError(f"journal {self.path}: no order {client_order_id!r}")
        return OrderRow(*row)

    def order(self, client_order_id: str) -> OrderRow:
        return self._order(client_order_id)

    def orders(self, execution_id: str | None = None) -> list[OrderRow]:
        if execution_id is None:
            rows = self._db.execute("SELECT * FROM orders ORDER BY created_ms, client_order_id")
        else:
            rows = self._db.execute(
                "SELECT * FROM orders WHERE execution_id=? ORDER BY created_ms, client_order_id", (execution_id,)
            )
        return [OrderRow(*r) for r in rows]

    def fills(self) -> list[FillRow]:
        return [FillRow(*r) for r in self._db.execute("SELECT * FROM fills ORDER BY at_ms, client_order_id, seq")]

    # ------------------------------------------------------------------ events and meta
    def event(self, kind: str, detail: str, at_ms: int | None = None) -> None:
        """Record a kill switch, a reconciliation result or a trading-state change."""
        with self._tx():
            self._db.execute("INSERT INTO events VALUES (?,?,?)", (now_ms() if at_ms is None else at_ms, kind, detail))

    def events(self) -> list[EventRow]:
        return [EventRow(*r) for r in self._db.execute("SELECT * FROM events ORDER BY rowid")]

    def set_meta(self, key: str, value: str) -> None:
        with self._tx():
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?,?)", (key, value))

    def meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else row[0]

    def realised_pnl(self, since_ms: int = 0) -> float:
        """Sum of realised P&L of executions closed since ``since_ms``."""
        row = self._db.execute(
            "SELECT COALESCE(SUM(pnl_quote), 0) FROM executions WHERE closed_ms >= ?", (since_ms,)
        ).fetchone()
        return float(row[0])

    # ------------------------------------------------------------------ plumbing
    def _tx(self) -> _Transaction:
        return _Transaction(self)

    def checkpoint(self) -> None:
        """Copy the WAL into the database file (PASSIVE: never waits for or blocks the writer), on a connection of
        its own so it can run in a thread while the executor keeps writing."""
        if self.path == ":memory:":
            return
        db = sqlite3.connect(self.path, isolation_level=None)
        try:
            db.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            db.close()

    @property
    def db(self) -> sqlite3.Connection:
        """The SQLite connection, for tables another layer keeps in the same file (promotion's attestations)."""
        return self._db

    def close(self) -> None:
        self._db.close()

    def __repr__(self) -> str:
        return f"Journal({self.path!r})"


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error): each journal write is atomic and durable on return."""

    def __init__(self, journal: Journal) -> None:
        self._journal = journal
        self._db = journal._db

    def __enter__(self) -> None:
        self._journal._pending_cursor = {}
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *exc: object) -> None:
        self._db.execute("ROLLBACK" if kind is not None else "COMMIT")
        if kind is None:
            self._journal._cursor.update(self._journal._pending_cursor)
            self._journal.uncheckpointed += 1
            if self._journal.uncheckpointed >= CHECKPOINT_FALLBACK:  # nobody checkpoints: keep the WAL bounded
                self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")
                self._journal.uncheckpointed = 0
        self._journal._pending_cursor = {}


def _values(row: msgspec.Struct) -> list[Any]:
    return [getattr(row, f) for f in row.__struct_fields__]
