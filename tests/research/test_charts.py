"""Charts render to HTML with the expected traces, titles and unit-labelled axes; LiveChart without a browser."""

from __future__ import annotations

import asyncio

import plotly.graph_objects as go
import plotly.io as pio
import polars as pl
import pytest

from arbkit.arbitrage.evaluate import Opportunity
from arbkit.arbitrage.lifecycle import OpportunityLifecycle
from arbkit.research.charts import (
    LiveChart,
    QuotePoint,
    depth_chart,
    health_timeline,
    opportunity_heatmap,
    opportunity_timeline,
    spread_chart,
)
from arbkit.research.frames import books_frame, health_frame, opportunities_frame, spread_frame, top_of_book_frame
from arbkit.structs import BookHealth, BookState, BookUpdate, OrderBook, Symbol

BTC = Symbol.parse("BTC/USDT")
T0 = 1_700_000_000_000


def html(fig) -> str:
    assert fig.layout.template == pio.templates["plotly_white"]
    return fig.to_html(include_plotlyjs=False).replace("\\u003e", ">").replace("\\u003c", "<")


def book(exchange: str, bid: float, ask: float, ts: int = T0) -> OrderBook:
    return OrderBook(exchange, BTC, [(bid, 1.0), (bid - 1, 2.0)], [(ask, 0.5), (ask + 1, 1.5)], ts, 1)


def opp(buy: str, sell: str, edge: float) -> Opportunity:
    return Opportunity("p1", BTC, buy, sell, 1.0, 100.0, 100.3, 100.0, 0.3, edge, edge, 1, 1, 0.001, 0.001, T0)


def test_depth_chart_two_venues() -> None:
    fig = depth_chart([book("binance", 100.0, 101.0), book("kraken", 100.5, 101.5)])
    names = [t.name for t in fig.data]
    assert names == ["binance bids", "binance asks", "kraken bids", "kraken asks"]
    assert list(fig.data[0].y) == [1.0, 3.0] and list(fig.data[1].x) == [101.0, 102.0]
    text = html(fig)
    assert fig.layout.title.text == "Order book depth · BTC/USDT · binance, kraken"
    for needle in ("Order book depth", "price (USDT)", "cumulative size (BTC)"):
        assert needle in text
    assert [t.name for t in depth_chart(books_frame([book("mexc", 1, 2)])).data] == ["mexc bids", "mexc asks"]
    assert len(depth_chart(book("mexc", 1, 2)).data) == 2


def test_spread_chart_routes_and_fee_line() -> None:
    tob = top_of_book_frame([book("binance", 100, 101), book("kraken", 101.5, 102, T0 + 500)])
    fig = spread_chart(spread_frame(tob).lazy(), fee_threshold_bps=20)
    assert sorted(t.name for t in fig.data) == ["binance->kraken", "kraken->binance"]
    assert 20 in [s.y0 for s in fig.layout.shapes] and 0 in [s.y0 for s in fig.layout.shapes]
    text = html(fig)
    for needle in ("Cross-venue edge", "edge (bps)", "time (UTC)", "fees 20 bps", "binance->kraken"):
        assert needle in text


def test_opportunity_heatmap_count_and_edge() -> None:
    opps = [opp("binance", "kraken", 10.0), opp("binance", "kraken", 30.0), opp("kraken", "mexc", 5.0)]
    fig = opportunity_heatmap(opps)
    venues = ["binance", "kraken", "mexc"]
    assert list(fig.data[0].x) == venues and list(fig.data[0].y) == venues
    assert fig.data[0].z[0][1] == 2 and fig.data[0].z[1][2] == 1 and fig.data[0].z[0][0] is None
    edge = opportunity_heatmap(opportunities_frame(opps), value="edge")
    assert edge.data[0].z[0][1] == 20.0
    text = html(edge)
    for needle in ("Opportunities by venue pair", "mean edge (bps)", "sell venue", "buy venue"):
        assert needle in text
    with pytest.raises(ValueError, match="value must be one of"):
        opportunity_heatmap(opps, value="nope")  # type: ignore[arg-type]


def test_opportunity_timeline_one_bar_per_lifecycle() -> None:
    common = {"pair_id": "p1", "peak_profit": 0.2, "last_quantity": 1.0, "updates": 3}
    closed = OpportunityLifecycle(
        buy_exchange="binance", sell_exchange="kraken", opened_ms=T0, last_seen_ms=T0 + 900, closed_ms=T0 + 1500,
        duration_ms=1500, peak_edge_bps=25.0, close_reason="gone", **common,
    )  # fmt: skip
    still_open = OpportunityLifecycle(
        buy_exchange="kraken", sell_exchange="mexc", opened_ms=T0 + 200, last_seen_ms=T0 + 700, closed_ms=None,
        duration_ms=500, peak_edge_bps=12.0, **common,
    )  # fmt: skip
    fig = opportunity_timeline([closed, still_open])
    bar = fig.data[0]
    assert bar.name == "lifecycles" and list(bar.x) == [1500, 500]
    assert list(bar.y) == ["p1 binance->kraken", "p1 kraken->mexc"]
    text = html(fig)
    for needle in ("Opportunity lifecycles · 2", "time (UTC)", "venue pair", "peak edge (bps)"):
        assert needle in text


def test_health_timeline_states_and_age() -> None:
    def health(state: BookState, age: float, exchange: str = "binance") -> BookHealth:
        return BookHealth(exchange, BTC, state, 1, age, 10, 5.0, 0, 0, 0, 0)

    rows = [(T0, health(BookState.LIVE, 10)), (T0 + 1000, health(BookState.STALE, 3000))]
    rows += [(T0 + 2000, health(BookState.LIVE, 20))]
    rows += [BookUpdate(book("kraken", 1, 2, T0 + 500), health(BookState.LIVE, 5, "kraken"))]
    fig = health_timeline(health_frame(rows))
    names = [t.name for t in fig.data]
    assert names == ["live", "stale", "binance BTC/USDT age", "kraken BTC/USDT age"]
    # binance: live 0-1 s, stale 1-2 s, live from 2 s (the last sample: 1 ms wide); kraken live 0.5-2 s
    assert list(fig.data[0].x) == [1000, 1, 1500] and list(fig.data[1].x) == [1000]
    assert list(fig.data[2].y) == [10.0, 3000.0, 20.0]
    text = html(fig)
    for needle in ("Book health over time", "book age (ms)", "time (UTC)"):
        assert needle in text


def test_live_chart_update_is_batched_and_bounded() -> None:
    chart = LiveChart(max_points=5)
    points = [QuotePoint(T0 + i, "binance", "BTC/USDT", 100.0 + i, 101.0 + i) for i in range(8)]
    assert chart.update(points) == 8
    assert chart.update([book("kraken", 99.0, 100.0)]) == 1
    names = [t.name for t in chart.figure.data]
    assert names == ["binance BTC/USDT bid", "binance BTC/USDT ask", "kraken BTC/USDT bid", "kraken BTC/USDT ask"]
    bid = chart.figure.data[0]
    assert len(bid.x) == 5 and list(bid.y) == [103.0, 104.0, 105.0, 106.0, 107.0]
    chart.push({"ts_ms": T0 + 9, "exchange": "binance", "symbol": "BTC/USDT", "bid": 1.0, "ask": None})
    assert chart.flush() == 1 and chart.figure.data[0].y[-1] == 1.0 and chart.figure.data[1].y[-1] == 108.0
    text = chart.figure.to_html(include_plotlyjs=False)
    assert "Live top of book" in text and "price (quote)" in text


async def test_live_chart_background_feed_and_stop() -> None:
    async def feed():
        for i in range(20):
            yield [QuotePoint(T0 + i, "binance", "BTC/USDT", 100.0, 101.0)]
            await asyncio.sleep(0)

    chart = LiveChart(interval_s=0.01).start(feed())
    with pytest.raises(RuntimeError, match="already running"):
        chart.start()
    for _ in range(100):
        await asyncio.sleep(0.01)
        if chart.figure.data and len(chart.figure.data[0].x) == 20:
            break
    await chart.stop()
    assert not chart.running and len(chart.figure.data[0].x) == 20

    async def broken():
        yield "not a point"
        raise OSError("feed died")

    chart = LiveChart(interval_s=0.01).start(broken())
    await asyncio.sleep(0.05)
    with pytest.raises(TypeError, match="cannot plot str"):
        await chart.stop()  # the final flush meets the bad point


def test_frames_and_charts_accept_empty_spreads() -> None:
    empty = spread_frame(pl.DataFrame(schema={"ts": pl.Datetime("ms", "UTC"), "exchange": pl.String,
                                              "symbol": pl.String, "bid": pl.Float64, "ask": pl.Float64}))  # fmt: skip
    assert empty.height == 0
    assert "no data" in html(spread_chart(empty))


def test_legend_never_overprints_the_title() -> None:
    """A legend anchored above the plot grows upwards with every wrapped row, into the title; beside it, it cannot."""
    many = [
        book(name, 100 + i, 101 + i, T0 + 100 * i) for i, name in enumerate(("binance", "gateio", "mexc", "kraken"))
    ]
    spread = spread_frame(top_of_book_frame(many), tolerance="1s")
    assert spread.get_column("route").n_unique() == 12
    for fig in (spread_chart(spread, fee_threshold_bps=30), depth_chart(many)):
        legend, title = fig.layout.legend, fig.layout.title
        assert legend.y <= 1 and legend.yanchor == "top", "legend reaches above the plot area, where the title is"
        assert legend.orientation == "v" and legend.x >= 1, "legend overlaps the plot area"
        assert title.text and (title.y is None or title.y >= 0.9)


def test_live_chart_snapshot_is_a_static_figure() -> None:
    chart = LiveChart(title="live")
    chart.update(
        [QuotePoint(T0, "binance", "BTC/USDT", 100.0, 101.0), QuotePoint(T0 + 1, "kraken", "BTC/USDT", 99.0, 102.0)]
    )
    snap = chart.snapshot()
    assert type(snap) is go.Figure and [t.name for t in snap.data] == [t.name for t in chart.figure.data]
    assert snap.layout.title.text == "live" and len(snap.data) == 4
    chart.update([QuotePoint(T0 + 2, "binance", "BTC/USDT", 100.5, 101.5)])
    assert len(snap.data[0].x) == 1  # a copy, not a view of the live figure
