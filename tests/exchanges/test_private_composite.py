"""Private composites with the venue's test credentials: balances, orders, fills, cancels, live updates."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from arbkit.config import load_config
from arbkit.errors import InsufficientFundsError, InvalidOrderError, PublicOnlyError
from arbkit.exchanges import factory
from arbkit.exchanges.composite_private import CompositePrivateSpotExchange
from arbkit.structs import OrderStatus, OrderUpdate, Side, Symbol
from arbkit.venue import LocalVenue
from tests.conftest import PRIVATE_EXCHANGES
from tests.helpers import wait_for

BTC = Symbol.parse("BTC/USDT")


def round_to(value: float, step: float) -> float:
    return round(round(value / step) * step, 10)


@pytest.mark.parametrize("name", PRIVATE_EXCHANGES)
async def test_private_composite_trades_against_the_venue(venue: LocalVenue, name: str) -> None:
    private = factory.get_composite_implementation(venue.exchange_config(name), is_private=True)
    assert isinstance(private, CompositePrivateSpotExchange)
    async with private:
        await private.init()
        assert private.is_connected
        balances = await private.get_balances()
        assert balances == private.balances  # the live view starts from the same REST answer
        usdt_before = balances["USDT"].free
        assert usdt_before > 1000
        updates: list[OrderUpdate] = []
        private.add_order_listener(updates.append)
        balance_events = []
        private.add_balance_listener(balance_events.append)

        info = (await private.rest.ccxt.market(BTC))["precision"]  # type: ignore[union-attr]
        tick, step = float(info["price"]), float(info["amount"])
        snap = venue.book(name, "BTC/USDT")
        best_bid, best_ask = snap.bids[0][0], snap.asks[0][0]

        # A resting order far from the market, then cancelled.
        resting = await private.place_limit_order(BTC, Side.BUY, round_to(0.01, step), round_to(best_bid * 0.9, tick))
        assert resting.status is OrderStatus.OPEN and resting.filled == 0
        assert resting.order_id in {o.order_id for o in await private.get_open_orders(BTC)}
        cancelled = await private.cancel_order(BTC, resting.order_id)
        assert cancelled.status is OrderStatus.CANCELED
        await wait_for(
            lambda: any(
                u.order.order_id == resting.order_id and u.order.status is OrderStatus.CANCELED for u in updates
            )
        )

        # A crossing order bigger than the best ask level: partially filled, the rest rests.
        venue.pause()  # hold the market still so the best ask level is exactly what the order meets
        snap = venue.book(name, "BTC/USDT")
        best_ask, level_qty = snap.asks[0]
        qty = round_to(level_qty * 1.5 + 20 * step, step)
        partial = await private.place_limit_order(BTC, Side.BUY, qty, round_to(best_ask, tick))
        fetched = await private.get_order(BTC, partial.order_id)
        assert 0 < fetched.filled < fetched.quantity
        assert fetched.status is OrderStatus.PARTIALLY_FILLED
        await wait_for(lambda: any(u.order.order_id == partial.order_id and u.order.filled > 0 for u in updates))
        await private.cancel_order(BTC, partial.order_id)
        venue.resume()

        # A marketable IOC-like market order fills completely.
        market = await private.place_market_order(BTC, Side.SELL, round_to(0.001, step))
        assert (await private.get_order(BTC, market.order_id)).status is OrderStatus.FILLED
        await wait_for(lambda: len(balance_events) > 0)
        assert private.balances["BTC"].total != balances["BTC"].total  # the live view, fed by the websocket
        asked = (await private.get_balances())["BTC"].total  # a REST request, no caching
        await wait_for(lambda: private.balances["BTC"].total == pytest.approx(asked))  # the stream catches up

        fees = await private.get_trading_fees([BTC])
        assert 0 <= fees[BTC].taker < 0.01

        with pytest.raises(InsufficientFundsError, match=name):
            await private.place_limit_order(BTC, Side.BUY, round_to(1000, step), round_to(best_bid * 0.99, tick))
        with pytest.raises(InvalidOrderError, match=f"{name}: BTC/USDT buy: quantity .* is not a multiple of the step"):
            await private.place_limit_order(BTC, Side.BUY, step * 1.5 + 0.01, round_to(best_bid * 0.9, tick))


async def test_private_composite_needs_credentials(venue: LocalVenue) -> None:
    cfg = msgspec.structs.replace(venue.exchange_config("binance"), api_key=None, secret_key=None)
    with pytest.raises(PublicOnlyError, match="set BINANCE_API_KEY and BINANCE_SECRET_KEY"):
        factory.get_composite_implementation(cfg, is_private=True)


async def test_bad_credentials_are_an_authentication_error(venue: LocalVenue) -> None:
    from arbkit.errors import AuthenticationError

    cfg = msgspec.structs.replace(venue.exchange_config("binance"), secret_key="wrong-secret-0123456789")
    private = factory.get_composite_implementation(cfg, is_private=True)
    with pytest.raises(AuthenticationError) as info:
        await private.init()
    assert "wrong-secret-0123456789" not in str(info.value)
    assert str(info.value).startswith("binance: fetch balance failed")


@pytest.mark.live
async def test_real_exchange_balances_with_configured_credentials() -> None:
    """Runs only where real credentials are set in .env or the environment (never in CI)."""
    config = load_config(Path(__file__).parents[2] / "config.yaml")
    ready = [n for n, c in config.exchanges.items() if c.has_credentials]
    if not ready:
        pytest.skip("no exchange credentials configured (set e.g. BINANCE_API_KEY / BINANCE_SECRET_KEY in .env)")
    for name in ready:
        async with factory.get_composite_implementation(config.exchanges[name], is_private=True) as private:
            await private.init()
            assert isinstance(await private.get_balances(), dict)


@pytest.mark.parametrize("name", PRIVATE_EXCHANGES)
async def test_a_balance_event_of_one_asset_keeps_the_others(venue: LocalVenue, name: str) -> None:
    """The venue, like Binance's outboundAccountPosition, pushes only the assets that changed."""
    private = factory.get_composite_implementation(venue.exchange_config(name), is_private=True)
    async with private:
        await private.init()
        before = dict(private.balances)
        assert len(before) > 1
        venue.set_balance(name, "BTC", 1.25)
        await wait_for(lambda: private.balances["BTC"].free == pytest.approx(1.25))
        assert set(private.balances) >= set(before)
        assert all(private.balances[a] == b for a, b in before.items() if a != "BTC")
