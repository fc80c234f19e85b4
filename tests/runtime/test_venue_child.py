"""The fault campaign's venue process (benchmarks/_venue_child.py): it serves the venue from a spawned child, runs
named operations there, reports unknown ones as errors, and is always stopped, leaving no child process behind."""

from __future__ import annotations

import time

import pytest

from benchmarks.fault_campaign import Emitted, VenueProcess


async def test_venue_process_serves_runs_named_operations_and_stops() -> None:
    async with VenueProcess(["binance", "kraken"], 5, seed=3, update_interval=0.05) as venue:
        assert venue.alive
        assert venue.origin and venue.exchange_config("Kraken").base_url.startswith(venue.origin)
        with pytest.raises(ValueError, match="'okx' is not served"):
            venue.exchange_config("okx")
        assert await venue.run("connections") == 0
        with pytest.raises(ValueError, match="'reboot' is not known"):
            await venue.run("reboot")
        await venue.run("checker_start")
        venue.hand_over(Emitted("binance", "BTC/USDT", None, [], [], False, 0, time.monotonic()))
        assert await venue.run("checker_finish") == (0, [], [])
        process = venue._process
    assert process is not None and process.exitcode == 0  # it exited when asked, not terminated
    assert not venue.alive
    with pytest.raises(RuntimeError, match="not running"):
        await venue.run("connections")
