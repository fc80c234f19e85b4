"""What a recording is on disk: its datasets, their column schemas and partitions, and ``recording.json``.

Three datasets under ``out_dir`` (``books/``, ``health/``, ``opportunities/``), each laid out as
``<dataset>/date=YYYY-MM-DD/<exchange key>=<name>/symbol=<BASE%2FQUOTE>/part-<run>-<batch>.parquet`` so that
``pl.scan_parquet(f"{out_dir}/books/**/*.parquet", hive_partitioning=True)`` reads one lazy dataset (so do DuckDB
and Spark: see docs/recordings.md). The symbol is percent-encoded in the path as Hive does (``BTC%2FUSDT``); polars,
DuckDB and Spark decode it, so the column reads ``BTC/USDT``. The exchange and symbol are also columns of every file.

Opportunity rows follow ``OPPORTUNITY_SCHEMA`` (see ``RecordingMeta.version`` for older recordings).
Book rows follow ``RECORDED_BOOK_SCHEMA`` plus ``received`` (local receive time, us) and ``update_id`` (the order
in which the scanner saw the updates, across every venue: replay follows it). On disk ``level`` is a signed Int32
(Spark has no unsigned types); timestamps are ms or us with UTC, never ns.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import msgspec
import polars as pl

from arbkit.arbitrage.lifecycle import OpportunityEvent
from arbkit.errors import ArbkitError
from arbkit.research.frames import RECORDED_BOOK_SCHEMA
from arbkit.structs import BookHealth

__all__ = [
    "BOOK_SCHEMA",
    "DATASETS",
    "HEALTH_SCHEMA",
    "META_FILE",
    "OPPORTUNITY_SCHEMA",
    "RecordingMeta",
    "dataset_glob",
    "health_row",
    "opportunity_row",
    "read_meta",
    "write_meta",
]

DATASETS = ("books", "health", "opportunities")
META_FILE = "recording.json"
PARTITIONS = {"books": "exchange", "health": "exchange", "opportunities": "buy_exchange"}  # the exchange key

TS_MS, TS_US = pl.Datetime("ms", "UTC"), pl.Datetime("us", "UTC")
F64, I64, STR = pl.Float64(), pl.Int64(), pl.String()
BOOK_SCHEMA: dict[str, pl.DataType] = {
    **RECORDED_BOOK_SCHEMA, "level": pl.Int32(), "received": TS_US, "update_id": I64,
}  # fmt: skip
HEALTH_SCHEMA: dict[str, pl.DataType] = {
    "ts": TS_MS, "exchange": STR, "symbol": STR, "state": STR, "sequence": I64, "age_ms": F64,
    "updates": I64, "updates_per_second": F64, "gaps": I64, "resyncs": I64, "checksum_failures": I64,
    "reconnects": I64, "crossed": pl.Boolean(), "last_error": STR,
}  # fmt: skip
OPPORTUNITY_SCHEMA: dict[str, pl.DataType] = {
    "ts": TS_MS, "kind": STR, "pair_id": STR, "symbol": STR, "buy_exchange": STR, "sell_exchange": STR,
    "quantity": F64, "buy_vwap": F64, "sell_vwap": F64, "notional": F64, "profit_quote": F64,
    "edge_bps": F64, "top_edge_bps": F64, "top_raw_edge_bps": F64, "buy_levels": I64, "sell_levels": I64,
    "buy_fee": F64, "sell_fee": F64, "limited_by": STR, "max_quantity": F64, "buy_worst_price": F64,
    "sell_worst_price": F64, "opened": TS_MS, "last_seen": TS_MS,
    "closed": TS_MS, "duration_ms": I64, "peak_edge_bps": F64, "peak_profit": F64, "last_quantity": F64,
    "updates": I64, "close_reason": STR, "books_seen": I64, "event_id": I64,
}  # fmt: skip
ROW_SCHEMAS = {"health": HEALTH_SCHEMA, "opportunities": OPPORTUNITY_SCHEMA}


def dataset_schema(dataset: str) -> dict[str, pl.DataType]:
    """The column schema of one dataset (``books``, ``health`` or ``opportunities``)."""
    return BOOK_SCHEMA if dataset == "books" else ROW_SCHEMAS[dataset]


class RecordingMeta(msgspec.Struct, kw_only=True):
    """``recording.json``: what replay needs besides the rows (depth recorded, the scanner's arbitrage config).

    ``version`` 2 (issue 10) added ``max_quantity``, ``buy_worst_price`` and ``sell_worst_price`` to the
    opportunity rows, whose ``quantity`` is now the profit-maximising size; a version 1 recording's stored sizes use
    the old rule. Replay never reads stored sizes: it recomputes every opportunity from the recorded books.
    """

    version: int = 2
    depth: int = 20
    started_ms: int = 0
    stopped_ms: int | None = None
    exchanges: list[str] = msgspec.field(default_factory=list)
    symbols: list[str] = msgspec.field(default_factory=list)
    book_depth: dict[str, int] = msgspec.field(default_factory=dict)  # the live composites' depth per exchange
    arbitrage: dict[str, Any] | None = None  # msgspec.to_builtins(ArbitrageConfig) of the attached scanner
    rows: dict[str, int] = msgspec.field(default_factory=dict)
    imports: list[str] = msgspec.field(default_factory=list)  # instruments imported from vendor files, in order


def dataset_glob(out_dir: str | os.PathLike[str], dataset: str = "books") -> str:
    """The glob of one dataset's part files, for ``pl.scan_parquet(..., hive_partitioning=True)``."""
    return str(Path(out_dir) / dataset / "**" / "*.parquet")


def read_meta(out_dir: str | os.PathLike[str]) -> RecordingMeta:
    path = Path(out_dir) / META_FILE
    try:
        return msgspec.json.decode(path.read_bytes(), type=RecordingMeta)
    except FileNotFoundError:
        raise ArbkitError(f"recording {out_dir}: no {META_FILE} (not a recording directory)") from None
    except msgspec.DecodeError as exc:
        raise ArbkitError(f"recording {path}: unreadable ({exc})") from None


def write_meta(out_dir: Path, meta: RecordingMeta) -> None:
    """Write ``recording.json`` under a temporary name and rename it, so readers never see half a file."""
    path = out_dir / META_FILE
    tmp = path.with_name(f".{META_FILE}.tmp")
    tmp.write_bytes(msgspec.json.format(msgspec.json.encode(meta)))
    os.replace(tmp, path)


def health_row(health: BookHealth, now_ms: float) -> tuple[Any, ...]:
    """One ``HEALTH_SCHEMA`` row (in schema order) of a book's health at ``now_ms``."""
    return (
        int(now_ms), health.exchange, str(health.symbol), health.state.value, health.sequence, health.age_ms,
        health.updates, health.updates_per_second, health.gaps, health.resyncs, health.checksum_failures,
        health.reconnects, health.crossed, health.last_error,
    )  # fmt: skip


def opportunity_row(event: OpportunityEvent, books_seen: int, event_id: int) -> tuple[Any, ...]:
    """``books_seen``: book updates recorded before this event; ``event_id``: the event's place in the run."""
    o, life = event.opportunity, event.lifecycle
    return (
        o.timestamp_ms, event.kind.value, o.pair_id, str(o.symbol), o.buy_exchange, o.sell_exchange, o.quantity,
        o.buy_vwap, o.sell_vwap, o.notional, o.profit_quote, o.edge_bps, o.top_edge_bps, o.top_raw_edge_bps,
        o.buy_levels, o.sell_levels, o.buy_fee, o.sell_fee, o.limited_by, o.max_quantity, o.buy_worst_price,
        o.sell_worst_price, life.opened_ms, life.last_seen_ms,
        life.closed_ms, life.duration_ms, life.peak_edge_bps, life.peak_profit, life.last_quantity, life.updates,
        life.close_reason, books_seen, event_id,
    )  # fmt: skip
