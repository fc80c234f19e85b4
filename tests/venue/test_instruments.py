"""The venue's instrument universe: at least 50 realistic pairs per exchange with Kraken's naming quirks, quoted
only once asked for (so the core pairs cost and move exactly as before), and live through ccxt on every venue."""

from __future__ import annotations

import math

import msgspec
import pytest

from arbkit.config import WebsocketConfig
from arbkit.exchanges import factory
from arbkit.structs import BookState, Symbol
from arbkit.venue import LocalVenue
from arbkit.venue.instruments import CORE_LISTINGS, REFERENCE_PRICES, decimals_of, instruments, kraken_assets
from arbkit.venue.market import SimulatedMarket
from arbkit.venue.protocols.kraken_payloads import pair_ids
from tests.helpers import wait_for

VENUES = ["binance", "gateio", "mexc", "kraken"]
CORE_ASSETS = ("BTC", "ETH", "SOL", "XRP", "DOGE")
FEES = {"binance": (0.001, 0.001), "gateio": (0.002, 0.002), "mexc": (0.0, 0.0005), "kraken": (0.0025, 0.004)}


@pytest.mark.parametrize("exchange", VENUES)
def test_every_venue_lists_fifty_realistic_pairs(exchange: str) -> None:
    insts = instruments(exchange)
    assert len(insts) >= 50
    assert list(insts)[: len(CORE_LISTINGS[exchange])] == list(CORE_LISTINGS[exchange])  # the core pairs first
    for symbol, inst in insts.items():
        assert symbol == f"{inst.base}/{inst.quote}" and inst.exchange == exchange
        assert (inst.maker_fee, inst.taker_fee) == FEES[exchange]
        for increment in (inst.tick_size, inst.step_size):
            assert math.isclose(increment, 10.0 ** -decimals_of(increment)), (symbol, increment)
        assert inst.min_qty >= inst.step_size and inst.on_step(inst.min_qty), symbol
        ref = REFERENCE_PRICES[inst.base]
        assert 0.0 < inst.tick_size / ref <= 0.0011, f"{symbol}: tick {inst.tick_size} is {inst.tick_size / ref:.2%}"
        if exchange == "kraken" and inst.base not in CORE_ASSETS:  # Kraken's order minimum: about 5 USD
            assert 4.0 <= inst.min_qty * ref <= 6.0, symbol


def test_listings_differ_where_the_real_venues_do() -> None:
    assert "XMR/USD" in instruments("kraken") and "XMR/USDT" in instruments("gateio")
    assert "XMR/USDT" not in instruments("binance") and "XMR/USDT" not in instruments("mexc")
    assert "BNB/USDT" in instruments("binance") and "BNB/USD" not in instruments("kraken")


def test_kraken_naming_quirks() -> None:
    assets = kraken_assets()
    assert assets["BTC"] == ("XXBT", "XBT") and assets["DOGE"] == ("XXDG", "XDG") and assets["USD"] == ("ZUSD", "USD")
    assert assets["LTC"] == ("XLTC", "LTC") and assets["ADA"] == ("ADA", "ADA") and assets["USDT"] == ("USDT", "USDT")
    kraken = instruments("kraken")
    assert pair_ids(kraken["BTC/USD"]) == ("XXBTZUSD", "XBTUSD", "XBT/USD")
    assert pair_ids(kraken["LTC/USD"]) == ("XLTCZUSD", "LTCUSD", "LTC/USD")
    assert pair_ids(kraken["DOGE/USD"]) == ("XXDGZUSD", "XDGUSD", "XDG/USD")
    assert pair_ids(kraken["ADA/USD"]) == ("ADAUSD", "ADAUSD", "ADA/USD")
    assert pair_ids(kraken["BTC/USDT"]) == ("XBTUSDT", "XBTUSDT", "XBT/USDT")


def _core_books(market: SimulatedMarket) -> dict:
    return {
        (e, s): (market.book(e, s).snapshot().bids, market.book(e, s).snapshot().asks)
        for e in VENUES
        for s in CORE_LISTINGS[e]
    }


def test_the_wider_universe_is_quoted_only_once_asked_for() -> None:
    quiet, busy = SimulatedMarket(VENUES, seed=9), SimulatedMarket(VENUES, seed=9)
    core = sum(len(CORE_LISTINGS[e]) for e in VENUES)
    assert quiet.active_books == busy.active_books == core
    for _ in range(40):
        quiet.step()
        busy.step()
    ada = busy.book("binance", "ADA/USDT")  # a client asks: from now on it is quoted
    engine_books = busy.books("kraken")
    engine_books["LTC/USD"]  # an order reaching the matching engine wakes its book too
    assert busy.active_books == core + 2 and ada.best_bid is not None
    deltas = []
    for _ in range(60):
        quiet.step()
        deltas += [(e, s) for e, s, _ in busy.step()]
    assert ("binance", "ADA/USDT") in deltas and ("kraken", "LTC/USD") in deltas
    assert {key for key in deltas if key[1] not in CORE_LISTINGS[key[0]]} == {
        ("binance", "ADA/USDT"),
        ("kraken", "LTC/USD"),
    }
    assert _core_books(quiet) == _core_books(busy)  # waking other books never moves the core pairs
    assert {a: quiet.reference[a] for a in ("BTC", "ETH", "SOL")} == {
        a: busy.reference[a] for a in ("BTC", "ETH", "SOL")
    }


def test_a_woken_book_is_sane_and_its_asset_path_does_not_depend_on_when() -> None:
    early, late = SimulatedMarket(["gateio"], seed=4), SimulatedMarket(["gateio"], seed=4)
    early.book("gateio", "SHIB/USDT")
    for _ in range(50):
        early.step()
        late.step()
    book = late.book("gateio", "SHIB/USDT")
    assert early.reference["SHIB"] == late.reference["SHIB"]  # the reference walk caught up step for step
    inst = instruments("gateio")["SHIB/USDT"]
    snap = book.snapshot()
    assert snap.bids[0][0] < snap.asks[0][0]
    assert all(inst.on_tick(p) for p, _ in snap.bids + snap.asks)
    assert abs(snap.bids[0][0] / late.reference["SHIB"] - 1) < 0.01


@pytest.mark.parametrize(
    ("exchange", "symbol"),
    [("kraken", "LTC/USD"), ("binance", "LINK/USDT"), ("gateio", "PEPE/USDT"), ("mexc", "1INCH/USDT")],
)
async def test_a_wider_universe_pair_goes_live_through_ccxt(exchange: str, symbol: str) -> None:
    async with LocalVenue([exchange], seed=2, update_interval=0.02) as venue:
        cfg = venue.exchange_config(exchange)
        ws = WebsocketConfig(book_depth=10, stall_timeout=5.0)
        composite = factory.get_composite_implementation(msgspec.structs.replace(cfg, websocket_config=ws))
        try:
            await composite.init([Symbol.parse(symbol)], timeout=15.0)

            def live() -> bool:
                health = composite.health(Symbol.parse(symbol))
                return bool(health) and health[0].state is BookState.LIVE and health[0].updates >= 3

            await wait_for(live, timeout=15.0)
            book = composite.book(Symbol.parse(symbol))
            assert book is not None and book.bids and book.asks and book.bids[0][0] < book.asks[0][0]
            assert venue.market.active_books == len(CORE_LISTINGS[exchange]) + 1
        finally:
            await composite.close()
