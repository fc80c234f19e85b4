"""The notebook experience: re-running ``connect`` leaks nothing, ``stop`` is idempotent, reprs stay compact, and
``LiveChart.follow`` draws live books without blocking the loop."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path
from types import SimpleNamespace

from arbkit.arbitrage.evaluate import Opportunity
from arbkit.config import ArbkitConfig, load_config
from arbkit.research.charts import LiveChart
from arbkit.research.html import book_health_html, opportunity_html, session_html
from arbkit.runtime.session import Session, connect
from arbkit.structs import BookHealth, BookState, ExchangeStatus, OrderBook, Symbol

ROOT = Path(__file__).resolve().parents[2]
BTC = Symbol.parse("BTC/USDT")
OPP = Opportunity("btc_usdt", BTC, "binance", "kraken", 0.08322, 60081.0, 60415.2, 4999.94, 2.7, 5.4, 5.4, 1, 1,
                  0.001, 0.004, 1_700_000_000_000, 55.6, "max_notional")  # fmt: skip
HEALTH = BookHealth("binance", BTC, BookState.LIVE, 542, 0.74, 538, 19.95, 0, 0, 0, 0)


def _two_venue_config() -> ArbkitConfig:
    """Binance and Gate.io from config.yaml, without its arbitrage section (which names every exchange)."""
    full = load_config(ROOT / "config.yaml")
    return ArbkitConfig(exchanges={n: full.exchanges[n] for n in ("binance", "gateio")})


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


async def _wait_for(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def test_connect_twice_with_the_same_name_leaves_nothing_of_the_first() -> None:
    before = asyncio.all_tasks()
    first = await connect(_two_venue_config(), symbols=["BTC/USDT"], name="nb-runtime", update_interval=0.02)
    first_tasks = asyncio.all_tasks() - before
    first_port, first_composites = first.venue.port, list(first.exchanges.values())
    assert first_tasks and _port_open(first_port) and len(first_composites) == 2
    second = await connect(_two_venue_config(), symbols=["BTC/USDT"], name="nb-runtime", update_interval=0.02)
    try:
        await asyncio.sleep(0.05)  # let cancelled tasks finish unwinding
        leftover = [t.get_name() for t in first_tasks if not t.done()]
        assert not leftover, f"tasks of the first session still running: {leftover}"
        assert first._stopped and not first.exchanges and first.venue._runner is None
        assert not _port_open(first_port)  # the first venue's server socket is closed
        assert all(c.status is ExchangeStatus.CLOSED and c.ws is None for c in first_composites)
        assert second.venue.port != first_port and _port_open(second.venue.port)
        assert [s.state for s in second.status()] == ["scanning", "scanning"]
    finally:
        await second.stop()
    await second.stop()  # twice is safe
    await first.stop()  # and so is stopping a session that was replaced
    assert not _port_open(second.venue.port)
    await asyncio.sleep(0.05)
    assert not [t.get_name() for t in asyncio.all_tasks() - before if not t.done()]


async def test_session_reprs_are_compact_and_live_chart_follows_without_blocking() -> None:
    session = await connect(_two_venue_config(), symbols=["BTC/USDT"], name="nb-reprs", update_interval=0.02)
    try:
        text = repr(session)
        assert "\n" not in text and len(text) < 200
        assert "binance:scanning" in text and "gateio:scanning" in text and session.venue.origin in text
        page = session._repr_html_()
        assert page == session_html(session) and len(page) < 4000
        for needle in ("Session &#x27;nb-reprs&#x27;", ">binance<", ">gateio<", ">scanning<", "2 venue pairs"):
            assert needle in page
        book = session.exchanges["binance"].book(BTC)
        assert isinstance(book, OrderBook) and len(repr(book)) < 150 and "\n" not in repr(book)
        assert book._repr_html_().count("<tr>") <= 11  # header + at most 10 levels

        chart = LiveChart(interval_s=0.05).follow(session, "BTC/USDT")
        ticks = 0
        while ticks < 20:  # the loop keeps turning while the chart is fed
            await asyncio.sleep(0.02)
            ticks += 1
        await _wait_for(lambda: len(chart.figure.data) == 4)  # bid + ask per venue
        await chart.stop()
        assert not chart.running and chart.error is None
        names = sorted(trace.name for trace in chart.figure.data)
        assert names == [f"{v} BTC/USDT {f}" for v in ("binance", "gateio") for f in ("ask", "bid")]
        drawn = sum(len(trace.x) for trace in chart.figure.data)
        await asyncio.sleep(0.2)
        chart.flush()
        assert sum(len(trace.x) for trace in chart.figure.data) == drawn  # unsubscribed on stop
    finally:
        await session.stop()
    stopped = session_html(session)
    assert "stopped" in stopped and "0 open opportunities" in stopped


def test_session_html_lists_open_opportunities_and_escapes() -> None:
    scanner = SimpleNamespace(open={OPP.key: OPP}, evaluations=7, pairs=lambda: [OPP.key, OPP.key[::-1]])
    session = Session.__new__(Session)
    session.name, session.venue, session.scanner, session._stopped = "<x>", None, scanner, False
    session.status = list  # no exchanges
    page = session_html(session)
    assert "&lt;x&gt;" in page and "<x>" not in page and "1 open opportunities" in page
    assert ">binance<" in page and ">kraken<" in page and "running" in page


def test_opportunity_and_health_html_are_one_compact_line_or_row() -> None:
    line = opportunity_html(OPP)
    assert line.count("<div") == 1 and len(line) < 700
    for needle in ("buy binance", "sell kraken", "60081", "60415.2", "qty 0.08322", "5.4 bps", "max_notional"):
        assert needle in line
    assert book_health_html(HEALTH).count("<tr>") == 2


def test_book_health_repr_is_compact() -> None:
    assert len(repr(HEALTH)) < 200
    assert HEALTH._repr_html_() == book_health_html(HEALTH)


def test_opportunity_repr_is_compact() -> None:
    assert len(repr(OPP)) < 200
    assert OPP._repr_html_() == opportunity_html(OPP)
