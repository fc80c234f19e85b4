"""Pre-flight on the local venue: one line per venue when all is well (Gate.io has no validate-only path), and each
failure (bad key, low balance, clock skew, a validate-only rejection) refuses with a line naming the venue."""

from __future__ import annotations

import pytest

from arbkit.promotion.preflight import PreflightError
from arbkit.runtime.session import connect
from arbkit.venue import LocalVenue
from tests.promotion.helpers import venue_config

NAMES = ["binance", "gateio"]


async def trade(venue, tmp_path, config):
    """Start real trading on the local venue (no attestation needed there), stop it, return the pre-flight lines."""
    session = await connect(
        config, venue=venue, symbols=["BTC/USDT"], name="t-preflight", trading=True, journal=tmp_path / "j.sqlite",
        require_attestation=False,
    )  # fmt: skip
    lines = session.trader.preflight
    await session.stop()
    return lines


async def refused(venue, tmp_path, config) -> str:
    with pytest.raises(PreflightError) as caught:
        await trade(venue, tmp_path, config)
    text = str(caught.value)
    assert "\n" not in text and text.startswith("pre-flight failed: ")
    return text.removeprefix("pre-flight failed: ")


@pytest.fixture
async def venue():
    async with LocalVenue(exchanges=NAMES, seed=4, update_interval=0.05) as v:
        yield v


async def test_one_line_per_venue_when_all_is_well(venue, tmp_path):
    lines = await trade(venue, tmp_path, venue_config(venue, NAMES))
    assert lines[0].startswith("binance: ok (clock within allowed 1 s ahead, 5 s behind; signed call;")
    assert lines[0].endswith("validate-only BTC/USDT order accepted)")
    assert lines[1].startswith("gateio: ok (clock within allowed 60 s ahead, 60 s behind; signed call;")
    assert lines[1].endswith("validate-only order: not available on this exchange)")


async def test_bad_key(venue, tmp_path):
    venue.revoke_key("binance")  # the key the venue hands out no longer opens it, as a deleted key on the exchange
    line = await refused(venue, tmp_path, venue_config(venue, NAMES))
    assert line.startswith("binance: credentials: a signed call failed (AuthenticationError: ")


async def test_low_balance(venue, tmp_path):
    venue.set_balance("gateio", "USDT", 10.0)
    config = venue_config(venue, NAMES, execution={"inventory": {"gateio": {"USDT": {"min": 1000}}}})
    assert await refused(venue, tmp_path, config) == "gateio: balance: USDT 10 below its inventory band minimum 1000"


async def test_clock_skew(venue, tmp_path):
    venue.set_clock_skew("binance", 30.0)  # the exchange's clock runs 30 s ahead: ours is behind its window
    line = await refused(venue, tmp_path, venue_config(venue, NAMES))
    assert line.startswith("binance: clock: local clock 30.0 s behind the exchange's (allowed 1 s ahead, 5 s behind)")


async def test_validate_only_rejection(venue, tmp_path):
    venue.reject_next_order("binance", "min_notional")
    line = await refused(venue, tmp_path, venue_config(venue, NAMES))
    assert line.startswith("binance: validate-only order refused: InvalidOrderError: ")
    assert venue.engine("binance").open_orders(venue.credentials("binance")[0]) == []  # nothing was placed
