"""The simulated market never shows a crossed book, and its dislocations sometimes survive real taker fees."""

from __future__ import annotations

import pytest

from arbkit.venue.instruments import CORE_LISTINGS, instruments
from arbkit.venue.market import SimulatedMarket

VENUES = ["binance", "gateio", "mexc", "kraken"]


@pytest.mark.parametrize("seed", [3, 7, 11])
def test_no_book_ever_crosses(seed: int) -> None:
    market = SimulatedMarket(VENUES, seed=seed)
    watched = {(v, s): market.book(v, s) for v in VENUES for s in CORE_LISTINGS[v]}
    for venue in VENUES:  # and a few of the wider universe, woken (tiny ticks, a dear asset, a plain one)
        quote = "USD" if venue == "kraken" else "USDT"
        watched |= {(venue, s): market.book(venue, s) for s in (f"SHIB/{quote}", f"MKR/{quote}", f"ADA/{quote}")}
    for _ in range(2000):
        market.step()
        for (venue, symbol), book in watched.items():
            assert book.best_bid < book.best_ask, f"{venue} {symbol} crossed at step {market.steps}"


def test_some_dislocations_survive_taker_fees() -> None:
    market = SimulatedMarket(VENUES, seed=7)
    fees = {v: instruments(v)["BTC/USDT"].taker_fee for v in VENUES}
    profitable_steps = 0
    for _ in range(3000):
        market.step()
        books = {v: market.book(v, "BTC/USDT") for v in VENUES}
        for buy in VENUES:
            for sell in VENUES:
                if buy != sell:
                    ask, bid = books[buy].best_ask, books[sell].best_bid
                    if bid * (1 - fees[sell]) > ask * (1 + fees[buy]):
                        profitable_steps += 1
    assert 0 < profitable_steps < 3000 * 0.2  # opportunities appear, and are the exception
