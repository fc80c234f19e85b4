"""What ``evaluate_levels`` finds for one ordered venue pair: the ``Opportunity`` and why its size stopped
(``LIMIT_EDGE``, ``LIMIT_DEPTH``, ``LIMIT_NOTIONAL``), or ``BookRejectedError`` for books it cannot evaluate;
re-exported by ``arbkit.arbitrage.evaluate``. Defined here, not in the compiled ``walk``, so that one class is raised
and caught whichever walk runs."""

from __future__ import annotations

from typing import Final

import msgspec

from arbkit.errors import ArbkitError
from arbkit.structs import Symbol

__all__ = ["LIMIT_DEPTH", "LIMIT_EDGE", "LIMIT_NOTIONAL", "BookRejectedError", "Opportunity"]

LIMIT_EDGE: Final = "edge"  # the next unit would earn less than min_profit_bps at the margin
LIMIT_DEPTH: Final = "depth"  # the books ran out of levels
LIMIT_NOTIONAL: Final = "max_notional"  # the pair's size cap


class BookRejectedError(ArbkitError, ValueError):
    """An input book cannot be evaluated (crossed or empty side); the message names exchange and symbol."""


class Opportunity(msgspec.Struct, frozen=True, gc=False):
    """The profit-maximising size at the hurdle for one ordered venue pair, and what it earns.

    ``buy_worst_price`` / ``sell_worst_price``: the last ask / bid level the size touches, the limit prices of
    the marketable IOC orders that take it. ``max_quantity``: the largest size whose average edge clears the
    hurdle (how much the books could absorb), at least ``quantity``.
    """

    pair_id: str
    symbol: Symbol
    buy_exchange: str
    sell_exchange: str
    quantity: float
    buy_vwap: float
    sell_vwap: float
    notional: float  # quantity * buy_vwap, before fees
    profit_quote: float  # after both taker fees
    edge_bps: float  # profit / notional at this size
    top_edge_bps: float  # best bid vs best ask, fees included
    buy_levels: int
    sell_levels: int
    buy_fee: float
    sell_fee: float
    timestamp_ms: int
    top_raw_edge_bps: float = 0.0  # best bid vs best ask, before fees
    limited_by: str = LIMIT_EDGE  # what stopped the size: LIMIT_EDGE, LIMIT_DEPTH or LIMIT_NOTIONAL
    max_quantity: float = 0.0  # largest grid size with G >= 0 (average edge at the hurdle) within depth and cap
    buy_worst_price: float = 0.0  # highest ask touched: the buy IOC limit price
    sell_worst_price: float = 0.0  # lowest bid touched: the sell IOC limit price

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.pair_id, self.buy_exchange, self.sell_exchange)

    def __repr__(self) -> str:
        return (
            f"Opportunity({self.pair_id} buy {self.buy_exchange} @ {self.buy_vwap:.8g} sell {self.sell_exchange} "
            f"@ {self.sell_vwap:.8g} qty={self.quantity:.8g} edge={self.edge_bps:.2f}bps "
            f"profit={self.profit_quote:.6g})"
        )

    def _repr_html_(self) -> str:
        from arbkit.research.html import opportunity_html

        return opportunity_html(self)
