"""Record a short seeded session on the local venue (with a dislocation, so opportunities exist), then replay it
through the venue's wire protocols: lock-step replay reproduces the recorded opportunities exactly."""

from __future__ import annotations

import asyncio
from pathlib import Path

import polars as pl
import pytest

from arbkit.recording import (
    RecordedUpdate,
    Recorder,
    Replayer,
    ReplayMarket,
    load_updates,
    opportunity_keys,
    replay,
    scan_dataset,
)
from arbkit.runtime.session import connect
from arbkit.venue import LocalVenue
from tests.recording.helpers import EXCHANGES, two_venue_config


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """~2.5 s of binance + gateio BTC/USDT; gateio quotes 12 bps rich for 0.6 s, later 12 bps cheap for 0.6 s."""
    out = tmp_path_factory.mktemp("recording")

    async def record() -> None:
        async with LocalVenue(list(EXCHANGES), seed=11, update_interval=0.02) as venue:
            session = await connect(two_venue_config(venue), venue=venue, symbols=["BTC/USDT"], name="test-record")
            recorder = Recorder(out, depth=20, flush_interval=0.5)
            try:
                recorder.attach(session)
                await asyncio.sleep(0.5)
                venue.inject_dislocation("gateio", "BTC/USDT", 12.0, 0.6)
                await asyncio.sleep(0.9)
                venue.inject_dislocation("gateio", "BTC/USDT", -12.0, 0.6)
                await asyncio.sleep(0.9)
            finally:
                await recorder.close()
                await session.stop()

    asyncio.run(record())
    return out


async def test_lockstep_replay_reproduces_the_recorded_opportunities(recording: Path) -> None:
    recorded = opportunity_keys(scan_dataset(recording, "opportunities"))
    assert len(recorded) > 10
    assert {(k[1], k[2]) for k in recorded} == {("binance", "gateio"), ("gateio", "binance")}  # both dislocations
    result = await replay(recording)
    assert result.updates == len(load_updates(recording)) - 2  # every update but the two priming books
    replayed = opportunity_keys(result.events)
    assert replayed == recorded


async def test_replayed_books_are_the_recorded_books(recording: Path) -> None:
    updates = load_updates(recording)
    last = {(u.exchange, u.symbol): u for u in updates}
    seen: list[tuple[str, int]] = []
    async with Replayer(recording) as replayer:
        session = await replayer.start()
        for name in EXCHANGES:
            session.exchanges[name].add_listener(lambda u: seen.append((u.book.exchange, u.book.sequence)))
        count = await replayer.run("realtime", speed=3.0)
        assert count == len(replayer.market.updates) and len(seen) >= count  # one client update per update
        for (exchange, symbol), update in last.items():
            book = session.exchanges[exchange].book(symbol)
            assert book is not None
            assert (book.bids, book.asks) == (update.bids, update.asks), f"{exchange} {symbol}"
            assert book.timestamp == update.ts


def test_replay_market_makes_each_update_one_delta_and_hides_its_extra_level() -> None:
    def update(i: int, bids: list[tuple[float, float]], asks: list[tuple[float, float]]) -> RecordedUpdate:
        return RecordedUpdate(i, "binance", "BTC/USDT", 1_700_000_000_000 + i, 0.0, i, bids, asks)

    bids = [(60000.0 - k, 0.5 + k) for k in range(3)]
    asks = [(60001.0 + k, 0.25 + k) for k in range(3)]
    market = ReplayMarket([update(0, bids, asks), update(1, bids, asks), update(2, bids[1:], asks)], depth=3)
    book = market.book("binance", "BTC/USDT")
    assert book.snapshot(3).bids == bids and book.snapshot(3).asks == asks
    assert len(book.asks) == 4 and max(book.asks) > asks[-1][0]  # the hidden level, beyond the recorded depth
    seq = book.seq
    _, same = market.advance()  # an identical book still becomes a delta (the hidden level's size toggles)
    assert same.seq == seq + 1 and not same.is_empty and book.snapshot(3).asks == asks
    _, fewer = market.advance()
    assert fewer.seq == seq + 2 and (bids[0][0], 0.0) in fewer.bids and book.snapshot(3).bids == bids[1:]
    assert [d.seq for _, _, d in market.step()] == [seq + 1, seq + 2] and market.done
    with pytest.raises(Exception, match="dislocations cannot be injected"):
        market.inject_dislocation("binance", "BTC/USDT", 5.0, 3)


def test_recording_reads_with_the_research_frames(recording: Path) -> None:
    from arbkit.research.frames import top_of_book_frame

    tob = top_of_book_frame(scan_dataset(recording)).collect()
    assert set(tob["exchange"]) == set(EXCHANGES) and tob["spread_bps"].min() > 0
    health = scan_dataset(recording, "health").collect()
    assert set(health["state"]) == {"live"}
    assert scan_dataset(recording, "opportunities").select(pl.col("kind").unique()).collect().height >= 2
