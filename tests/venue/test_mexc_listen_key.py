"""MEXC listen keys through ccxt's own signed calls: create, keep alive, close; a closed key is refused."""

from __future__ import annotations

import ccxt
import pytest

from arbkit.exchanges.ccxt_client import build_client
from arbkit.exchanges.mexc import MEXC_SPEC
from arbkit.venue import LocalVenue


async def test_listen_key_lifecycle() -> None:
    async with LocalVenue(exchanges=["mexc"], seed=5) as venue:
        client = build_client(MEXC_SPEC, venue.exchange_config("mexc"), private=True)
        try:
            key = (await client.spotPrivatePostUserDataStream())["listenKey"]
            assert (await client.spotPrivatePutUserDataStream({"listenKey": key}))["listenKey"] == key
            assert (await client.spotPrivateDeleteUserDataStream({"listenKey": key}))["listenKey"] == key
            with pytest.raises(ccxt.BaseError):
                await client.spotPrivatePutUserDataStream({"listenKey": key})
        finally:
            await client.close()
