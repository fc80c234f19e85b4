"""Helpers shared by the REST protocols that sign an HMAC-SHA256 hex digest over the raw query (binance, mexc).

Both answer errors as ``{"code": .., "msg": ..}``: a handler raises :class:`Reject` (or the engine's
``VenueError``, which the protocol maps to a ``Reject``) and :func:`endpoint` renders it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from arbkit.venue.clock import venue_ms
from arbkit.venue.engine import VenueError
from arbkit.venue.instruments import Instrument

__all__ = [
    "Authenticate",
    "Handler",
    "Reject",
    "SymbolNames",
    "endpoint",
    "fmt",
    "in_recv_window",
    "int_param",
    "ms",
    "no_auth",
    "optional_number",
    "sign",
    "signature_ok",
]

_DECIMAL = re.compile(r"^[0-9]{1,20}(\.[0-9]{1,20})?$")
_INTEGER = re.compile(r"^[0-9]{1,20}$")

# (params, api key) -> JSON-able answer (or an awaitable of one); the api key is "" on public endpoints
Handler = Callable[[dict[str, str], str], Any]
# request -> (params, api key); raises Reject when the request may not pass
Authenticate = Callable[[web.Request], Awaitable[tuple[dict[str, str], str]]]


class Reject(Exception):
    """An answer in the exchange's error shape ``{"code": .., "msg": ..}`` with an HTTP status."""

    def __init__(self, code: int, msg: str, status: int = 400) -> None:
        super().__init__(msg)
        self.code, self.msg, self.status = code, msg, status


def ms() -> int:
    """Now on the serving exchange's clock, in epoch milliseconds."""
    return venue_ms()


def fmt(value: float | None, decimals: int = 8) -> str:
    """A number as the fixed-point string these exchanges send (None as zero)."""
    return f"{(value or 0.0):.{decimals}f}"


def sign(secret: str, payload: str) -> str:
    """HMAC-SHA256 of ``payload`` keyed by ``secret``, as lowercase hex."""
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def signature_ok(secret: str, payload: str, signature: str) -> bool:
    """Whether ``signature`` is the hex HMAC-SHA256 of ``payload`` (constant-time compare)."""
    return hmac.compare_digest(sign(secret, payload), signature)


def in_recv_window(params: Mapping[str, str], default_window: int = 5000) -> bool:
    """Whether ``timestamp`` lies in ``recvWindow`` ms before now (1 s of clock skew allowed).

    Raises KeyError or ValueError when ``timestamp`` is missing or either value is not an integer.
    """
    ts, window = int(params["timestamp"]), int(params.get("recvWindow", default_window))
    now = ms()
    return not (ts > now + 1000 or now - ts > window)


def optional_number(params: Mapping[str, str], key: str, invalid: Callable[[str], Reject]) -> float | None:
    """``params[key]`` as a float, None when absent or empty; ``invalid(key)`` is raised unless it is a plain
    decimal as these exchanges require (``_DECIMAL``: no sign, exponent, NaN or infinity)."""
    raw = params.get(key)
    if not raw:
        return None
    if not _DECIMAL.match(raw):
        raise invalid(key)
    return float(raw)


def int_param(params: Mapping[str, str], key: str, default: int | None, invalid: Callable[[str], Reject]) -> int | None:
    """``params[key]`` as a non-negative integer of at most 20 digits, ``default`` when absent; ``invalid(key)``
    otherwise (an order id or a limit that is not a number never reaches ``int()``)."""
    raw = params.get(key)
    if raw is None:
        return default
    if not _INTEGER.match(raw):
        raise invalid(key)
    return int(raw)


class SymbolNames:
    """Wire (``BTCUSDT``) <-> unified (``BTC/USDT``) names of an exchange's instruments."""

    def __init__(self, instruments: Mapping[str, Instrument]) -> None:
        self.instruments = instruments
        self.wire = {sym: inst.base + inst.quote for sym, inst in instruments.items()}
        self.unified = {w: s for s, w in self.wire.items()}

    def find(self, wire: str) -> Instrument | None:
        """The instrument of a wire symbol (any case), or None when it is not listed."""
        symbol = self.unified.get(wire.upper())
        return None if symbol is None else self.instruments[symbol]


async def no_auth(request: web.Request) -> tuple[dict[str, str], str]:
    """Public endpoints: the query as params, no api key."""
    return dict(request.query), ""


def endpoint(
    handler: Handler,
    authenticate: Authenticate,
    to_reject: Callable[[VenueError, web.Request], Reject],
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """An aiohttp handler: authenticate, run ``handler``, answer JSON; Reject/VenueError become error answers."""

    async def run(request: web.Request) -> web.Response:
        try:
            params, api_key = await authenticate(request)
            answer = handler(params, api_key)
            return web.json_response(await answer if isinstance(answer, Awaitable) else answer)
        except (Reject, VenueError) as exc:
            reject = to_reject(exc, request) if isinstance(exc, VenueError) else exc
            return web.json_response({"code": reject.code, "msg": reject.msg}, status=reject.status)

    return run
