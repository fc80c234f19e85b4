"""``compact``: a recording of many small part files becomes one file per partition with the same rows, atomically,
and replays to the same opportunities as before; a recording in use is refused; the CLI reports and exits 2."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import polars as pl
import pytest

from arbkit.errors import ArbkitError
from arbkit.recording import Recorder, compact, opportunity_keys, read_meta, replay, scan_dataset
from arbkit.recording.files import STAGING, TMP, exchange_dirs
from arbkit.runtime.session import connect
from arbkit.venue import LocalVenue
from tests.recording.helpers import EXCHANGES, two_venue_config


@pytest.fixture(scope="module")
def small_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """~1.5 s of binance + gateio BTC/USDT flushed and rolled every 0.2 s (the old one-file-per-flush layout)."""
    out = tmp_path_factory.mktemp("small-files")

    async def record() -> None:
        async with LocalVenue(list(EXCHANGES), seed=5, update_interval=0.02) as venue:
            session = await connect(two_venue_config(venue), venue=venue, symbols=["BTC/USDT"], name="test-compact")
            recorder = Recorder(out, depth=10, flush_interval=0.2, roll_interval=0)
            try:
                recorder.attach(session)
                await asyncio.sleep(0.4)
                venue.inject_dislocation("gateio", "BTC/USDT", 12.0, 0.5)
                await asyncio.sleep(1.1)
            finally:
                await recorder.close()
                await session.stop()

    asyncio.run(record())
    return out


def _sorted_books(path: Path) -> pl.DataFrame:
    return scan_dataset(path).collect().sort("update_id", "side", "level")


def test_compaction_keeps_every_row_in_one_file_per_partition(small_files: Path, tmp_path: Path) -> None:
    out = tmp_path / "rec"
    shutil.copytree(small_files, out)
    before = _sorted_books(out)
    books_before = len(list((out / "books").glob("**/*.parquet")))
    assert books_before >= 2 * 5  # two partitions, several flushes each
    report = compact(out)
    assert report.files_before["books"] == books_before and report.files_after["books"] == 2
    assert report.partitions >= 2 and report.rows["books"] == before.height
    after = _sorted_books(out)
    assert after.equals(before)
    assert read_meta(out).rows["books"] == before.height
    assert not (out / TMP).exists() and not (out / STAGING).exists()
    again = compact(out)  # nothing left to merge
    assert again.partitions == 0 and again.files_after == report.files_after


async def test_a_compacted_recording_replays_the_same_opportunities(small_files: Path, tmp_path: Path) -> None:
    out = tmp_path / "rec"
    shutil.copytree(small_files, out)
    recorded = opportunity_keys(scan_dataset(out, "opportunities"))
    assert recorded
    await asyncio.to_thread(compact, out)
    assert opportunity_keys(scan_dataset(out, "opportunities")) == recorded
    result = await replay(out)
    assert opportunity_keys(result.events) == recorded


async def test_a_recording_in_use_is_not_compacted(tmp_path: Path) -> None:
    from tests.recording.test_recorder import BTC, _Source

    recorder = Recorder(tmp_path, depth=5)
    recorder.attach_exchange(_Source("binance", [BTC]))
    with pytest.raises(ArbkitError, match="in use by another recorder or compaction"):
        compact(tmp_path)
    await recorder.close()
    assert compact(tmp_path).rows["books"] == 0


def test_directory_exchange_is_atomic_and_complete(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "x").write_text("old")
    (b / "y").write_text("new")
    if not exchange_dirs(b, a):
        pytest.skip("this OS cannot exchange directories atomically (compaction falls back to rename + unlink)")
    assert [p.name for p in a.iterdir()] == ["y"] and [p.name for p in b.iterdir()] == ["x"]


def test_compact_cli(small_files: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from arbkit.cli.main import main

    out = tmp_path / "rec"
    shutil.copytree(small_files, out)
    assert main(["compact", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "books" in printed and "-> 2 files" in printed
    assert main(["compact", str(tmp_path / "missing")]) == 2
    assert "no such directory" in capsys.readouterr().err
    (tmp_path / "plain").mkdir()
    assert main(["compact", str(tmp_path / "plain")]) == 2
    assert "not a recording directory" in capsys.readouterr().err
