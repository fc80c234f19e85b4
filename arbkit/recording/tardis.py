"""Tardis-format CSV (``incremental_book_L2``, ``book_snapshot_25``/``_5``) read as a stream of top-N books.

The vendor's columns: ``exchange, symbol, timestamp, local_timestamp`` (microseconds since epoch, UTC), then either
``is_snapshot, side, price, amount`` (one row per level change; ``amount`` is the new size, 0 removes the level;
rows of one message share ``local_timestamp``; a snapshot row after non-snapshot rows starts a fresh book; rows
before the first snapshot are skipped) or ``asks[i].price, asks[i].amount, bids[i].price, bids[i].amount`` for
i = 0..N-1 (one whole top-N book per row, empty cells where the book is shallower). Files may be gzip or plain.
"""

from __future__ import annotations

import csv
import gzip
import heapq
import math
import os
import re
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import TextIO

import msgspec

from arbkit.errors import ArbkitError
from arbkit.structs import Level

__all__ = ["TardisBook", "read_tardis", "tardis_instrument"]

_HEAD = ("exchange", "symbol", "timestamp", "local_timestamp")
_INCREMENTAL = (*_HEAD, "is_snapshot", "side", "price", "amount")
_LEVEL_COLUMN = re.compile(r"^(asks|bids)\[(\d+)\]\.(price|amount)$")


class TardisBook(msgspec.Struct, frozen=True):
    """One book state: top-N bids (descending) and asks (ascending), exchange and local times in microseconds."""

    timestamp_us: int
    local_us: int
    bids: list[Level]
    asks: list[Level]
    line: int  # the file line that completed this state (for messages about it)


def _open(path: Path) -> TextIO:
    with open(path, "rb") as raw:
        magic = raw.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rt", newline="", encoding="utf-8")
    return open(path, newline="", encoding="utf-8")


class _Rows:
    """CSV rows of one file with their line numbers and one-line errors that name the file and line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.line = 1

    def fail(self, reason: str) -> ArbkitError:
        return ArbkitError(f"tardis import: {self.path} line {self.line}: {reason}")

    def number(self, row: dict[str, str], column: str, integer: bool = False) -> float:
        text = row.get(column)
        if text is None or text == "":
            raise self.fail(f"{column} is empty")
        try:
            value = int(text) if integer else float(text)
        except ValueError:
            raise self.fail(f"{column} {text!r} is not a number") from None
        if not math.isfinite(value) or value < 0:
            raise self.fail(f"{column} {text!r} must be a finite number >= 0")
        return value

    def iterate(self, handle: TextIO) -> Iterator[dict[str, str]]:
        reader = csv.DictReader(handle)
        try:
            for row in reader:
                self.line = reader.line_num
                if None in row:
                    raise self.fail(
                        f"{len(row[None]) + len(row) - 1} values for {len(reader.fieldnames or [])} columns"
                    )
                yield row
        except csv.Error as exc:
            raise self.fail(f"unreadable CSV ({exc})") from None
        except (OSError, EOFError, UnicodeDecodeError) as exc:
            raise self.fail(f"unreadable ({exc})") from None


def _top(bids: dict[float, float], asks: dict[float, float], depth: int) -> tuple[list[Level], list[Level]]:
    best_bids = heapq.nlargest(depth, bids)
    best_asks = heapq.nsmallest(depth, asks)
    return [(p, bids[p]) for p in best_bids], [(p, asks[p]) for p in best_asks]


def _incremental(rows: _Rows, source: Iterator[dict[str, str]], depth: int) -> Iterator[TardisBook]:
    bids: dict[float, float] = {}
    asks: dict[float, float] = {}
    started = in_snapshot = False
    group: tuple[int, int] | None = None  # (local_us, timestamp_us) of the message being applied
    for row in source:
        local = int(rows.number(row, "local_timestamp", integer=True))
        stamp = int(rows.number(row, "timestamp", integer=True))
        flag = row.get("is_snapshot", "")
        if flag not in ("true", "false"):
            raise rows.fail(f"is_snapshot {flag!r}: expected true or false")
        snapshot = flag == "true"
        side = row.get("side", "")
        if side not in ("bid", "ask"):
            raise rows.fail(f"side {side!r}: expected bid or ask")
        price, amount = rows.number(row, "price"), rows.number(row, "amount")
        if group is not None and local < group[0]:
            raise rows.fail(f"local_timestamp {local} goes back in time (previous {group[0]})")
        if group is not None and local != group[0] and started:
            yield TardisBook(group[1], group[0], *_top(bids, asks, depth), rows.line - 1)
        group = (local, stamp)
        if snapshot and not in_snapshot:
            bids.clear()
            asks.clear()
            started = True
        in_snapshot = snapshot
        if not started:
            continue  # buffered updates from before the first snapshot
        book = bids if side == "bid" else asks
        if amount == 0.0:
            book.pop(price, None)
        else:
            book[price] = amount
    if group is not None and started:
        yield TardisBook(group[1], group[0], *_top(bids, asks, depth), rows.line)


def _snapshots(rows: _Rows, source: Iterator[dict[str, str]], columns: list[str], depth: int) -> Iterator[TardisBook]:
    levels: dict[str, int] = {}
    for name in columns:
        match = _LEVEL_COLUMN.match(name)
        if match:
            levels[match[1]] = max(levels.get(match[1], 0), int(match[2]) + 1)
    n = min(depth, levels.get("bids", 0), levels.get("asks", 0))
    previous = None
    for row in source:
        local = int(rows.number(row, "local_timestamp", integer=True))
        stamp = int(rows.number(row, "timestamp", integer=True))
        if previous is not None and local < previous:
            raise rows.fail(f"local_timestamp {local} goes back in time (previous {previous})")
        previous = local
        sides: dict[str, list[Level]] = {"bids": [], "asks": []}
        for side, out in sides.items():
            for i in range(n):
                price_text, amount_text = row.get(f"{side}[{i}].price", ""), row.get(f"{side}[{i}].amount", "")
                if price_text == "" and amount_text == "":
                    break  # the book is shallower than N on this side
                out.append((rows.number(row, f"{side}[{i}].price"), rows.number(row, f"{side}[{i}].amount")))
        bids, asks = sides["bids"], sides["asks"]
        if any(b[0] <= a[0] for b, a in pairwise(bids)) or any(a[0] >= b[0] for a, b in pairwise(asks)):
            raise rows.fail("levels out of order (bids must fall, asks must rise)")
        yield TardisBook(stamp, local, bids, asks, rows.line)


def read_tardis(
    path: str | os.PathLike[str], depth: int, expect: tuple[str, str] | None = None
) -> Iterator[TardisBook]:
    """Every distinct top-``depth`` book state of one Tardis CSV file, in file order.

    ``expect`` is the (exchange, symbol) every row must carry (the file's first row by default); bad input raises
    ArbkitError naming the file and line.
    """
    path = Path(path)
    if not path.is_file():
        raise ArbkitError(f"tardis import: {path}: no such file")
    rows = _Rows(path)
    columns = _peek_columns(path)
    missing = [c for c in _HEAD if c not in columns]
    if missing:
        raise rows.fail(f"not a Tardis book file: no {', '.join(missing)} column (header: {','.join(columns)})")
    with _open(path) as handle:
        checked = _checked(rows, rows.iterate(handle), expect)
        if all(c in columns for c in _INCREMENTAL):
            books = _incremental(rows, checked, depth)
        elif any(_LEVEL_COLUMN.match(c) for c in columns):
            books = _snapshots(rows, checked, columns, depth)
        else:
            raise rows.fail("neither incremental_book_L2 (is_snapshot, side, price, amount) nor book_snapshot columns")
        last: tuple[list[Level], list[Level]] | None = None
        for book in books:
            if (book.bids, book.asks) != last and (book.bids or book.asks):
                last = (book.bids, book.asks)
                yield book


def _peek_columns(path: Path) -> list[str]:
    try:
        with _open(path) as handle:
            return next(csv.reader(handle), [])
    except (OSError, EOFError, UnicodeDecodeError, csv.Error) as exc:
        raise ArbkitError(f"tardis import: {path} line 1: unreadable ({exc})") from None


def tardis_instrument(path: str | os.PathLike[str]) -> tuple[str, str] | None:
    """The (exchange, symbol) of a Tardis file's first row (None for a file with no rows)."""
    rows = _Rows(Path(path))
    with _open(Path(path)) as handle:
        for row in rows.iterate(handle):
            return row.get("exchange", ""), row.get("symbol", "")
    return None


def _checked(rows: _Rows, source: Iterator[dict[str, str]], expect: tuple[str, str] | None) -> Iterator[dict[str, str]]:
    """Rows whose exchange and symbol are the expected ones (one file is one instrument)."""
    for row in source:
        key = (row["exchange"], row["symbol"])
        if expect is None:
            expect = key
        elif key != expect:
            raise rows.fail(
                f"exchange/symbol {key[0]}/{key[1]} differs from {expect[0]}/{expect[1]} (one instrument per file)"
            )
        yield row
