"""The scan screen as a person reads it: 100 columns, prices at each market's tick, sizes and profits with units,
one way of naming a symbol, the opportunities that closed between redraws, and which pair settings apply."""

from __future__ import annotations

import io
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

import arbkit
from arbkit.cli.screen import WIDTH, decimals, pairs_text, render
from arbkit.cli.tally import Tally
from arbkit.structs import Symbol
from tests.helpers import wait_for

CONFIG = Path(__file__).parents[2] / "config.yaml"
BTC = Symbol.parse("BTC/USDT")


def _plain(renderable: object) -> str:
    console = Console(file=io.StringIO(), width=WIDTH, color_system=None, force_terminal=False)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


@given(st.sampled_from([1.0, 0.5, 0.1, 0.01, 0.25, 1e-5, 1e-8, 10.0, 0.0001]))
def test_decimals_show_every_increment_exactly(tick: float) -> None:
    places = decimals(tick)
    assert float(f"{tick:.{places}f}") == tick
    assert places == 0 or float(f"{tick:.{places - 1}f}") != tick


async def test_screen_during_and_after_an_opportunity() -> None:
    session = await arbkit.connect(CONFIG, seed=7, symbols=["BTC/USDT"], name="test-screen")
    tally = Tally()
    session.scanner.add_listener(tally.on_event)
    try:
        key = ("btc_usdt", "binance", "kraken")
        session.venue.inject_dislocation("kraken", "BTC/USDT", bps=100, seconds=0.5)
        await wait_for(lambda: key in session.scanner.open)
        during = _plain(render(session, tally, "header"))
        await wait_for(lambda: tally.closed >= 1)
        after = _plain(render(session, tally, "header"))
    finally:
        await session.stop()
    lines = during.splitlines() + after.splitlines()
    assert max(len(line) for line in lines) <= WIDTH
    opp_rows = [line for line in during.splitlines() if line.strip().startswith("BTC/USDT  binance  kraken")]
    assert opp_rows and " BTC " in opp_rows[0] and opp_rows[0].count("USDT") == 2  # symbol, profit unit
    assert "btc_usdt" not in during.split("Pairs")[0]  # symbols read BTC/USDT everywhere above the settings
    closed = after.split("Recently closed")[1].split("Venues")[0]
    assert "BTC/USDT  binance  kraken" in closed and "bps" in closed


async def test_book_prices_use_each_markets_tick() -> None:
    session = await arbkit.connect(CONFIG, seed=7, symbols=["BTC/USDT", "SOL/USDT"], name="test-screen")
    try:
        await wait_for(lambda: all(ex.book(BTC) for ex in session.exchanges.values()))
        text = _plain(render(session, Tally(), "header"))
        ticks = {
            (name, str(sym)): decimals(info.tick_size)
            for name, ex in session.exchanges.items()
            for sym, info in ex.symbols_info.items()
        }
    finally:
        await session.stop()
    rows = [line.split() for line in text.split("Best route")[0].splitlines() if line.strip()[:4] in ("BTC/", "SOL/")]
    assert len(rows) == 8
    for symbol, exchange, bid, ask, *_ in rows:
        places = ticks[(exchange, symbol)]
        for price in (bid, ask):
            assert len(price.partition(".")[2]) == places, (exchange, symbol, price)


async def test_a_symbol_without_a_configured_pair_is_scanned_with_default_settings() -> None:
    session = await arbkit.connect(CONFIG, seed=7, symbols=["BTC/USDT", "SOL/USDT"], name="test-screen")
    try:
        scanned = {str(spec.symbol) for spec in session.scanner.pairs()}
        settings = _plain(pairs_text(session))
    finally:
        await session.stop()
    assert scanned == {"BTC/USDT", "SOL/USDT"}
    assert "SOL/USDT: default pair (none in the config): min profit 0 bps, no size cap, every enabled" in settings
    assert "BTC/USDT: config pair btc_usdt: min profit 2 bps, size cap 5,000 USDT" in settings
