"""Kraken's websocket v2 ``book`` channel on the local venue: a snapshot, then updates that keep each subscriber's
top-``depth`` window (levels entering the window are sent, levels pushed out are left for the client to truncate),
each with Kraken's CRC32 ``checksum`` of the true top 10 and the venue-only ``venue_seq``."""

from __future__ import annotations

import zlib
from typing import Any

from arbkit.venue.book import BookDelta, Level
from arbkit.venue.hub import Connection
from arbkit.venue.protocols import ExchangeContext
from arbkit.venue.protocols.kraken_payloads import iso_time

__all__ = ["KrakenBooks", "book_checksum"]


def _digits(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}".replace(".", "").lstrip("0")


def book_checksum(bids: list[Level], asks: list[Level], price_decimals: int, qty_decimals: int) -> int:
    """Kraken's CRC32 of the top 10 asks (ascending) then bids (descending), points and leading zeros removed."""
    text = "".join(_digits(p, price_decimals) + _digits(q, qty_decimals) for p, q in [*asks[:10], *bids[:10]])
    return zlib.crc32(text.encode()) & 0xFFFFFFFF


def _levels(side: dict[float, float], reverse: bool, depth: int) -> list[Level]:
    return sorted(side.items(), reverse=reverse)[:depth]


def _rows(levels: list[Level]) -> list[dict[str, float]]:
    return [{"price": p, "qty": q} for p, q in levels]


class _BookSub:
    """One subscriber's window on one book: the levels it holds, as Kraken keeps them."""

    __slots__ = ("asks", "bids", "depth")

    def __init__(self, depth: int, bids: list[Level], asks: list[Level]) -> None:
        self.depth, self.bids, self.asks = depth, dict(bids), dict(asks)


def _window_update(held: dict[float, float], target: dict[float, float], alive: dict[float, float]) -> list[Level]:
    """Levels to send so ``held`` becomes ``target``; levels pushed out but still alive are left to truncation."""
    out = [(p, q) for p, q in target.items() if held.get(p) != q]
    out += [(p, 0.0) for p in held if p not in target and p not in alive]
    return out


class KrakenBooks:
    """The book channel's state: each connection's windows (in ``conn.state["books"]``), the last delta seen per
    symbol (to notice a skipped one) and the symbols whose next message carries a wrong checksum (a fault)."""

    def __init__(self, ctx: ExchangeContext) -> None:
        self.ctx = ctx
        self.corrupt: set[str] = set()
        self._last_seq: dict[str, int] = {}
        self._truth: dict[str, tuple[int, dict[float, float], dict[float, float]]] = {}  # the book as streamed

    async def send_snapshot(self, conn: Connection, symbol: str, depth: int) -> None:
        """Open ``conn``'s ``depth`` window on ``symbol`` and send it as a snapshot."""
        book = self.ctx.book(symbol)
        bids, asks = book.sorted_bids(depth), book.sorted_asks(depth)
        conn.state["books"][symbol] = _BookSub(depth, bids, asks)
        await conn.send(self._message("snapshot", symbol, bids, asks, bids, asks, book.seq, book.timestamp))

    def _message(
        self,
        kind: str,
        symbol: str,
        bids: list[Level],
        asks: list[Level],
        true_bids: list[Level],
        true_asks: list[Level],
        seq: int,
        ts: int,
        wrong: bool = False,
    ) -> dict[str, Any]:
        inst = self.ctx.instruments[symbol]
        checksum = book_checksum(true_bids, true_asks, inst.price_decimals, inst.qty_decimals)
        if wrong:
            checksum ^= 0x5A5A5A5A
        data = {
            "symbol": symbol,
            "bids": _rows(bids),
            "asks": _rows(asks),
            "checksum": checksum,
            "timestamp": iso_time(ts),
            "venue_seq": seq,
        }
        return {"channel": "book", "type": kind, "data": [data]}

    def _true_book(self, symbol: str, delta: BookDelta) -> tuple[dict[float, float], dict[float, float]]:
        """The venue book right after ``delta``: kept incrementally (a replay of the venue's history per delta would
        cost O(history) and block the loop when a stall releases its backlog)."""
        kept = self._truth.get(symbol)
        if kept is not None and kept[0] == delta.prev_seq:
            _, bids, asks = kept
            for side, levels in ((bids, delta.bids), (asks, delta.asks)):
                for p, q in levels:
                    if q > 0:
                        side[p] = q
                    else:
                        side.pop(p, None)
        else:
            book = self.ctx.book(symbol)
            snap = book.snapshot() if book.seq == delta.seq else (book.at(delta.seq) or book.snapshot())
            bids, asks = dict(snap.bids), dict(snap.asks)
        self._truth[symbol] = (delta.seq, bids, asks)
        return bids, asks

    async def on_book_delta(self, symbol: str, delta: BookDelta) -> None:
        last = self._last_seq.get(symbol)
        self._last_seq[symbol] = delta.seq
        subs = self.ctx.hub.subscribers(f"book:{symbol}")
        if not subs:
            return
        lost = last is not None and delta.prev_seq != last  # the core skipped a delta: clients miss it
        true_bids, true_asks = self._true_book(symbol, delta)
        truth_bids, truth_asks = _levels(true_bids, True, 1000), _levels(true_asks, False, 1000)
        wrong = symbol in self.corrupt
        self.corrupt.discard(symbol)
        for conn in subs:
            sub: _BookSub | None = conn.state["books"].get(symbol)
            if sub is None:
                continue
            if lost:  # only this delta's own levels reach the client; the truth's checksum then disagrees
                bids, asks = dict(sub.bids), dict(sub.asks)
                for side, levels in ((bids, delta.bids), (asks, delta.asks)):
                    for p, q in levels:
                        if q > 0:
                            side[p] = q
                        else:
                            side.pop(p, None)
                new_bids, new_asks = dict(_levels(bids, True, sub.depth)), dict(_levels(asks, False, sub.depth))
            else:
                new_bids, new_asks = dict(truth_bids[: sub.depth]), dict(truth_asks[: sub.depth])
            bid_changes = _window_update(sub.bids, new_bids, {} if lost else true_bids)
            ask_changes = _window_update(sub.asks, new_asks, {} if lost else true_asks)
            sub.bids, sub.asks = new_bids, new_asks
            if not bid_changes and not ask_changes and not wrong and not lost:
                continue
            top_b, top_a = truth_bids[:10], truth_asks[:10]
            held_b, held_a = _levels(new_bids, True, 10), _levels(new_asks, False, 10)
            inst = self.ctx.instruments[symbol]
            force = lost and book_checksum(held_b, held_a, inst.price_decimals, inst.qty_decimals) == book_checksum(
                top_b, top_a, inst.price_decimals, inst.qty_decimals
            )
            message = self._message(
                "update",
                symbol,
                sorted(bid_changes, reverse=True),
                sorted(ask_changes),
                top_b,
                top_a,
                delta.seq,
                delta.timestamp,
                wrong or force,
            )
            await conn.send(message)
