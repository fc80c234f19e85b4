"""Reading a recording back: a dataset as a lazy frame, the books as per-update level lists in recorded order."""

from __future__ import annotations

import os
from collections.abc import Iterable

import msgspec
import numpy as np
import polars as pl

from arbkit.recording.schemas import dataset_glob
from arbkit.structs import Level, Symbol

__all__ = ["RecordedUpdate", "load_updates", "scan_dataset"]


class RecordedUpdate(msgspec.Struct, frozen=True):
    """One recorded book update: its top-N levels (bids descending, asks ascending) and where it came from."""

    update_id: int
    exchange: str
    symbol: str
    ts: int
    received_ms: float
    sequence: int | None
    bids: list[Level]
    asks: list[Level]


def scan_dataset(recording_dir: str | os.PathLike[str], dataset: str = "books") -> pl.LazyFrame:
    """One recorded dataset (``books``, ``health`` or ``opportunities``) as a lazy frame."""
    return pl.scan_parquet(dataset_glob(recording_dir, dataset), hive_partitioning=True)


def load_updates(
    recording_dir: str | os.PathLike[str],
    exchanges: Iterable[str] | None = None,
    symbols: Iterable[str | Symbol] | None = None,
) -> list[RecordedUpdate]:
    """The recorded book updates in recorded order (``update_id``), optionally for some exchanges/symbols only."""
    lf = scan_dataset(recording_dir)
    if exchanges is not None:
        lf = lf.filter(pl.col("exchange").is_in([e.lower() for e in exchanges]))
    if symbols is not None:
        lf = lf.filter(pl.col("symbol").is_in([str(Symbol.parse(s)) for s in symbols]))
    df = (
        lf.select(
            "update_id",
            "exchange",
            "symbol",
            pl.col("ts").dt.epoch("ms"),
            pl.col("received").dt.epoch("us"),
            "sequence",
            is_bid=pl.col("side") == "bid",
            price="price",
            size="size",
            level="level",
        )
        .sort("update_id", "is_bid", "level")
        .collect()
    )
    if df.height == 0:
        return []
    ids = df["update_id"].to_numpy()
    starts = np.concatenate(([0], np.flatnonzero(np.diff(ids)) + 1))
    ends = np.append(starts[1:], df.height)
    n_asks = (ends - starts) - np.add.reduceat(df["is_bid"].to_numpy().astype(np.int64), starts)
    price, size = df["price"].to_list(), df["size"].to_list()
    firsts = df[starts.tolist()]
    out = []
    for i, row in enumerate(firsts.iter_rows(named=True)):
        start, split, end = int(starts[i]), int(starts[i] + n_asks[i]), int(ends[i])
        out.append(
            RecordedUpdate(
                row["update_id"],
                row["exchange"],
                row["symbol"],
                row["ts"],
                row["received"] / 1000.0,
                row["sequence"],
                list(zip(price[split:end], size[split:end], strict=True)),
                list(zip(price[start:split], size[start:split], strict=True)),
            )
        )
    return out
