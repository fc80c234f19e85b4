"""SimulatedMarket: determinism per seed, deltas that rebuild the books, realistic shape, speed, dislocations."""

from __future__ import annotations

import time

from arbkit.venue.instruments import instrument, instruments
from arbkit.venue.market import SimulatedMarket

VENUES = ["binance", "gateio", "mexc", "kraken"]


def books_of(market: SimulatedMarket) -> dict[tuple[str, str], tuple[list, list]]:
    out = {}
    for exchange in VENUES:
        for symbol, book in market.books(exchange).items():
            snap = book.snapshot()
            out[(exchange, symbol)] = (snap.bids, snap.asks)
    return out


def test_same_seed_same_market_and_other_seed_differs() -> None:
    a, b, c = SimulatedMarket(VENUES, seed=7), SimulatedMarket(VENUES, seed=7), SimulatedMarket(VENUES, seed=8)
    for _ in range(150):
        a.step()
        b.step()
        c.step()
    assert books_of(a) == books_of(b)
    assert a.reference == b.reference
    assert books_of(a) != books_of(c)
    assert [(t.price, t.qty) for t in a.trades("binance", "BTC/USDT")] == [
        (t.price, t.qty) for t in b.trades("binance", "BTC/USDT")
    ]


def test_deltas_rebuild_the_books_and_hold_only_changes() -> None:
    market = SimulatedMarket(VENUES, seed=3)
    mirror = {key: (dict(bids), dict(asks)) for key, (bids, asks) in books_of(market).items()}
    sizes = []
    for _ in range(100):
        for exchange, symbol, delta in market.step():
            bids, asks = mirror[(exchange, symbol)]
            assert delta.prev_seq + 1 == delta.seq
            for side, levels in ((bids, delta.bids), (asks, delta.asks)):
                for price, qty in levels:
                    if qty == 0:
                        side.pop(price)
                    else:
                        side[price] = qty
            sizes.append(len(delta.bids) + len(delta.asks))
    assert {k: (sorted(b.items(), reverse=True), sorted(a.items())) for k, (b, a) in mirror.items()} == books_of(market)
    assert sum(sizes) / len(sizes) < 30, "a delta carries only the levels that changed"


def test_books_look_like_books() -> None:
    market = SimulatedMarket(VENUES, seed=11)
    for _ in range(200):
        market.step()
    for exchange in VENUES:
        assert set(market.books(exchange)) == set(instruments(exchange))
        for symbol in instruments(exchange):
            book = market.book(exchange, symbol)  # wakes the wider universe's books: quoted at once
            inst = instrument(exchange, symbol)
            snap = book.snapshot()
            assert 20 <= len(snap.bids) <= 51 and 20 <= len(snap.asks) <= 51
            assert snap.bids[0][0] < snap.asks[0][0], f"{exchange} {symbol} crossed"
            ref = market.reference[inst.base]
            mid = (snap.bids[0][0] + snap.asks[0][0]) / 2
            assert abs(mid / ref - 1) < 0.01, f"{exchange} {symbol} strays from the reference"
            assert all(inst.on_tick(p) and inst.on_step(q) and q > 0 for p, q in snap.bids + snap.asks)
            assert sum(q for _, q in snap.bids[-5:]) > sum(q for _, q in snap.bids[:5]), "depth grows away from top"
    assert market.book("kraken", "BTC/USD").snapshot().bids


def test_step_is_cheap() -> None:
    market = SimulatedMarket(VENUES, seed=5)
    books = sum(len(market.books(e)) for e in VENUES)
    start = time.perf_counter()
    for _ in range(50):
        market.step()
    per_book = (time.perf_counter() - start) / 50 / books
    assert per_book < 0.001, f"{per_book * 1e6:.0f} us per book per step"


def test_injected_dislocation_shifts_one_venue() -> None:
    market = SimulatedMarket(["binance", "gateio"], seed=7)
    market.step()
    market.inject_dislocation("gateio", "ETH/USDT", bps=50.0, steps=5)
    market.step()
    gate = market.book("gateio", "ETH/USDT")
    binance = market.book("binance", "ETH/USDT")
    assert gate.best_bid is not None and binance.best_ask is not None
    assert gate.best_bid > binance.best_ask, "gateio bid now above binance ask"
    for _ in range(10):
        market.step()
    assert (gate.best_bid or 0) < (binance.best_ask or 0) * 1.002
