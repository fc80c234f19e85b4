"""arbkit's exceptions: one-line messages that name the exchange, symbol or config key at fault."""

from __future__ import annotations


class ArbkitError(Exception):
    """Base of every error arbkit raises on purpose."""


class ConfigurationError(ArbkitError):
    """Bad configuration: the message is ``<key path>: <problem>`` on one line."""


class BaseExchangeError(ArbkitError):
    """An exchange refused or failed a request. ``status`` is an HTTP-like code, ``exchange`` the venue name."""

    default_status = 500

    def __init__(self, status: int | None, message: str, exchange: str | None = None) -> None:
        self.status = self.default_status if status is None else status
        self.message = message
        self.exchange = exchange
        prefix = f"{exchange}: " if exchange else ""
        super().__init__(f"{prefix}{message}")


class ExchangeNetworkError(BaseExchangeError):
    default_status = 503


class AuthenticationError(BaseExchangeError):
    default_status = 401


class InsufficientFundsError(BaseExchangeError):
    default_status = 400


class InvalidOrderError(BaseExchangeError):
    default_status = 400


class OrderNotFoundError(BaseExchangeError):
    default_status = 404


class RateLimitError(BaseExchangeError):
    default_status = 429


class NotSupportedError(BaseExchangeError):
    """The exchange has no such feature (e.g. Gate.io has no validate-only order path)."""

    default_status = 501


class BookSyncError(BaseExchangeError):
    """A live book lost sync (gap, checksum mismatch, stall); it is being resynced."""

    default_status = 409


class UnknownSymbolError(BaseExchangeError):
    default_status = 404


class PublicOnlyError(ArbkitError):
    """A private component was asked for an exchange that has no credentials configured."""
