"""ExchangeSpec: the declarative description of one exchange for ccxt (id, options, URL keys and forms, quirks)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import msgspec

from arbkit.structs import ExchangeEnum


class UrlSource(StrEnum):
    """Which configured URL a ccxt URL key is built from."""

    REST = "rest"
    PRIVATE_REST = "private_rest"  # ``private_endpoint_base`` when set, else the REST URL
    WS = "ws"
    PRIVATE_WS = "private_ws"


class UrlRoute(msgspec.Struct, frozen=True):
    """``urls['api'][...key...] = <configured source URL> + suffix``; a key ending in ``.*`` covers every sibling."""

    key: str
    source: UrlSource
    suffix: str = ""


class UrlForm(msgspec.Struct, frozen=True):
    """The paths an exchange documents for one configured URL (``accepted``, compared without a trailing slash) and
    the one ccxt needs in their place (``use``); ``example`` is what an error tells the user to write."""

    use: str
    accepted: tuple[str, ...]
    example: str


class ExchangeSpec(msgspec.Struct, frozen=True, kw_only=True):
    """Everything arbkit needs to know about an exchange beyond what ccxt already knows."""

    name: str
    ccxt_id: str
    exchange: ExchangeEnum | None = None
    urls: tuple[UrlRoute, ...] = ()
    # How a configured real URL maps onto what the routes expect (loopback venue URLs are used as they are).
    url_forms: dict[UrlSource, UrlForm] = msgspec.field(default_factory=dict)
    # The exchange API version ccxt speaks for it (``api_version`` in the config must agree); None = not checked.
    api_version: str | None = None
    options: dict[str, Any] = msgspec.field(default_factory=dict)
    has_off: tuple[str, ...] = ("fetchCurrencies",)
    # A ccxt.pro subclass that adds what ccxt leaves to the caller (a gap or checksum check); None = ccxt's own class.
    pro_class: type | None = None
    # Depth asked of watch_order_book (None = the exchange's default).
    ws_book_limit: int | None = None
    # Fees used when the exchange cannot tell them (public only): (maker, taker).
    default_fees: tuple[float, float] = (0.001, 0.001)
    # Real default private websocket URL, used when the config does not set private_websocket_url.
    default_private_ws: str | None = None
