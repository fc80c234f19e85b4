"""A recording is one table to polars, DuckDB and (where installed) Spark, with types each accepts: signed ints,
ms/us UTC timestamps, hive partition values decoded back to ``BTC/USDT``. The Spark test starts a JVM (about a
minute on this machine), so it runs only with ``ARBKIT_SPARK=1`` and pyspark installed."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

from arbkit.recording import Recorder, dataset_glob, scan_dataset
from tests.recording.test_recorder import BTC, ETH, _Source


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import asyncio

    out = tmp_path_factory.mktemp("engines")

    async def record() -> None:
        sources = [_Source("binance", [BTC, ETH], levels=4), _Source("kraken", [BTC], levels=4)]
        recorder = Recorder(out, depth=4)
        for source in sources:
            recorder.attach_exchange(source)
        for _ in range(25):
            for source in sources:
                for symbol in source.active_symbols:
                    source.emit(symbol)
        await recorder.close()

    asyncio.run(record())
    return out


def test_parquet_types_are_ones_every_engine_reads(recording: Path) -> None:
    for dataset in ("books", "health"):
        for path in sorted((recording / dataset).glob("**/*.parquet")):
            for column in pq.ParquetFile(path).schema:
                logical = str(column.logical_type)
                assert "Int(bitWidth=" not in logical or "isSigned=true" in logical, (path, column.name)
                assert "NANOS" not in logical.upper() and "nanoseconds" not in logical, (path, column.name)
                if column.physical_type == "INT96":
                    pytest.fail(f"{path}: {column.name} is INT96")


def test_duckdb_reads_the_recording_as_one_table(recording: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect()
    glob = dataset_glob(recording)
    rows = con.execute(
        f"SELECT exchange, symbol, count(*) AS n, count(DISTINCT update_id) AS updates, min(level), max(level) "
        f"FROM read_parquet('{glob}', hive_partitioning = true) GROUP BY ALL ORDER BY exchange, symbol"
    ).fetchall()
    assert rows == [
        ("binance", "BTC/USDT", 25 * 8, 25, 0, 3),
        ("binance", "ETH/USDT", 25 * 8, 25, 0, 3),
        ("kraken", "BTC/USDT", 25 * 8, 25, 0, 3),
    ]
    described = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{glob}', hive_partitioning = true)").fetchall()
    types = {row[0]: row[1] for row in described}
    assert types["ts"] == "TIMESTAMP WITH TIME ZONE" and types["received"] == "TIMESTAMP WITH TIME ZONE"
    assert types["level"] == "INTEGER" and types["date"] == "DATE" and types["update_id"] == "BIGINT"
    best = con.execute(
        f"SELECT max(price) FROM read_parquet('{glob}', hive_partitioning = true) "
        "WHERE side = 'bid' AND level = 0 AND exchange = 'kraken'"
    ).fetchone()
    polars_best = (
        scan_dataset(recording)
        .filter((pl.col("side") == "bid") & (pl.col("level") == 0) & (pl.col("exchange") == "kraken"))
        .select(pl.col("price").max())
        .collect()
        .item()
    )
    assert best == (polars_best,)
    for dataset in ("health",):  # this recording has no scanner, so no opportunities
        count = con.execute(
            f"SELECT count(*) FROM read_parquet('{dataset_glob(recording, dataset)}', hive_partitioning = true)"
        )
        assert count.fetchone()[0] == scan_dataset(recording, dataset).select(pl.len()).collect().item()


@pytest.mark.skipif(not os.environ.get("ARBKIT_SPARK"), reason="a Spark JVM takes a minute here: ARBKIT_SPARK=1")
def test_spark_reads_the_recording_as_one_table(recording: Path) -> None:
    pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[1]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    try:
        df = spark.read.parquet(str(recording / "books"))
        types = dict(df.dtypes)
        assert types["level"] == "int" and types["ts"] == "timestamp" and types["date"] == "date"
        counts = sorted(tuple(r) for r in df.groupBy("exchange", "symbol").count().collect())
        assert counts == [("binance", "BTC/USDT", 200), ("binance", "ETH/USDT", 200), ("kraken", "BTC/USDT", 200)]
    finally:
        spark.stop()
