"""Plotly charts of depth, cross-venue edge, opportunities and book health, and a live top-of-book widget.

Every chart takes the frames of ``arbkit.research.frames`` (eager or lazy) or the objects they are built from,
and returns a ``go.Figure`` with a title, unit-labelled axes and the ``plotly_white`` template. Times are drawn
in UTC.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterable, Callable, Iterable, Mapping
from typing import Any, Literal

import msgspec
import numpy as np
import plotly.graph_objects as go
import polars as pl
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from arbkit.research.frames import books_frame, health_frame, lifecycles_frame, opportunities_frame
from arbkit.structs import Symbol

__all__ = [
    "LiveChart",
    "QuotePoint",
    "depth_chart",
    "health_timeline",
    "opportunity_heatmap",
    "opportunity_timeline",
    "spread_chart",
]

TEMPLATE = "plotly_white"
_PALETTE = qualitative.Plotly
_STATE_COLORS = {"live": "#2ca02c", "connecting": "#bcbd22", "resyncing": "#ff7f0e", "stale": "#d62728"}


def _colors(names: Iterable[str]) -> dict[str, str]:
    """A stable colour per venue (sorted order), so one venue looks the same in every chart."""
    return {name: _PALETTE[i % len(_PALETTE)] for i, name in enumerate(sorted(set(names)))}


def _eager(frame: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    return frame.collect() if isinstance(frame, pl.LazyFrame) else frame


def _utc(frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
    """Datetime columns as naive UTC, so plotly prints wall-clock UTC without offsets."""
    return frame.with_columns(pl.col(c).dt.replace_time_zone(None) for c in columns if c in frame.columns)


def _style(fig: go.Figure, title: str, x_title: str, y_title: str) -> go.Figure:
    fig.update_layout(
        template=TEMPLATE,
        title={"text": title, "x": 0.01},
        xaxis_title=x_title,
        yaxis_title=y_title,
        # beside the plot, top-aligned: however many entries, it grows down and never over the title
        legend={"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1, "yanchor": "top"},
        margin={"l": 70, "r": 20, "t": 60, "b": 60},
        height=450,
    )
    return fig


def _units(symbols: list[str]) -> tuple[str, str]:
    """(base, quote) when the frame holds one symbol, else generic words."""
    if len(symbols) == 1 and "/" in symbols[0]:
        base, quote = symbols[0].split("/", 1)
        return base, quote
    return "base", "quote"


def depth_chart(books: Any, depth: int | None = None) -> go.Figure:
    """Cumulative size against price, bids and asks of one or several venues (books, BookUpdates or a book frame)."""
    if isinstance(books, pl.DataFrame | pl.LazyFrame):
        frame = _eager(books)
    else:
        frame = books_frame([books] if hasattr(books, "bids") or hasattr(books, "book") else books, depth=depth)
    symbols = sorted(frame.get_column("symbol").unique().to_list())
    venues = sorted(frame.get_column("exchange").unique().to_list())
    colors, (base, quote) = _colors(venues), _units(symbols)
    fig = go.Figure()
    for (exchange, symbol, side), part in frame.group_by("exchange", "symbol", "side", maintain_order=True):
        label = f"{exchange} {symbol}" if len(symbols) > 1 else str(exchange)
        part = part.sort("level")
        fig.add_scatter(
            x=part.get_column("price").to_numpy(),
            y=part.get_column("cum_size").to_numpy(),
            name=f"{label} {'bids' if side == 'bid' else 'asks'}",
            mode="lines",
            line={"shape": "hv", "color": colors[str(exchange)], "dash": "solid" if side == "bid" else "dot"},
            fill="tozeroy" if len(venues) == 1 else None,
            hovertemplate=f"{label} {side}<br>price %{{x}}<br>cumulative %{{y}} {base}<extra></extra>",
        )
    title = f"Order book depth · {', '.join(symbols)} · {', '.join(venues)}"
    return _style(fig, title, f"price ({quote})", f"cumulative size ({base})")


def spread_chart(spread: pl.DataFrame | pl.LazyFrame, fee_threshold_bps: float | None = None) -> go.Figure:
    """Edge in bps over time per venue route (from ``spread_frame``), with the fee threshold as a line."""
    frame = _utc(_eager(spread), "ts")
    symbols = sorted(frame.get_column("symbol").unique().to_list())
    colors = _colors(frame.get_column("route").unique().to_list())
    scatter = go.Scattergl if frame.height > 20_000 else go.Scatter
    fig = go.Figure()
    for (route, symbol), part in frame.group_by("route", "symbol", maintain_order=True):
        name = f"{route} {symbol}" if len(symbols) > 1 else str(route)
        fig.add_trace(
            scatter(
                x=part.get_column("ts").to_numpy(),
                y=part.get_column("edge_bps").to_numpy(),
                name=name,
                mode="lines",
                line={"color": colors[str(route)], "width": 1.5},
                hovertemplate=f"{name}<br>%{{x}}<br>edge %{{y:.2f}} bps<extra></extra>",
            )
        )
    fig.add_hline(y=0, line={"color": "#888", "width": 1})
    if fee_threshold_bps is not None:
        fig.add_hline(
            y=fee_threshold_bps,
            line={"color": "#d62728", "dash": "dash", "width": 1.5},
            annotation_text=f"fees {fee_threshold_bps:g} bps",
            annotation_position="top left",
        )
    title = f"Cross-venue edge (sell bid − buy ask) · {', '.join(symbols) or 'no data'}"
    return _style(fig, title, "time (UTC)", "edge (bps)")


_HEATMAP_VALUES = {
    "count": (pl.len(), "opportunities (count)", "{:.0f}"),
    "edge": (pl.col("edge_bps").mean(), "mean edge (bps)", "{:.1f}"),
    "profit": (pl.col("profit_quote").sum(), "total profit (quote)", "{:.4g}"),
}


def opportunity_heatmap(opps: Any, value: Literal["count", "edge", "profit"] = "count") -> go.Figure:
    """Buy venue x sell venue matrix of opportunity count, mean edge (bps) or total profit."""
    if value not in _HEATMAP_VALUES:
        raise ValueError(f"opportunity_heatmap: value must be one of {sorted(_HEATMAP_VALUES)}, not {value!r}")
    frame = _eager(opps) if isinstance(opps, pl.DataFrame | pl.LazyFrame) else opportunities_frame(opps)
    expr, label, fmt = _HEATMAP_VALUES[value]
    cells = frame.group_by("buy_exchange", "sell_exchange").agg(expr.alias("value"))
    venues = sorted(set(frame.get_column("buy_exchange")) | set(frame.get_column("sell_exchange")))
    lookup = {(r["buy_exchange"], r["sell_exchange"]): r["value"] for r in cells.iter_rows(named=True)}
    z = [[lookup.get((b, s)) for s in venues] for b in venues]
    text = [["" if v is None else fmt.format(v) for v in row] for row in z]
    fig = go.Figure(
        go.Heatmap(
            x=venues,
            y=venues,
            z=z,
            text=text,
            texttemplate="%{text}",
            colorscale="Blues",
            colorbar={"title": {"text": label}},
            name=label,
            hovertemplate="buy %{y} → sell %{x}<br>" + label + ": %{text}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    return _style(fig, f"Opportunities by venue pair · {label}", "sell venue", "buy venue")


def opportunity_timeline(lifecycles: Any) -> go.Figure:
    """One bar per opportunity lifecycle from opened to closed (or last seen), coloured by peak edge."""
    if isinstance(lifecycles, pl.DataFrame | pl.LazyFrame):
        frame = _eager(lifecycles)
    else:
        frame = lifecycles_frame(lifecycles)
    end = pl.coalesce("closed", "last_seen") if "last_seen" in frame.columns else pl.col("closed")
    frame = frame.with_columns(
        lane=pl.concat_str("pair_id", pl.lit(" "), "route"),
        width_ms=pl.max_horizontal((end - pl.col("opened")).dt.total_milliseconds().fill_null(0), pl.lit(1)),
    )
    frame = _utc(frame, "opened")
    custom = np.column_stack(
        [frame.get_column(c).to_numpy() for c in ("peak_edge_bps", "peak_profit", "updates", "close_reason")]
    ) if frame.height else None  # fmt: skip
    fig = go.Figure(
        go.Bar(
            name="lifecycles",
            orientation="h",
            y=frame.get_column("lane").to_list(),
            base=frame.get_column("opened").to_numpy(),
            x=frame.get_column("width_ms").to_numpy(),
            marker={
                "color": frame.get_column("peak_edge_bps").to_numpy(),
                "colorscale": "Viridis",
                "colorbar": {"title": {"text": "peak edge (bps)"}},
            },
            customdata=custom,
            hovertemplate=(
                "%{y}<br>opened %{base}<br>lasted %{x} ms<br>peak edge %{customdata[0]:.2f} bps"
                "<br>peak profit %{customdata[1]:.4g}<br>updates %{customdata[2]}<br>closed: %{customdata[3]}"
                "<extra></extra>"
            ),
        )
    )
    fig.update_xaxes(type="date")
    return _style(fig, f"Opportunity lifecycles · {frame.height}", "time (UTC)", "venue pair")


def health_timeline(health: Any) -> go.Figure:
    """Book state per venue over time (top) and book age in ms (bottom), from ``health_frame`` rows."""
    frame = _eager(health) if isinstance(health, pl.DataFrame | pl.LazyFrame) else health_frame(health)
    book = pl.concat_str("exchange", pl.lit(" "), "symbol")
    frame = frame.drop_nulls("ts").with_columns(book=book).sort("book", "ts")
    last_ts = frame.get_column("ts").max()
    runs = (
        frame.with_columns(
            run=(pl.col("state") != pl.col("state").shift()).fill_null(True).cum_sum().over("book"),
            next_ts=pl.col("ts").shift(-1).over("book"),
        )
        .group_by("book", "run", maintain_order=True)
        .agg(pl.col("state").first(), start=pl.col("ts").first(), end=pl.col("next_ts").last())
        .with_columns(pl.col("end").fill_null(last_ts))
        .with_columns(width_ms=pl.max_horizontal((pl.col("end") - pl.col("start")).dt.total_milliseconds(), 1))
    )
    runs, frame = _utc(runs, "start"), _utc(frame, "ts")
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.45, 0.55], vertical_spacing=0.08)
    for (state,), part in runs.group_by("state", maintain_order=True):
        fig.add_bar(
            name=str(state),
            orientation="h",
            y=part.get_column("book").to_list(),
            base=part.get_column("start").to_numpy(),
            x=part.get_column("width_ms").to_numpy(),
            marker_color=_STATE_COLORS.get(str(state), "#7f7f7f"),
            hovertemplate=f"%{{y}}: {state}<br>from %{{base}} for %{{x}} ms<extra></extra>",
            row=1,
            col=1,
        )
    colors = _colors(frame.get_column("book").unique().to_list())
    for (name,), part in frame.group_by("book", maintain_order=True):
        fig.add_scatter(
            name=f"{name} age",
            x=part.get_column("ts").to_numpy(),
            y=part.get_column("age_ms").to_numpy(),
            mode="lines",
            line={"color": colors[str(name)]},
            row=2,
            col=1,
        )
    fig.update_xaxes(type="date")
    fig.update_layout(barmode="overlay", height=520)
    _style(fig, "Book health over time", "", "book")
    fig.update_layout(height=520, xaxis2_title="time (UTC)", yaxis2_title="book age (ms)")
    return fig


class QuotePoint(msgspec.Struct, frozen=True):
    """One top-of-book observation for ``LiveChart``; prices in quote currency, time in epoch ms."""

    ts_ms: float
    exchange: str
    symbol: str
    bid: float | None
    ask: float | None

    @property
    def mid(self) -> float | None:
        return None if self.bid is None or self.ask is None else (self.bid + self.ask) / 2


def _as_point(item: Any) -> QuotePoint:
    if isinstance(item, QuotePoint):
        return item
    book = getattr(item, "book", item)
    if hasattr(book, "bids"):
        ts = book.timestamp if book.timestamp is not None else book.received_ms
        return QuotePoint(float(ts or 0), book.exchange, str(book.symbol), book.best_bid, book.best_ask)
    if isinstance(item, Mapping):
        return msgspec.convert(item, QuotePoint)
    raise TypeError(f"LiveChart: cannot plot {type(item).__name__}; pass QuotePoint, OrderBook or BookUpdate")


def _make_widget() -> go.Figure:
    """A FigureWidget (anywidget, updates in place in JupyterLab) when available, else a static Figure."""
    try:
        return go.FigureWidget()
    except ImportError:
        return go.Figure()


class LiveChart:
    """Bid/ask (or mid) lines per venue that a background task refreshes without blocking the kernel.

    ``push`` only buffers; ``flush``/``update`` redraw every changed trace in one batched message. History is
    bounded to ``max_points`` per line. ``start(source)`` feeds an async iterable of points (QuotePoint,
    OrderBook, BookUpdate, or lists of them) and flushes every ``interval_s``; ``follow(session, symbol)`` feeds
    it from live composites instead; ``await stop()`` ends either.
    """

    def __init__(
        self,
        title: str = "Live top of book",
        fields: tuple[str, ...] = ("bid", "ask"),
        max_points: int = 2_000,
        interval_s: float = 0.25,
    ) -> None:
        self.figure = _make_widget()
        self.fields, self.max_points, self.interval_s = fields, max_points, interval_s
        self.error: BaseException | None = None
        self._lines: dict[tuple[str, str, str], tuple[int, deque[float], deque[float]]] = {}
        self._pending: list[Any] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._unsubscribe: list[Callable[[], None]] = []
        _style(self.figure, title, "time (UTC)", "price (quote)")
        self.figure.update_layout(uirevision="live")

    def push(self, points: Any) -> None:
        """Buffer points (one or a list) for the next flush; cheap enough for a feed callback."""
        self._pending.extend(points if isinstance(points, list | tuple) else [points])

    def flush(self) -> int:
        """Draw the buffered points; returns how many were drawn."""
        pending, self._pending = self._pending, []
        return self.update(pending) if pending else 0

    def update(self, points: Iterable[Any]) -> int:
        """Append points to their lines and redraw the changed traces in one batch; returns the count."""
        dirty: set[tuple[str, str, str]] = set()
        count = 0
        for item in points:
            point = _as_point(item)
            count += 1
            for field in self.fields:
                value = getattr(point, field)
                if value is None:
                    continue
                key = (point.exchange, point.symbol, field)
                line = self._lines.get(key) or self._add_line(key)
                line[1].append(point.ts_ms)
                line[2].append(value)
                dirty.add(key)
        with self.figure.batch_update():
            for key in dirty:
                index, xs, ys = self._lines[key]
                trace = self.figure.data[index]
                trace.x = np.array(xs, dtype=np.int64).astype("datetime64[ms]")
                trace.y = np.array(ys, dtype=np.float64)
        return count

    def _add_line(self, key: tuple[str, str, str]) -> tuple[int, deque[float], deque[float]]:
        exchange, symbol, field = key
        venues = sorted({k[0] for k in self._lines} | {exchange})
        dash = {"bid": "solid", "ask": "dash"}.get(field, "dot")
        self.figure.add_scatter(
            name=f"{exchange} {symbol} {field}",
            mode="lines",
            line={"color": _PALETTE[venues.index(exchange) % len(_PALETTE)], "dash": dash, "shape": "hv"},
        )
        line = (len(self.figure.data) - 1, deque(maxlen=self.max_points), deque(maxlen=self.max_points))
        self._lines[key] = line
        return line

    def start(self, source: AsyncIterable[Any] | None = None) -> LiveChart:
        """Start the flush loop (and consume ``source`` if given) as background tasks on the running loop."""
        if self.running:
            raise RuntimeError("LiveChart already running; await stop() first")
        self.error = None
        self._tasks = [asyncio.create_task(self._flush_loop(), name="arbkit-livechart-flush")]
        if source is not None:
            task = asyncio.create_task(self._consume(source), name="arbkit-livechart-feed")
            task.add_done_callback(self._on_feed_done)
            self._tasks.append(task)
        return self

    def follow(self, session: Any, symbol: str, exchanges: Iterable[str] | None = None) -> LiveChart:
        """Plot ``symbol`` live from every exchange of ``session`` (a Session, or a dict/list of composites).

        Subscribes to each composite's ``add_listener`` (a push per book update, no polling) and starts the flush
        loop; the kernel stays free. ``await stop()`` unsubscribes. Exchanges that join later are not followed.
        """
        wanted = str(Symbol.parse(symbol))
        found = getattr(session, "exchanges", session)
        composites = list(found.values()) if isinstance(found, Mapping) else list(found)
        names = None if exchanges is None else {str(e).lower() for e in exchanges}

        def on_update(update: Any) -> None:
            if str(update.book.symbol) == wanted:
                self.push(update)

        self.start()
        for composite in composites:
            if names is None or composite.name in names:
                self._unsubscribe.append(composite.add_listener(on_update))
        return self

    async def stop(self) -> None:
        """Unsubscribe, cancel the background tasks, wait for them, and draw what is still buffered."""
        for unsubscribe in self._unsubscribe:
            with contextlib.suppress(Exception):  # the composite may already be closed
                unsubscribe()
        self._unsubscribe = []
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        self.flush()

    @property
    def running(self) -> bool:
        return any(not t.done() for t in self._tasks)

    async def _consume(self, source: AsyncIterable[Any]) -> None:
        async for item in source:
            self.push(item)

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            self.flush()

    def _on_feed_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            self.error = task.exception()

    def snapshot(self) -> go.Figure:
        """A static copy of the chart as it is now: shows in HTML exports and notebook viewers, unlike the widget."""
        return go.Figure(self.figure)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        """The live widget where a frontend can run it; elsewhere one line saying where the chart went."""
        bundle = self.figure._repr_mimebundle_(include=include, exclude=exclude)
        if isinstance(bundle, tuple):  # (data, metadata)
            bundle = bundle[0]
        bundle = dict(bundle or {})
        bundle["text/plain"] = f"{self!r}: a live widget (JupyterLab); .snapshot() gives a static copy"
        return bundle

    def __repr__(self) -> str:
        points = sum(len(line[1]) for line in self._lines.values())
        return f"LiveChart(lines={len(self._lines)} points={points} running={self.running} error={self.error!r})"
