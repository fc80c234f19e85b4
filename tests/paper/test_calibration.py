"""THE CALIBRATION TEST: the paper fill model and the local venue's matching engine, two independent
implementations of the same exchange rules, give the same fills (price, quantity, fee), the same refusals and the
same balances for the same book and the same sequence of IOC orders (PaperBackend at zero latency)."""

from __future__ import annotations

import random

import pytest

from arbkit.errors import BaseExchangeError
from arbkit.paper.backend import PaperBackend
from arbkit.paper.clock import WallClock
from arbkit.paper.config import LatencySampler
from arbkit.structs import OrderBook, OrderType, Side, Symbol, SymbolInfo, TimeInForce
from arbkit.venue.book import VenueBook
from arbkit.venue.engine import MatchingEngine, VenueError
from arbkit.venue.instruments import instruments

CASES = 300
SYMBOLS = ("BTC/USDT", "ETH/USDT", "XRP/USDT", "DOGE/USDT")


def _case(seed: int) -> tuple:
    """A random instrument (real venue terms, sometimes a larger minimum), book, balances and 1-4 orders."""
    rng = random.Random(seed)
    exchange = rng.choice(("binance", "gateio", "mexc", "kraken"))
    base_inst = instruments(exchange)[rng.choice(SYMBOLS)]
    min_qty = base_inst.step_size * rng.choice((1, 1, 7, 50))
    min_notional = rng.choice((base_inst.min_notional, 25.0))
    inst = base_inst.__class__(**{**_fields(base_inst), "min_qty": round(min_qty, 10), "min_notional": min_notional})
    tick, step = inst.tick_size, inst.step_size
    mid_ticks = round(1000.0 / tick) if inst.base in ("BTC", "ETH") else round(0.5 / tick)
    unit = max(1, round(40.0 / (mid_ticks * tick) / step))  # about 40 quote per size unit
    asks = [((mid_ticks + 1 + i * rng.randint(1, 3)) * tick, rng.randint(1, 12) * unit * step) for i in range(6)]
    bids = [((mid_ticks - 1 - i * rng.randint(1, 3)) * tick, rng.randint(1, 12) * unit * step) for i in range(6)]
    balances = {inst.base: rng.choice((0.0, 5.0, 1e3)) * unit * step, inst.quote: rng.choice((0.0, 200.0, 1e5))}
    orders = []
    for _ in range(rng.randint(1, 4)):
        side = rng.choice((Side.BUY, Side.SELL))
        touch = asks[0][0] if side is Side.BUY else bids[0][0]
        ticks = rng.randint(-3, 20) * (1 if side is Side.BUY else -1)
        price = round(touch / tick) * tick + ticks * tick
        if rng.random() < 0.08:
            price += 0.4 * tick  # off the tick
        quantity = rng.choice((rng.randint(1, 60) * unit, rng.randint(1, 60))) * step
        if rng.random() < 0.08:
            quantity += 0.5 * step  # off the step
        orders.append((side, round(quantity, 12), round(price, 12)))
    return exchange, inst, bids, asks, balances, orders


def _fields(inst) -> dict:
    return {f: getattr(inst, f) for f in inst.__struct_fields__}


async def _run_case(seed: int) -> list[str]:
    """Run one case on both sides, assert they agree; the outcomes seen (refusal kinds, filled/partial/empty)."""
    exchange, inst, bids, asks, balances, orders = _case(seed)
    book = VenueBook(inst.symbol, inst.price_decimals, inst.qty_decimals)
    book.apply(bids, asks)
    engine = MatchingEngine(exchange, {inst.symbol: book}, {inst.symbol: inst})
    account = engine.add_account("calibration", balances)
    symbol = Symbol.parse(inst.symbol)
    snap = book.snapshot()
    seen = OrderBook(exchange, symbol, list(snap.bids), list(snap.asks))  # the book as the paper side sees it
    info = SymbolInfo(exchange, symbol, inst.tick_size, inst.step_size, inst.min_qty, inst.min_notional,
                      inst.maker_fee, inst.taker_fee)  # fmt: skip
    paper = PaperBackend(exchange, lambda e, s: seen, {symbol: info}, WallClock(), LatencySampler([0]), balances)
    outcomes: list[str] = []
    for n, (side, quantity, price) in enumerate(orders):
        where = f"seed {seed} order {n} ({exchange} {inst.symbol} {side} {quantity} @ {price})"
        venue_error = paper_error = None
        try:
            venue_order = engine.place("calibration", inst.symbol, side, OrderType.LIMIT, quantity, price,
                                       TimeInForce.IOC, client_order_id=f"c{n}")  # fmt: skip
        except VenueError as exc:
            venue_error = str(exc.kind)
        try:
            paper_order = await paper.place_ioc(symbol, side, quantity, price, f"c{n}")
        except BaseExchangeError as exc:
            paper_error = str(exc.rejection)  # type: ignore[attr-defined]
        assert paper_error == venue_error, where
        if venue_error is not None:
            outcomes.append(venue_error)
            continue
        outcomes.append("filled" if venue_order.remaining <= 1e-12 else "partial" if venue_order.filled else "empty")
        venue_fills = [
            (f.price, f.qty, f.fee if f.fee_asset == inst.quote else f.fee * f.price)
            for f in account.trades(order_id=venue_order.order_id)
        ]
        paper_fills = [(f.price, f.quantity, f.fee_quote) for f in paper.record(f"c{n}").fills]
        assert len(paper_fills) == len(venue_fills), where
        for mine, theirs in zip(paper_fills, venue_fills, strict=True):
            assert mine == pytest.approx(theirs, rel=1e-9, abs=1e-12), where
        assert paper_order.filled == pytest.approx(venue_order.filled, rel=1e-9, abs=1e-12), where
        assert str(paper_order.status) == str(venue_order.status), where
    paper_balances = paper.balances()
    for asset in (inst.base, inst.quote):
        venue_free = account.balance(asset).free
        assert paper_balances[asset].free == pytest.approx(venue_free, rel=1e-9, abs=1e-9), f"seed {seed} {asset}"
    return outcomes


async def test_paper_fills_equal_the_venue_matching_engine() -> None:
    seen: set[str] = set()
    exchanges: set[str] = set()
    for seed in range(CASES):
        seen.update(await _run_case(seed))
        exchanges.add(_case(seed)[0])
    # the random cases reach every refusal reason and every kind of fill, on every exchange
    assert seen >= {"precision", "min_qty", "min_notional", "insufficient_funds", "filled", "partial", "empty"}
    assert exchanges == {"binance", "gateio", "mexc", "kraken"}
