"""MEXC-specific behaviour of arbkit's module: URL routes, the protobuf guard, error and status fixes, gap checks."""

from __future__ import annotations

import functools
import sys
from collections.abc import AsyncIterator

import pytest

from arbkit.errors import ConfigurationError, OrderNotFoundError
from arbkit.exchanges import factory
from arbkit.exchanges.book_feed import SequenceGap
from arbkit.exchanges.ccxt_client import build_client
from arbkit.exchanges.mexc import MEXC_SPEC, MexcPro, MexcPublicSpotWebsocket
from arbkit.structs import BookState, OrderStatus, OrderUpdate, Side, Symbol
from arbkit.venue import LocalVenue
from tests import helpers

BTC = Symbol.parse("BTC/USDT")


@pytest.fixture
async def mexc_venue() -> AsyncIterator[LocalVenue]:
    async with LocalVenue(["mexc"], seed=11, update_interval=0.02) as venue:
        yield venue


wait_for = functools.partial(helpers.wait_for, timeout=5.0)


async def test_spec_points_every_ccxt_url_at_the_config(mexc_venue: LocalVenue) -> None:
    cfg = mexc_venue.exchange_config("mexc")
    client = build_client(MEXC_SPEC, cfg)
    try:
        api = client.urls["api"]
        assert isinstance(client, MexcPro)
        assert api["spot"] == {"public": cfg.base_url, "private": cfg.base_url}
        assert api["contract"]["public"] == cfg.base_url + "/api/v1/contract"
        assert api["contract"]["private"] == cfg.base_url + "/api/v1/private"
        assert api["ws"]["spot"] == cfg.websocket_url
        assert all(url.startswith(cfg.base_url) for url in (*api["spot2"].values(), *api["broker"].values()))
        assert client.options["watchOrderBook"]["snapshotDelay"] == 2
        assert client.options["watchOrderBook"]["snapshotMaxRetries"] == 3, "ccxt's other defaults are kept"
        assert client.has["fetchCurrencies"] is False
    finally:
        await client.close()


def test_missing_protobuf_is_a_clear_configuration_error(
    mexc_venue: LocalVenue, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = mexc_venue.exchange_config("mexc")
    monkeypatch.setitem(sys.modules, "google.protobuf", None)
    monkeypatch.setitem(sys.modules, "google.protobuf.json_format", None)
    with pytest.raises(ConfigurationError, match=r"^exchanges\.mexc: the 'protobuf' package is missing") as info:
        MexcPublicSpotWebsocket(cfg)
    assert "\n" not in str(info.value)


def test_version_ranges_apply_across_the_snapshot_and_gaps_raise() -> None:
    """Real MEXC aggregates pushes over version ranges: a range that straddles the snapshot still applies."""
    pro = MexcPro()

    def push(first: int, last: int, price: str) -> dict[str, object]:
        level = {"price": price, "quantity": "1"}
        return {"fromVersion": str(first), "toVersion": str(last), "bids": [level], "asks": []}

    book = pro.order_book({"bids": [[100.0, 1.0]], "asks": [[101.0, 1.0]], "nonce": 10})
    cache = [push(5, 7, "90"), push(8, 12, "99"), push(13, 15, "98")]
    assert pro.get_cache_index(book, cache) == 1
    assert pro.get_cache_index(book, [push(12, 14, "99")]) == -1, "snapshot older than the buffer"
    pro.handle_book_deltas(book, cache[1:])
    assert book["nonce"] == 15 and [p for p, _ in book["bids"]] == [100.0, 99.0, 98.0]
    pro.handle_book_delta(book, push(9, 15, "97"))  # already in the book: ignored
    assert [p for p, _ in book["bids"]] == [100.0, 99.0, 98.0]
    with pytest.raises(SequenceGap, match="starts at 17, book is at 15"):
        pro.handle_book_delta(book, push(17, 18, "96"))


async def test_gap_resyncs_the_live_book(mexc_venue: LocalVenue) -> None:
    ws = MexcPublicSpotWebsocket(mexc_venue.exchange_config("mexc"))
    try:
        await ws.subscribe_orderbook(BTC)
        assert await ws.wait_live([BTC], 5) == []
        mexc_venue.skip_sequence("mexc", str(BTC))
        await wait_for(lambda: ws.health(BTC).gaps >= 1)
        assert "push starts at" in (ws.health(BTC).last_error or "")
        await wait_for(lambda: ws.health(BTC).state is BookState.LIVE and ws.book(BTC) is not None)
        before = ws.health(BTC).updates
        await wait_for(lambda: ws.health(BTC).updates > before + 3)
        book = ws.book(BTC)
        assert book is not None and book.sequence is not None
        expected = mexc_venue.book_at("mexc", str(BTC), book.sequence)
        assert expected is not None
        depth = len(book.bids)
        assert book.bids == list(expected.bids[:depth]) and book.asks == list(expected.asks[: len(book.asks)])
    finally:
        await ws.close()


async def test_unknown_order_and_partial_cancel_through_the_composite(mexc_venue: LocalVenue) -> None:
    mexc_venue.pause()  # no market steps: a resting remainder stays partially filled
    private = factory.get_composite_implementation(mexc_venue.exchange_config("mexc"), is_private=True)
    async with private:
        await private.init()
        updates: list[OrderUpdate] = []
        private.add_order_listener(updates.append)
        with pytest.raises(OrderNotFoundError, match=r"^mexc: fetch order 424242 BTC/USDT failed: OrderNotFound"):
            await private.get_order(BTC, "424242")
        ask_price, ask_qty = mexc_venue.book("mexc", str(BTC)).asks[0]
        partial = await private.place_limit_order(BTC, Side.BUY, round(ask_qty + 0.01, 5), ask_price)
        assert (await private.get_order(BTC, partial.order_id)).status is OrderStatus.PARTIALLY_FILLED
        canceled = await private.cancel_order(BTC, partial.order_id)
        assert canceled.status is OrderStatus.CANCELED and canceled.filled == pytest.approx(ask_qty)

        def pushed_cancel() -> bool:
            return any(u.order.order_id == partial.order_id and u.order.filled > 0 and u.order.status
                       is OrderStatus.CANCELED for u in updates)  # fmt: skip

        # MEXC pushes status 5 (partially filled, then canceled): canceled, not filled
        await wait_for(pushed_cancel)
