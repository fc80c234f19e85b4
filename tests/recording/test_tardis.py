"""Tardis CSV import: books rebuilt from incremental_book_L2 (with is_snapshot resets) and book_snapshot_25 rows,
bad rows named by file and line (exit 2, nothing left behind), and an imported recording that replays and charts.

Every file is generated here in the vendor's documented column layout."""

from __future__ import annotations

import gzip
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arbkit.errors import ArbkitError
from arbkit.recording import import_tardis, load_updates, read_meta, replay, scan_dataset
from arbkit.recording.tardis import read_tardis
from arbkit.research.frames import top_of_book_frame

T0 = 1_700_000_000_000_000  # us
INCREMENTAL_HEADER = "exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount"
Row = tuple[int, bool, str, float, float]  # local offset (us), is_snapshot, side, price, amount


def _incremental(path: Path, rows: list[Row], exchange: str = "binance", symbol: str = "BTCUSDT") -> Path:
    lines = [INCREMENTAL_HEADER]
    for offset, snap, side, price, amount in rows:
        stamp = T0 + offset
        lines.append(f"{exchange},{symbol},{stamp - 700},{stamp},{'true' if snap else 'false'},{side},{price},{amount}")
    text = "\n".join(lines) + "\n"
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def _snapshot_header(n: int) -> str:
    cols = [f"{s}[{i}].{f}" for i in range(n) for s in ("asks", "bids") for f in ("price", "amount")]
    return ",".join(["exchange", "symbol", "timestamp", "local_timestamp", *cols])


def _snapshots(
    path: Path, books: list[tuple[int, list[tuple[float, float]], list[tuple[float, float]]]], n: int = 25
) -> Path:
    lines = [_snapshot_header(n)]
    for offset, bids, asks in books:
        cells = []
        for i in range(n):
            for side in (asks, bids):
                cells += [str(side[i][0]), str(side[i][1])] if i < len(side) else ["", ""]
        lines.append(",".join(["gate-io", "BTC_USDT", str(T0 + offset - 300), str(T0 + offset), *cells]))
    path.write_text("\n".join(lines) + "\n")
    return path


def _book_rows(offset: int, mid: float, levels: int = 30) -> list[Row]:
    """A full snapshot around ``mid`` (0.5 USDT apart, on binance's 0.01 tick)."""
    rows: list[Row] = [(offset, True, "bid", mid - 0.5 * (k + 1), 0.1 + 0.01 * k) for k in range(levels)]
    return rows + [(offset, True, "ask", mid + 0.5 * (k + 1), 0.2 + 0.01 * k) for k in range(levels)]


def _reference(rows: list[Row], depth: int) -> list[tuple[list, list]]:
    """The obvious model: apply each message, sort the whole book, keep distinct top-N states."""
    bids: dict[float, float] = {}
    asks: dict[float, float] = {}
    out: list[tuple[list, list]] = []
    started, was_snapshot = False, False
    for i, (offset, snap, side, price, amount) in enumerate(rows):
        if snap and not was_snapshot:
            bids, asks, started = {}, {}, True
        was_snapshot = snap
        if started:
            book = bids if side == "bid" else asks
            book.pop(price, None) if amount == 0 else book.__setitem__(price, amount)
        if started and (i + 1 == len(rows) or rows[i + 1][0] != offset):
            state = (sorted(bids.items(), reverse=True)[:depth], sorted(asks.items())[:depth])
            if (state[0] or state[1]) and (not out or out[-1] != state):
                out.append(state)
    return out


def test_incremental_book_rebuilt_with_snapshot_resets(tmp_path: Path) -> None:
    rows: list[Row] = [(0, False, "bid", 59000.0, 1.0)]  # buffered before the first snapshot: skipped
    rows += _book_rows(10, 60000.0)
    rows += [(20, False, "bid", 59999.5, 0.0), (20, False, "ask", 60000.25, 0.3)]  # one message, two rows
    rows += [(30, False, "bid", 59980.0, 5.0)]  # below the top 3: no new state
    rows += _book_rows(40, 61000.0, levels=4)  # a new snapshot: the old levels are gone
    books = list(read_tardis(_incremental(tmp_path / "l2.csv.gz", rows), depth=3))
    assert [(b.bids, b.asks) for b in books] == _reference(rows, 3)
    assert len(books) == 3 and books[0].local_us == T0 + 10 and books[0].timestamp_us == T0 + 10 - 700
    assert books[1].bids[0] == (59999.0, 0.11) and books[1].asks[0] == (60000.25, 0.3)
    assert books[2].bids[0][0] == 60999.5 and all(p > 60000 for p, _ in books[2].bids)


level = st.tuples(st.sampled_from(["bid", "ask"]), st.integers(1, 40), st.sampled_from([0.0, 0.5, 1.25, 3.0]))


@settings(max_examples=60, deadline=None)
@given(messages=st.lists(st.tuples(st.booleans(), st.lists(level, min_size=1, max_size=6)), min_size=1, max_size=25))
def test_incremental_matches_a_full_sort_model(tmp_path_factory: pytest.TempPathFactory, messages: list) -> None:
    rows: list[Row] = []
    for i, (snap, changes) in enumerate(messages):
        for side, tick, amount in changes:
            price = 60000.0 + (-tick if side == "bid" else tick) * 0.5
            rows.append((i * 10, snap, side, price, amount))
    path = _incremental(tmp_path_factory.mktemp("h") / "l2.csv", rows)
    assert [(b.bids, b.asks) for b in read_tardis(path, depth=5)] == _reference(rows, 5)


def test_book_snapshot_25_rows_are_books(tmp_path: Path) -> None:
    bids = [(59999.0 - k, 1.0 + k) for k in range(25)]
    asks = [(60001.0 + k, 2.0 + k) for k in range(3)]  # a shallow ask side: empty cells after three levels
    path = _snapshots(tmp_path / "s.csv", [(0, bids, asks), (5, bids, asks), (9, bids[1:], asks)])
    books = list(read_tardis(path, depth=20))
    assert len(books) == 2  # the repeated state is one update
    assert books[0].bids == bids[:20] and books[0].asks == asks and books[1].bids == bids[1:21]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("binance,BTCUSDT,1,2,maybe,bid,1.0,1.0", "is_snapshot 'maybe': expected true or false"),
        ("binance,BTCUSDT,1,2,false,buy,1.0,1.0", "side 'buy': expected bid or ask"),
        ("binance,BTCUSDT,1,2,false,bid,abc,1.0", "price 'abc' is not a number"),
        ("binance,BTCUSDT,1,2,false,bid,1.0,-3", "amount '-3' must be a finite number >= 0"),
        ("binance,ETHUSDT,1,2,false,bid,1.0,1.0", "differs from binance/BTCUSDT"),
        ("binance,BTCUSDT,1,1,false,bid,1.0,1.0", "goes back in time"),
        ("binance,BTCUSDT,1,2,false,bid,1.0", "amount is empty"),
    ],
)
def test_a_bad_row_is_named_by_file_and_line(tmp_path: Path, line: str, reason: str) -> None:
    good = "binance,BTCUSDT,1,5,true,bid,1.0,1.0"
    path = tmp_path / "bad.csv"
    path.write_text(f"{INCREMENTAL_HEADER}\n{good}\n{line}\n")
    with pytest.raises(ArbkitError, match=f"{path} line 3: .*{reason.replace('(', '.').replace(')', '.')}"):
        list(read_tardis(path, depth=5))


def test_cli_bad_row_exits_2_and_leaves_nothing_behind(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from arbkit.cli.main import main

    rows = [*_book_rows(0, 60000.0), (5, False, "bid", 59990.0, 1.0)]
    path = _incremental(tmp_path / "l2.csv", rows)
    path.write_text(path.read_text() + "binance,BTCUSDT,1,99,false,bid,oops,1\n")
    out = tmp_path / "rec"
    argv = ["import", "tardis", str(path), "--exchange", "binance", "--symbol", "BTC/USDT", "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"arbkit: tardis import: {path} line 63: price 'oops' is not a number"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["l2.csv"]  # no recording, no scratch folder
    assert main([*argv[:-4], "--exchange", "binance", "--symbol", "NOPE/USDT", "--out", str(out)]) == 2
    assert "does not list NOPE/USDT on binance" in capsys.readouterr().err


def _two_venue_recording(tmp_path: Path) -> Path:
    """binance from incremental_book_L2 (gzip), gateio from book_snapshot_25, gateio 60 bps rich for a while."""
    out = tmp_path / "imported"
    rows: list[Row] = _book_rows(0, 60000.0, levels=25)
    for i in range(1, 40):
        rows += [
            (i * 50_000, False, "bid", 59999.5, 0.1 + 0.001 * i),
            (i * 50_000, False, "ask", 60000.5, 0.2 + 0.001 * i),
        ]
    binance = _incremental(tmp_path / "binance.csv.gz", rows)
    books = []
    for i in range(40):
        mid = 60360.0 if 10 <= i < 20 else 60000.0  # 60 bps above binance (fees 30): buy binance, sell gateio
        bid = [(round(mid - 1.0 - k, 2), 0.5) for k in range(25)]
        ask = [(round(mid + 1.0 + k, 2), 0.5 + 0.001 * i) for k in range(25)]
        books.append((i * 50_000 + 25_000, bid, ask))
    gateio = _snapshots(tmp_path / "gateio.csv", books)
    first = import_tardis([binance], "binance", "BTC/USDT", out)
    assert first.updates == 40 and first.source == "binance/BTCUSDT"
    second = import_tardis([gateio], "GateIO", "BTC/USDT", out)
    assert second.updates == 40 and second.off_tick == 0
    return out


async def test_imported_venues_replay_and_chart_like_a_recording(tmp_path: Path) -> None:
    out = _two_venue_recording(tmp_path)
    meta = read_meta(out)
    assert meta.exchanges == ["binance", "gateio"] and meta.depth == 20 and len(meta.imports) == 2
    assert meta.rows["books"] == scan_dataset(out).select(pl.len()).collect().item()
    assert len(list((out / "books").glob("**/*.parquet"))) == 2  # one file per partition
    updates = load_updates(out)
    assert [u.exchange for u in updates[:4]] == ["binance", "gateio", "binance", "gateio"]  # interleaved by arrival
    assert [u.sequence for u in updates if u.exchange == "gateio"] == list(range(1, 41))
    tob = top_of_book_frame(scan_dataset(out)).collect()
    assert tob.height == 80 and tob["spread_bps"].min() > 0
    result = await replay(out)
    assert result.updates == 80 - 2
    routes = {(e.opportunity.buy_exchange, e.opportunity.sell_exchange) for e in result.events}
    assert routes == {("binance", "gateio")}
    again = await replay(out)
    assert [e.opportunity.edge_bps for e in again.events] == [e.opportunity.edge_bps for e in result.events]


def test_importing_the_same_instrument_twice_is_refused(tmp_path: Path) -> None:
    path = _incremental(tmp_path / "l2.csv", _book_rows(0, 60000.0))
    out = tmp_path / "rec"
    import_tardis([path], "binance", "BTC/USDT", out)
    with pytest.raises(ArbkitError, match="already holds binance BTC/USDT"):
        import_tardis([path], "binance", "BTC/USDT", out)
    with pytest.raises(ArbkitError, match="records 20 levels; pass --depth 20"):
        import_tardis([path], "mexc", "BTC/USDT", out, depth=10)
