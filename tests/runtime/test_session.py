"""Sessions: zero-downtime add and remove of exchanges, an exchange down at start rejoins by itself."""

from __future__ import annotations

import functools
import gc
import socket
import time

import msgspec

from arbkit.config import ArbkitConfig
from arbkit.runtime.session import connect
from arbkit.structs import BookState, Symbol
from arbkit.venue import LocalVenue
from tests import helpers

BTC = Symbol.parse("BTC/USDT")


wait_for = functools.partial(helpers.wait_for, poll=0.05)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_add_and_remove_exchange_without_disturbing_the_others() -> None:
    async with LocalVenue(exchanges=["binance", "gateio"], seed=3, update_interval=0.02) as venue:
        config = ArbkitConfig(exchanges={n: venue.exchange_config(n) for n in ("binance", "gateio")})
        session = await connect(config, venue=venue, symbols=["BTC/USDT"], name="test-add-remove")
        try:
            assert [s.state for s in session.status()] == ["scanning", "scanning"]
            binance = session.exchanges["binance"]
            before = binance.health(BTC)[0]
            await session.remove_exchange("gateio")
            assert "gateio" not in session.exchanges and len(session.scanner.pairs()) == 0
            await session.add_exchange("gateio", venue.exchange_config("gateio"))
            assert "gateio" in session.exchanges and len(session.scanner.pairs()) == 2
            after = binance.health(BTC)[0]
            assert after.state is BookState.LIVE and after.updates > before.updates
            assert after.reconnects == before.reconnects and after.resyncs == before.resyncs
            assert gc.get_freeze_count() > 100_000  # the startup heap is out of the full collections' way
        finally:
            await session.stop()
        assert gc.get_freeze_count() == 0  # the last session gave it back to the collector


async def test_exchange_down_at_start_is_out_then_rejoins() -> None:
    port = _free_port()
    async with LocalVenue(exchanges=["binance"], seed=3, update_interval=0.02) as venue:
        later = LocalVenue(exchanges=["gateio"], seed=3, update_interval=0.02, port=port)
        gate_cfg = msgspec.structs.replace(
            later.exchange_config("gateio"), request_timeout=1.0
        )  # points at a port nothing listens on yet
        config = ArbkitConfig(exchanges={"binance": venue.exchange_config("binance"), "gateio": gate_cfg})
        session = await connect(config, venue=False, symbols=["BTC/USDT"], name="test-rejoin", wait=False)
        try:
            await wait_for(lambda: any(s.exchange == "gateio" and s.state == "out" for s in session.status()))
            out = next(s for s in session.status() if s.exchange == "gateio")
            assert out.reason  # says why
            await wait_for(lambda: "binance" in session.exchanges)
            async with later:
                await wait_for(lambda: "gateio" in session.exchanges, timeout=15)
                assert {s.state for s in session.status()} == {"scanning"}
        finally:
            await session.stop()


async def test_connect_twice_stops_the_first_session() -> None:
    first = await connect(ArbkitConfig(exchanges={}), venue=False, name="test-twice")
    second = await connect(ArbkitConfig(exchanges={}), venue=False, name="test-twice")
    assert first._stopped and not second._stopped
    await second.stop()
    await second.stop()  # twice is safe


async def test_a_pair_no_exchange_lists_is_a_one_line_config_error() -> None:
    import pytest

    from arbkit.errors import ConfigurationError

    async with LocalVenue(exchanges=["binance", "gateio"], seed=3, update_interval=0.02) as venue:
        config = ArbkitConfig(
            exchanges={n: venue.exchange_config(n) for n in ("binance", "gateio")},
            sections={
                "arbitrage": {
                    "arbitrage_pairs": [
                        {"id": "btc", "base_asset": "BTC", "quote_asset": "USDT", "min_profit_bps": 1},
                        {"id": "foo", "base_asset": "FOO", "quote_asset": "USDT", "min_profit_bps": 1},
                    ]
                }
            },
        )
        started = time.monotonic()
        with pytest.raises(ConfigurationError) as info:
            await connect(config, venue=False, name="test-listing")
        assert (
            str(info.value)
            == "arbitrage.arbitrage_pairs.foo: no enabled exchange lists FOO/USDT (searched: binance, gateio)"
        )
        assert time.monotonic() - started < 10  # decided at once, not after retries
