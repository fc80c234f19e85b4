"""HTML reprs carry the numbers; importing arbkit (and showing a book) loads neither polars nor plotly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from arbkit.arbitrage.evaluate import Opportunity
from arbkit.research.html import book_health_html, opportunities_html, order_book_html
from arbkit.structs import BookHealth, BookState, OrderBook, Symbol

BTC = Symbol.parse("BTC/USDT")
ROOT = Path(__file__).resolve().parents[2]


def test_order_book_html_shows_top_levels_and_summary() -> None:
    bids = [(100.0 - i, 1.0 + i) for i in range(12)]
    asks = [(101.0 + i, 0.25 + i) for i in range(12)]
    text = OrderBook("binance", BTC, bids, asks, 1_700_000_000_000, 42)._repr_html_()
    assert text == order_book_html(OrderBook("binance", BTC, bids, asks, 1_700_000_000_000, 42))
    for needle in ("binance BTC/USDT", "bid 100 ", "ask 101 ", "mid 100.5 ", "spread 99.5 bps", "seq 42"):
        assert needle in text
    assert ">91<" in text and ">110<" in text  # level 10 of each side
    assert ">90<" not in text and ">111<" not in text  # level 11 is cut
    assert "2023-11-14 22:13:20.000 UTC" in text and "12x12 levels" in text


def test_order_book_html_crossed_empty_and_escaped() -> None:
    crossed = order_book_html(OrderBook("<x>", BTC, [(102.0, 1.0)], [(101.0, 1.0)]))
    assert "CROSSED" in crossed and "&lt;x&gt;" in crossed and "<x>" not in crossed
    empty = order_book_html(OrderBook("kraken", BTC, [], []))
    assert "bid — " in empty and "<tbody></tbody>" in empty


def test_book_health_html_lists_counters() -> None:
    live = BookHealth("binance", BTC, BookState.LIVE, 7, 12.5, 100, 9.5, 1, 2, 3, 4)
    stale = BookHealth("kraken", BTC, BookState.STALE, None, 3000.0, 5, 0.0, 0, 0, 0, 0, last_error="stalled 3 s")
    text = book_health_html([live, stale])
    assert "1/2 healthy" in text
    for needle in (">live<", ">stale<", ">12.5<", ">9.5<", ">100<", ">3000<", "stalled 3 s"):
        assert needle in text
    assert book_health_html(live).count("<tr>") == 2  # header + one book


def test_opportunities_html_from_structs_and_dicts() -> None:
    opp = Opportunity("p1", BTC, "binance", "kraken", 0.5, 100.0, 100.4, 50.0, 0.1, 20.0, 25.0, 1, 2, 0.001,
                      0.001, 1_700_000_000_000)  # fmt: skip
    as_dict = {"symbol": "ETH/USDT", "buy_exchange": "mexc", "sell_exchange": "gateio", "profit_quote": 2.5,
               "edge_bps": 33.3, "buy_vwap": 2000.0, "sell_vwap": 2007.0}  # fmt: skip
    text = opportunities_html([opp, as_dict])
    for needle in (">BTC/USDT<", ">binance<", ">kraken<", ">100.4<", ">0.1<", ">20<", ">25<", ">1/2<", ">2.5<"):
        assert needle in text
    assert text.index(">mexc<") < text.index(">binance<")  # best profit first
    assert "total profit 2.6" in text
    assert "top 1 of 2" in opportunities_html([opp, as_dict], limit=1)
    assert ">p1<" not in opportunities_html(opp) and ">binance<" in opportunities_html(opp)


def test_import_arbkit_and_book_repr_do_not_load_polars_or_plotly() -> None:
    code = (
        "import sys, arbkit, arbkit.research\n"
        "from arbkit.structs import OrderBook, Symbol\n"
        "OrderBook('binance', Symbol.parse('BTC/USDT'), [(1.0, 1.0)], [(2.0, 1.0)])._repr_html_()\n"
        "print(sorted(m for m in ('polars', 'plotly', 'numpy') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
