"""Check an order against a market's precision and limits before it is sent, with a one-line error.

ccxt would silently truncate an off-step amount; arbkit refuses it instead so nothing is lost or changed unseen.
"""

from __future__ import annotations

from arbkit.errors import InvalidOrderError
from arbkit.structs import Side, SymbolInfo


def _on_grid(value: float, step: float) -> bool:
    if step <= 0:
        return True
    ratio = value / step
    return abs(ratio - round(ratio)) <= 1e-6 * max(1.0, abs(ratio))


def check_order(info: SymbolInfo, side: Side, quantity: float, price: float | None) -> None:
    where = f"{info.symbol} {side}"

    def fail(problem: str) -> None:
        raise InvalidOrderError(None, f"{where}: {problem}", exchange=info.exchange)

    if not quantity or quantity <= 0:
        fail(f"quantity must be positive, got {quantity}")
    if price is not None and price <= 0:
        fail(f"price must be positive, got {price}")
    if not _on_grid(quantity, info.step_size):
        fail(f"quantity {quantity} is not a multiple of the step size {info.step_size}")
    if price is not None and not _on_grid(price, info.tick_size):
        fail(f"price {price} is not a multiple of the tick size {info.tick_size}")
    if quantity < info.min_quantity:
        fail(f"quantity {quantity} is below the minimum {info.min_quantity}")
    if price is not None and info.min_notional and quantity * price < info.min_notional:
        fail(f"notional {quantity * price:.8g} is below the minimum {info.min_notional}")
