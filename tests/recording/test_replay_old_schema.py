"""A recording written before issue 10 (opportunity rows without ``max_quantity`` and the worst prices, sizes by the
old largest-root rule, ``recording.json`` version 1) still reads and replays: replay recomputes every opportunity
from the recorded books with today's sizing and never trusts the stored sizes."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import polars as pl
import pytest

from arbkit.recording import Recorder, opportunity_keys, read_meta, replay, scan_dataset
from arbkit.runtime.session import connect
from arbkit.venue import LocalVenue
from tests.recording.helpers import EXCHANGES, two_venue_config

NEW_COLUMNS = ("max_quantity", "buy_worst_price", "sell_worst_price")


def _to_old_schema(out: Path) -> None:
    """Rewrite a recording as the pre-issue-10 recorder wrote it: old columns, old-rule sizes, version 1."""
    for part in (out / "opportunities").glob("**/*.parquet"):
        frame = pl.read_parquet(part)
        frame.with_columns(quantity=pl.col("max_quantity")).drop(*NEW_COLUMNS).write_parquet(part)
    meta = json.loads((out / "recording.json").read_text())
    meta["version"] = 1
    (out / "recording.json").write_text(json.dumps(meta))


@pytest.fixture(scope="module")
def old_recording(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple]]:
    """~1.6 s of binance + gateio BTC/USDT with gateio 12 bps rich for 0.6 s; returns the directory (rewritten to
    the old schema) and the opportunity keys the live run recorded with today's sizing."""
    out = tmp_path_factory.mktemp("old-recording")

    async def record() -> None:
        async with LocalVenue(list(EXCHANGES), seed=5, update_interval=0.02) as venue:
            session = await connect(
                two_venue_config(venue, max_notional=None), venue=venue, symbols=["BTC/USDT"], name="test-old-schema"
            )
            recorder = Recorder(out, depth=20, flush_interval=0.5)
            try:
                recorder.attach(session)
                await asyncio.sleep(0.4)
                venue.inject_dislocation("gateio", "BTC/USDT", 12.0, 0.6)
                await asyncio.sleep(1.2)
            finally:
                await recorder.close()
                await session.stop()

    asyncio.run(record())
    live = opportunity_keys(scan_dataset(out, "opportunities"))
    _to_old_schema(out)
    return out, live


async def test_an_old_recording_replays_with_todays_sizes(old_recording: tuple[Path, list[tuple]]) -> None:
    out, live = old_recording
    assert read_meta(out).version == 1
    stored = scan_dataset(out, "opportunities").collect()
    assert not set(NEW_COLUMNS) & set(stored.columns)  # the old schema still scans
    assert len(live) > 3
    assert opportunity_keys(stored) != live  # the stored sizes follow the old rule ...
    result = await replay(out)
    assert opportunity_keys(result.events) == live  # ... and replay recomputes today's
    for event in result.events:
        opp = event.opportunity
        assert opp.max_quantity >= opp.quantity > 0
        assert opp.buy_worst_price >= opp.buy_vwap * (1 - 1e-12)
        assert opp.sell_worst_price <= opp.sell_vwap * (1 + 1e-12)
