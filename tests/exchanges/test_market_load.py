"""Loading markets asks for spot markets only: no margin or futures call at start (Gate.io's margin pairs and
MEXC's contract list are skipped), checked against the local venue through ccxt's own request log."""

from __future__ import annotations

import logging
import re

import pytest

from arbkit.exchanges.ccxt_client import build_client
from arbkit.exchanges.factory import EXCHANGE_REST_MAP
from arbkit.venue import LocalVenue

SPECS = {key[0].value: cls.spec for key, cls in EXCHANGE_REST_MAP.items() if not key[1]}
SPOT_ONLY = {
    "binance": ["/api/v3/exchangeInfo"],
    "gateio": ["/api/v4/spot/currency_pairs"],
    "mexc": ["/api/v3/exchangeInfo"],
    "kraken": ["/0/public/Assets", "/0/public/AssetPairs"],
}


@pytest.mark.parametrize("name", sorted(SPOT_ONLY))
async def test_load_markets_asks_spot_markets_only(
    name: str, venue: LocalVenue, caplog: pytest.LogCaptureFixture
) -> None:
    if name not in venue.exchanges:
        pytest.skip(f"the local venue does not serve {name}")
    client = build_client(SPECS[name], venue.exchange_config(name))
    try:
        with caplog.at_level(logging.DEBUG, logger=f"arbkit.ccxt.{name}"):
            markets = await client.load_markets()
    finally:
        await client.close()
    requested = [
        re.sub(r"^https?://[^/]+/" + name, "", m.group(1)).split("?")[0]
        for r in caplog.records
        if r.name == f"arbkit.ccxt.{name}" and (m := re.search(r"^GET (\S+), Request:", r.getMessage()))
    ]
    assert sorted(requested) == sorted(SPOT_ONLY[name])
    assert markets and all(m["spot"] for m in markets.values())
