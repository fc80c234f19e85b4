"""The journal: schema, transitions checked against the machine, fills derived from order updates, frames, reopen."""

from __future__ import annotations

import sqlite3

import polars as pl
import pytest

from arbkit.execution.frames import journal_frames, orders_frame
from arbkit.execution.journal import Journal, OrderRow
from arbkit.execution.machine import ExecState, IllegalTransitionError
from tests.execution.helpers import plan


def order(cid: str, role: str, side: str, at: int = 1_000) -> OrderRow:
    return OrderRow(cid, "e1", role, "binance" if side == "buy" else "kraken", "BTC/USDT", side, 100.0, 0.01,
                    None, "pending", 0.0, None, 0.0, "", at, None, None, at)  # fmt: skip


def test_schema_has_the_documented_columns(tmp_path):
    Journal(tmp_path / "j.sqlite").close()
    db = sqlite3.connect(tmp_path / "j.sqlite")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    columns = {
        t: {r[1] for r in db.execute(f"PRAGMA table_info({t})")} for t in ("executions", "orders", "transitions")
    }
    assert {"id", "config_hash", "target", "mode", "pair_id", "buy_exchange", "sell_exchange", "planned_quantity",
            "state", "pnl_quote", "opened_ms", "closed_ms"} <= columns["executions"]  # fmt: skip
    assert {"client_order_id", "execution_id", "exchange", "symbol", "side", "price", "quantity", "exchange_order_id",
            "status", "filled", "average_price", "fee_quote", "updated_ms"} <= columns["orders"]  # fmt: skip
    assert {"execution_id", "seq", "from_state", "to_state", "reason", "at_ms"} <= columns["transitions"]


def test_lifecycle_survives_reopen(tmp_path):
    path = tmp_path / "j.sqlite"
    j = Journal(path)
    j.open_execution("e1", plan(), config_hash="abc", target="local", mode="live", at_ms=1_000)
    j.transition("e1", ExecState.RESERVED, "funds reserved", at_ms=1_001)
    j.add_order(order("akb", "buy", "buy"))
    j.add_order(order("aks", "sell", "sell"))
    j.transition("e1", ExecState.SUBMITTED, at_ms=1_002)
    with pytest.raises(IllegalTransitionError):
        j.transition("e1", ExecState.FLAT)
    j.close()  # a crash here leaves everything above

    j = Journal(path)
    assert [e.id for e in j.executions(open_only=True)] == ["e1"]
    assert [o.status for o in j.orders("e1")] == ["pending", "pending"]
    j.update_order(
        "akb", status="partially_filled", filled=0.004, average_price=100.0, fee_quote=0.0004, updated_ms=1_003
    )
    j.update_order("akb", status="expired", filled=0.01, average_price=99.97, fee_quote=0.001, updated_ms=1_004)
    fills = j.fills()
    assert [f.quantity for f in fills] == pytest.approx([0.004, 0.006])
    assert fills[1].price == pytest.approx((99.97 * 0.01 - 100.0 * 0.004) / 0.006)
    assert sum(f.fee_quote for f in fills) == pytest.approx(0.001)
    j.transition("e1", ExecState.WORKING, "buy=filled sell=unfilled", at_ms=1_005)
    j.transition("e1", ExecState.STUCK, "no hedge", at_ms=1_006, pnl_quote=-0.5)
    assert j.executions(open_only=True) == []
    row = j.execution("e1")
    assert (row.state, row.closed_ms, row.pnl_quote) == ("stuck", 1_006, -0.5)
    assert [t.to_state for t in j.transitions("e1")] == ["planned", "reserved", "submitted", "working", "stuck"]
    assert j.realised_pnl(since_ms=1_000) == -0.5 and j.realised_pnl(since_ms=2_000) == 0.0
    j.event("kill", "halted: test")
    assert j.events()[0].kind == "kill"
    frames = journal_frames(j)
    assert frames["executions"].height == 1 and frames["transitions"].height == 5 and frames["fills"].height == 2
    assert frames["executions"].schema["opened"] == pl.Datetime("ms", "UTC")
    orders = orders_frame(path)
    buy = orders.filter(pl.col("role") == "buy").row(0, named=True)
    assert buy["slippage_bps"] == pytest.approx(-3.0)  # 99.97 against a 100.0 plan: better than planned
    j.close()


def test_unknown_execution_is_a_clear_error(tmp_path):
    j = Journal(tmp_path / "j.sqlite")
    with pytest.raises(KeyError, match="no execution 'nope'"):
        j.transition("nope", ExecState.RESERVED)
    j.close()


def test_sync_levels_and_checkpoints(tmp_path):
    normal = Journal(tmp_path / "n.sqlite")
    full = Journal(tmp_path / "f.sqlite", sync="full")
    assert normal.db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert full.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert Journal(tmp_path / "d.sqlite", durable=True).sync == "full"
    with pytest.raises(ValueError, match="sync must be 'normal' or 'full', got 'off'"):
        Journal(tmp_path / "x.sqlite", sync="off")
    assert normal.db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0  # never inside a commit
    normal.open_execution("e1", plan(), config_hash="h", target="t", mode="live", at_ms=1, reserved="r")
    assert normal.uncheckpointed == 1
    normal.checkpoint()  # from its own connection: the WAL's frames are now in the database file
    busy, log_frames, done = normal.db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert busy == 0 and log_frames == done
    assert [t.to_state for t in normal.transitions("e1")] == ["planned", "reserved"]
    normal.close()
    full.close()
