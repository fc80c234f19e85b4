"""ccxt.pro book sides whose rows are immutable ``(price, size)`` tuples, so a feed's book is a slice, not a copy.

ccxt keeps each level as a ``[price, size]`` list and changes a size in place, which forces the feed to copy every
level of every update into tuples (most of its per-update cost). These sides store every change ccxt makes through
``storeArray`` (insert, size change, delete: the only way ccxt's book handlers change rows) as a new tuple instead,
so the best ``depth`` levels are ``side[:depth]``: tuples shared with ccxt's book, safe because nothing can change
them. Sorting and the parallel ``_index`` of keys are ccxt's own; only the row type differs.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

from ccxt.async_support.base.ws.order_book import OrderBook as CcxtOrderBook
from ccxt.async_support.base.ws.order_book_side import Asks, Bids

from arbkit.exchanges.convert import levels

__all__ = ["TUPLE_SIDES", "TupleAsks", "TupleBids", "book_levels", "tuple_order_book"]


class _TupleRows:
    """Mixin for a ccxt side: rows are ``(price, size)`` tuples, replaced on change, never mutated."""

    side: bool
    _index: list[float]

    def storeArray(self, delta: Any) -> None:  # ccxt's name: every book handler of ccxt stores through it
        price = delta[0]
        size = delta[1]
        key = -price if self.side else price
        keys = self._index
        at = bisect_left(keys, key)
        present = at < len(keys) and keys[at] == key
        rows: Any = self
        if size:
            if present:
                rows[at] = (price, size)
            else:
                keys.insert(at, key)
                rows.insert(at, (price, size))
        elif present:
            del keys[at]
            del rows[at]

    def store(self, price: float, size: float) -> None:
        self.storeArray((price, size))


class TupleAsks(_TupleRows, Asks):
    """ccxt's asks with tuple rows."""


class TupleBids(_TupleRows, Bids):
    """ccxt's bids with tuple rows."""


TUPLE_SIDES = (TupleAsks, TupleBids)  # the side types whose best levels are a slice


def tuple_order_book(snapshot: dict[str, Any] | None = None, depth: int | None = None) -> CcxtOrderBook:
    """ccxt's ``OrderBook`` with tuple-row sides (what an arbkit exchange's ``order_book()`` returns)."""
    snapshot = dict(snapshot or {})
    snapshot["asks"] = TupleAsks(snapshot.get("asks") or [], depth)
    snapshot["bids"] = TupleBids(snapshot.get("bids") or [], depth)
    return CcxtOrderBook(snapshot, depth)


def book_levels(side: Any, depth: int | None) -> list[tuple[float, float]]:
    """The best ``depth`` levels of a ccxt side as (price, size) tuples: a slice of a tuple-row side, else a copy."""
    if type(side) in TUPLE_SIDES:
        return side[:depth] if depth is not None else side[:]
    return levels(side, depth)
