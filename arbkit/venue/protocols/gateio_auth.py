"""Gate.io v4 signing: the SIGN of a REST call and of a private websocket subscribe, and the clock-skew check
both apply to their timestamps (computed exactly as Gate does, so ccxt's own signatures verify)."""

from __future__ import annotations

import hashlib
import hmac

from arbkit.venue.clock import venue_time

__all__ = ["MAX_CLOCK_SKEW_S", "is_fresh", "rest_signature", "ws_signature"]

MAX_CLOCK_SKEW_S = 60.0  # Gate refuses a Timestamp more than 60 s away from its clock


def rest_signature(secret: str, method: str, path: str, query: str, body: bytes, timestamp: str) -> str:
    """Gate v4 REST SIGN: HMAC-SHA512 hex of ``METHOD\\npath\\nquery\\nsha512hex(body)\\ntimestamp``."""
    payload = "\n".join((method.upper(), path, query, hashlib.sha512(body).hexdigest(), timestamp))
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha512).hexdigest()


def ws_signature(secret: str, channel: str, event: str, ts: int | str) -> str:
    """Gate v4 websocket subscribe SIGN: HMAC-SHA512 hex of ``channel=..&event=..&time=..``."""
    payload = f"channel={channel}&event={event}&time={ts}"
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha512).hexdigest()


def is_fresh(ts: str | int | float | None) -> bool:
    """Whether a request timestamp (seconds) is within Gate's clock skew of now."""
    try:
        return abs(venue_time() - float(ts)) <= MAX_CLOCK_SKEW_S  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
