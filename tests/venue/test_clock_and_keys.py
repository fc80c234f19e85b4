"""Venue faults the pre-flight needs, as each exchange shows them to ccxt: a skewed exchange clock (server time and
timestamp checks), a revoked key, a set balance, and reject-next applied to the validate-only path."""

from __future__ import annotations

import time

import pytest

from arbkit.errors import AuthenticationError, BaseExchangeError, InvalidOrderError
from arbkit.exchanges import factory
from arbkit.venue import LocalVenue

NAMES = ["binance", "gateio", "kraken", "mexc"]


@pytest.fixture
async def venue():
    async with LocalVenue(exchanges=NAMES, seed=2, update_interval=0.05) as v:
        yield v


async def private(venue, name):
    return await factory.get_composite_implementation(venue.exchange_config(name), is_private=True).init()


async def test_each_exchange_tells_the_skewed_time(venue):
    # within each exchange's window, so the signed calls of a private client's start still pass
    skews = {"binance": 3.0, "mexc": 3.0, "gateio": 45.0, "kraken": -120.0}
    for name, seconds in skews.items():
        venue.set_clock_skew(name, seconds)
    for name, seconds in skews.items():
        p = await private(venue, name)
        try:
            server = await p.rest.ccxt.client.fetch_time()
        finally:
            await p.close()
        assert server / 1000 - time.time() == pytest.approx(seconds, abs=1.5)


async def test_binance_and_mexc_refuse_signed_calls_outside_recv_window(venue):
    for name in ("binance", "mexc"):
        # clearly outside the window ccxt signs (recvWindow 10 s for Binance, 5 s for MEXC): a skew equal to it
        # passed whenever the request reached the check within the millisecond it was signed
        venue.set_clock_skew(name, 20.0)
        with pytest.raises(BaseExchangeError, match="-1021|recvWindow|700003|Timestamp"):
            await private(venue, name)
        venue.set_clock_skew(name, 0.0)
        await (await private(venue, name)).close()  # back in the window: the same key works again


async def test_gate_refuses_a_timestamp_more_than_60s_off(venue):
    venue.set_clock_skew("gateio", 30.0)
    await (await private(venue, "gateio")).close()  # within Gate's 60 s
    venue.set_clock_skew("gateio", 75.0)
    with pytest.raises(AuthenticationError, match="REQUEST_EXPIRED"):
        await private(venue, "gateio")


async def test_a_revoked_key_is_refused_then_restored(venue):
    venue.revoke_key("kraken")
    with pytest.raises(AuthenticationError):
        await private(venue, "kraken")
    venue.revoke_key("kraken", False)
    await (await private(venue, "kraken")).close()


async def test_set_balance_and_reject_next_on_validate(venue):
    venue.set_balance("binance", "USDT", 12.5)
    p = await private(venue, "binance")
    try:
        balances = await p.get_balances()
        assert balances["USDT"].free == 12.5
        venue.reject_next_order("binance", "invalid")
        with pytest.raises(InvalidOrderError):
            await p.validate_order("BTC/USDT", "buy", 0.001, 10_000.0)
        await p.validate_order("BTC/USDT", "buy", 0.001, 10_000.0)  # one-shot: the next test order passes
    finally:
        await p.close()
