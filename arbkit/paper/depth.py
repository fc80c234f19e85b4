"""The consumed-depth ledger and the latency-window book: what liquidity a paper order may take.

A paper order never reaches the exchange, so the book it fills against never shows the depth it took. The ledger
remembers it per (exchange, symbol, book side, price): a later paper order sees each level reduced by what earlier
paper orders took there, until the book shows that level gone (it vanished from the visible range: the
liquidity that was there has been traded or pulled, so the real book and the paper book agree again). A level
whose size merely changes keeps its consumed amount, whatever the change: refills are treated as queueing behind
what was taken, and shrinkage as other takers hitting what was left (pessimistic both ways).

``window_levels`` is the latency pessimism: a paper order acted on after its latency fills against the levels
present both when it was sent and when it is acted on, each with the smaller of the two sizes: latency can
remove liquidity and worsen prices, never add or improve them.
"""

from __future__ import annotations

from arbkit.structs import Level, Side, Symbol

__all__ = ["DepthLedger", "window_levels"]

_Key = tuple[str, Symbol, Side]  # side = the book side taken: asks for a buy (Side.BUY), bids for a sell


def window_levels(sent: list[Level], acted: list[Level]) -> list[Level]:
    """Levels (best first, as in ``acted``) at prices present in both books, each with the smaller size."""
    then = {price: size for price, size in sent}
    return [(price, min(size, then[price])) for price, size in acted if price in then]


class DepthLedger:
    """Depth taken by paper orders, per exchange, symbol, side and price, until the level vanishes."""

    def __init__(self) -> None:
        self._taken: dict[_Key, dict[float, float]] = {}

    def visible(self, exchange: str, symbol: Symbol, side: Side, levels: list[Level]) -> list[Level]:
        """``levels`` (the side a ``side`` order takes, best first) net of what paper orders took; first forgets
        levels the book no longer shows within its visible range."""
        taken = self._taken.get((exchange, symbol, side))
        if not taken:
            return list(levels)
        self._forget_vanished(taken, side, levels)
        out: list[Level] = []
        for price, size in levels:
            left = size - taken.get(price, 0.0)
            out.append((price, left if left > 1e-12 else 0.0))
        return out

    def consume(self, exchange: str, symbol: Symbol, side: Side, fills: list[tuple[float, float]]) -> None:
        """Record ``(price, quantity)`` taken by one paper order."""
        if not fills:
            return
        taken = self._taken.setdefault((exchange, symbol, side), {})
        for price, quantity in fills:
            taken[price] = taken.get(price, 0.0) + quantity

    def taken(self, exchange: str, symbol: Symbol, side: Side) -> dict[float, float]:
        """What is still counted as consumed (a copy), price -> quantity."""
        return dict(self._taken.get((exchange, symbol, side), {}))

    @staticmethod
    def _forget_vanished(taken: dict[float, float], side: Side, levels: list[Level]) -> None:
        """Drop prices inside the visible range with no level in the book now; beyond the range we cannot see,
        so the consumption is kept (pessimistic)."""
        if not levels:
            return  # an empty side says nothing about where the levels went: keep everything
        present = {price for price, _ in levels}
        worst = levels[-1][0]
        for price in list(taken):
            inside = price <= worst if side is Side.BUY else price >= worst
            if inside and price not in present:
                del taken[price]
