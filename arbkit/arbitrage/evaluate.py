"""Depth-aware, fee-aware evaluation of one ordered venue pair: buy on A at A's asks, sell on B at B's bids.

API:
- ``make_spec(pair_id, buy_info, sell_info, min_profit_bps, max_notional=None, buy_fee=None, sell_fee=None)``
  -> ``VenuePairSpec``: everything constant for the ordered pair (fees, common step, minimums), built once
  (defined in ``arbkit.arbitrage.spec``, re-exported here with ``common_step`` and ``top_of_book_edge_bps``).
- ``evaluate_books(spec, buy_book, sell_book, now_ms=None) -> Opportunity | None``: rejects crossed or empty books
  with ``BookRejectedError``, then ``evaluate_levels``.
- ``evaluate_levels(spec, asks, bids, now_ms, read=None) -> Opportunity | None``: the hot path over ``(price, qty)``
  levels; given ``read`` (a list of two ints) it also stores how many ask and bid levels the answer depends on (the
  scanner skips books unchanged there; one level each means the early exit, which depends on the best prices
  alone); ``evaluate_read`` returns the same as a tuple. Defined in ``arbkit.arbitrage.walk`` (the hot path: the
  early exit in a small frame, then the exact walk), compiled by mypyc at install; ``arbkit.arbitrage.native``
  picks the compiled module or the source (``native.IMPLEMENTATION`` says which), re-exported here.
- ``top_of_book_edge_bps(ask, bid, buy_fee, sell_fee)``: the naive check, for comparison.

The size. Buying ``q`` walks A's asks for ``cost(q)``, selling ``q`` walks B's bids for ``proceeds(q)`` (both
before fees); with taker fees ``bf``, ``sf`` and ``h = min_profit_bps / 1e4``:
``G(q) = (1 - sf) * proceeds(q) - (1 + bf + h) * cost(q)`` and ``profit(q) = (1 - sf) * proceeds(q) - (1 + bf) *
cost(q)``. Feasible sizes are ``q > 0`` on the common step grid, within both books' depth, with
``cost(q) <= max_notional``, at least both venues' minimum quantity, and with each venue's minimum notional met
by ``q`` times the worst price touched on that side (what the exchange checks on the marketable IOC limit order
that execution sends at ``buy_worst_price`` / ``sell_worst_price``). The size is the feasible ``q`` that
maximises ``G`` (ties: the largest); there is an opportunity when that ``G`` is at least 0. So every unit taken
earns at least the hurdle at the margin, and when a minimum forces a larger size the smallest feasible one is
taken. ``limited_by`` says what stopped the walk: the marginal edge, the depth, or ``max_notional``.
``max_quantity`` keeps the old figure: the largest size on the grid, within depth and cap, whose average edge
still clears the hurdle (``G >= 0``), i.e. how much the books could absorb; it is at least ``quantity``.

``G`` is concave and piecewise linear (the marginal edge only falls as the walk goes deeper), so its argmax is at
a level boundary of either book or at a bound: one walk over the levels finds it, and goes on to the root of
``G`` for ``max_quantity``. The walk (``walk``) keeps its positions along the books as exact integers at a size
scale where every book size is one (``walk._units`` checks each size is), so level boundaries and grid sizes are
compared exactly; books whose last levels still clear the hurdle are sized in one pass per side. What it cannot
settle exactly (sizes with more decimals than the steps, a cap, root or minimum within a tolerance of a grid
size, no step grid) goes to the general path (``general``: a float walk, then ``sizing.choose``). Edge in bps is
``profit / notional * 1e4`` where notional is the buy cost before fees.
"""

from __future__ import annotations

import time

from arbkit.arbitrage.native import evaluate_levels
from arbkit.arbitrage.opportunity import LIMIT_DEPTH, LIMIT_EDGE, LIMIT_NOTIONAL, BookRejectedError, Opportunity
from arbkit.arbitrage.spec import VenuePairSpec, common_step, make_spec, top_of_book_edge_bps
from arbkit.structs import Level, OrderBook

__all__ = [
    "LIMIT_DEPTH",
    "LIMIT_EDGE",
    "LIMIT_NOTIONAL",
    "BookRejectedError",
    "Opportunity",
    "VenuePairSpec",
    "common_step",
    "evaluate_books",
    "evaluate_levels",
    "evaluate_read",
    "make_spec",
    "top_of_book_edge_bps",
]


def _reject(book: OrderBook, problem: str) -> BookRejectedError:
    return BookRejectedError(f"{book.exchange} {book.symbol}: {problem}")


def evaluate_books(
    spec: VenuePairSpec, buy_book: OrderBook, sell_book: OrderBook, now_ms: float | None = None
) -> Opportunity | None:
    """Evaluate two full books; a crossed book or an empty side needed raises ``BookRejectedError``. ``now_ms``
    (default: now) is the opportunity's timestamp in whole milliseconds (a book's float ``received_ms`` is cut to
    one: ``evaluate_levels`` takes an int)."""
    for book in (buy_book, sell_book):
        if book.is_crossed:
            raise _reject(book, f"crossed book (bid {book.bids[0][0]} >= ask {book.asks[0][0]})")
    if not buy_book.asks:
        raise _reject(buy_book, "no asks to buy from")
    if not sell_book.bids:
        raise _reject(sell_book, "no bids to sell into")
    stamp = int(time.time() * 1000) if now_ms is None else int(now_ms)
    return evaluate_levels(spec, buy_book.asks, sell_book.bids, stamp)


def evaluate_read(
    spec: VenuePairSpec, asks: list[Level], bids: list[Level], now_ms: int
) -> tuple[Opportunity | None, int, int]:
    """``evaluate_levels`` and how many ask and bid levels it read: a book whose first levels are unchanged up to
    there gives the same answer, so the scanner can skip re-evaluating it."""
    read = [1, 1]
    opp = evaluate_levels(spec, asks, bids, now_ms, read)
    return opp, read[0], read[1]
