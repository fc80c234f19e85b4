"""Translate ccxt's exceptions into arbkit's: one line, the exchange and the operation named, secrets masked."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

import ccxt

from arbkit import errors
from arbkit.masking import redact

T = TypeVar("T")

# Most specific first: ccxt's hierarchy has InsufficientFunds and OrderNotFound under InvalidOrder/ExchangeError.
_MAP: tuple[tuple[type[Exception], type[errors.BaseExchangeError]], ...] = (
    (ccxt.AuthenticationError, errors.AuthenticationError),
    (ccxt.PermissionDenied, errors.AuthenticationError),
    (ccxt.InsufficientFunds, errors.InsufficientFundsError),
    (ccxt.OrderNotFound, errors.OrderNotFoundError),
    (ccxt.InvalidOrder, errors.InvalidOrderError),
    (ccxt.BadSymbol, errors.UnknownSymbolError),
    (ccxt.RateLimitExceeded, errors.RateLimitError),
    (ccxt.DDoSProtection, errors.RateLimitError),
    (ccxt.ChecksumError, errors.BookSyncError),
    (ccxt.InvalidNonce, errors.AuthenticationError),
    (ccxt.NetworkError, errors.ExchangeNetworkError),
    (ccxt.NotSupported, errors.NotSupportedError),
    (ccxt.BadRequest, errors.InvalidOrderError),
)


def translate(exc: Exception, exchange: str, action: str, secrets: list[str | None] | None = None) -> Exception:
    """The arbkit error for a ccxt error (other exceptions are returned unchanged)."""
    if isinstance(exc, errors.ArbkitError) or not isinstance(exc, ccxt.BaseError):
        return exc
    target = next((arb for cc, arb in _MAP if isinstance(exc, cc)), errors.BaseExchangeError)
    detail = " ".join(str(exc).split())
    if detail.startswith(exchange) or detail.split(" ", 1)[0] in ("binance", "gate", "mexc", "kraken"):
        detail = detail.split(" ", 1)[1] if " " in detail else detail
    if len(detail) > 300:
        detail = detail[:297] + "..."
    detail = redact(detail, secrets or [])
    return target(None, f"{action} failed: {type(exc).__name__}: {detail}", exchange=exchange)


async def guarded(call: Awaitable[T], exchange: str, action: str, secrets: list[str | None] | None = None) -> T:
    """Await a ccxt call, raising arbkit errors instead of ccxt's."""
    try:
        return await call
    except ccxt.BaseError as exc:
        raise translate(exc, exchange, action, secrets) from None
