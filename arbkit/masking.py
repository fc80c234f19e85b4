"""Secrets are shown only as a masked preview such as ``abc1...xyz9``."""

from __future__ import annotations

import logging
import re


def mask(secret: str | None) -> str:
    """Return a preview that never reveals more than 4+4 characters, and nothing of short secrets."""
    if not secret:
        return "<unset>"
    if len(secret) < 12:
        return "***"
    return f"{secret[:4]}...{secret[-4:]}"


def redact(text: str, secrets: list[str | None]) -> str:
    """Replace every occurrence of each secret in ``text`` by its masked preview."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = re.sub(re.escape(secret), mask(secret), text)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that masks every registered secret in a record's final message."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            cleaned = redact(message, list(self.secrets))
            if cleaned != message:
                record.msg, record.args = cleaned, None
        return True


def protected_logger(name: str, secrets: list[str | None]) -> logging.Logger:
    """A logger whose records never carry the given secrets (ccxt logs request headers at DEBUG)."""
    logger = logging.getLogger(name)
    existing = next((f for f in logger.filters if isinstance(f, RedactingFilter)), None)
    if existing is None:
        existing = RedactingFilter()
        logger.addFilter(existing)
    existing.secrets.update(s for s in secrets if s and len(s) >= 4)
    return logger
