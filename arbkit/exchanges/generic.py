"""The fallback for any exchange ccxt supports, chosen by ``ccxt_id`` in its config entry.

What it gives: every interface through ccxt's unified API, arbkit's book health, resync and error handling.
What a dedicated module adds: exact URL keys, spot-only options that avoid hidden calls, the exchange's gap or
checksum check where ccxt lacks one, fee defaults and a local-venue protocol for offline tests.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import ccxt.pro

from arbkit.config import ExchangeConfig
from arbkit.errors import ConfigurationError
from arbkit.exchanges.components import (
    CcxtPrivateSpotRest,
    CcxtPrivateSpotWebsocket,
    CcxtPublicSpotRest,
    CcxtPublicSpotWebsocket,
)
from arbkit.exchanges.spec import ExchangeSpec, UrlRoute, UrlSource


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _walk(node: Any, path: str = ""):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, str):
        yield path, node


def generic_spec(config: ExchangeConfig) -> ExchangeSpec:
    """A spec for ``config.ccxt_id``: URLs whose host differs from the configured one are rewritten onto it."""
    ccxt_id = config.ccxt_id or ""
    cls = getattr(ccxt.pro, ccxt_id, None)
    if cls is None:
        raise ConfigurationError(f"exchanges.{config.name}.ccxt_id: ccxt.pro has no websocket exchange {ccxt_id!r}")
    instance = cls()
    hostname = str(getattr(instance, "hostname", "") or "")
    defaults = {k: v.replace("{hostname}", hostname) for k, v in _walk(instance.urls.get("api", {}))}
    routes: list[UrlRoute] = []
    rest_origin = _origin(config.rest_url)
    if rest_origin not in {_origin(u) for u in defaults.values()}:
        for key, url in defaults.items():
            if url.startswith("http"):
                routes.append(UrlRoute(key, UrlSource.REST, url[len(_origin(url)) :]))
    if config.websocket_url and config.websocket_url not in defaults.values():
        routes += [UrlRoute(k, UrlSource.WS) for k, u in defaults.items() if u.startswith("ws")]
    return ExchangeSpec(
        name=config.name,
        ccxt_id=ccxt_id,
        urls=tuple(routes),
        options={"defaultType": "spot", "fetchMarkets": {"types": ["spot"]}},
    )


def generic_components(config: ExchangeConfig, private: bool) -> tuple[type, type, ExchangeSpec]:
    spec = generic_spec(config)
    if private:
        return CcxtPrivateSpotRest, CcxtPrivateSpotWebsocket, spec
    return CcxtPublicSpotRest, CcxtPublicSpotWebsocket, spec
