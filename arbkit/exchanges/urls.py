"""From the URLs a user configures to the bases ccxt's URL keys are built from.

Each exchange documents its URLs with or without the API version (Gate.io ``https://api.gateio.ws/api/v4``,
Kraken ``wss://ws.kraken.com`` for websockets); the spec's ``url_forms`` say which paths are accepted and what
ccxt needs instead, and a URL no form covers is refused with one line naming the form to use. Loopback URLs
(the local venue) are taken as they are.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from arbkit.config import ExchangeConfig
from arbkit.errors import ConfigurationError
from arbkit.exchanges.spec import ExchangeSpec, UrlSource

log = logging.getLogger(__name__)
_LOOPBACK = ("127.", "localhost", "[::1]", "::1")
_reported: set[tuple[str, str]] = set()


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host.startswith(_LOOPBACK) or host == "localhost"


def map_url(spec: ExchangeSpec, source: UrlSource, url: str, key_path: str) -> str:
    """The base for ``source``'s routes: a documented form of a real URL mapped to what ccxt needs."""
    if is_loopback(url):
        return url.rstrip("/") if source in (UrlSource.REST, UrlSource.PRIVATE_REST) else url
    form = spec.url_forms.get(UrlSource.REST if source is UrlSource.PRIVATE_REST else source)
    if form is None:
        return url.rstrip("/") if source in (UrlSource.REST, UrlSource.PRIVATE_REST) else url
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    if parts.query or parts.fragment or path not in {a.rstrip("/") for a in form.accepted}:
        raise ConfigurationError(f"{key_path}: {url!r} cannot work with {spec.name}; use {form.example}")
    return f"{parts.scheme}://{parts.netloc}{form.use}"


def configured_sources(spec: ExchangeSpec, config: ExchangeConfig) -> dict[UrlSource, str | None]:
    """Every route source's base URL. Against a loopback venue nothing may point elsewhere, so a real private URL
    left in the entry is dropped (the uncovered keys are then confined to the venue)."""
    path = f"exchanges.{config.name}"
    rest_key = "testnet_base_url" if config.use_testnet else "base_url"
    rest = map_url(spec, UrlSource.REST, config.rest_url, f"{path}.{rest_key}")
    local = is_loopback(rest)
    private_rest = rest
    if config.private_endpoint_base and not local:
        where = f"{path}.private_endpoint_base"
        private_rest = map_url(spec, UrlSource.PRIVATE_REST, config.private_endpoint_base, where)
    ws = config.websocket_url
    if ws:
        ws = map_url(spec, UrlSource.WS, ws, f"{path}.websocket_url")
    private_ws = config.settings.get("private_websocket_url") or (None if local else spec.default_private_ws)
    if private_ws and local and not is_loopback(private_ws):
        private_ws = None
    if private_ws:
        private_ws = map_url(spec, UrlSource.PRIVATE_WS, private_ws, f"{path}.private_websocket_url")
    return {
        UrlSource.REST: rest,
        UrlSource.PRIVATE_REST: private_rest,
        UrlSource.WS: ws,
        UrlSource.PRIVATE_WS: private_ws,
    }


def _not_used(config: ExchangeConfig, key: str, reason: str) -> None:
    if (config.name, key) not in _reported:
        _reported.add((config.name, key))
        log.warning("exchanges.%s.%s: not used by arbkit (%s); it has no effect", config.name, key, reason)


def check_spec_settings(spec: ExchangeSpec, config: ExchangeConfig) -> None:
    """``api_version`` must be the one ccxt speaks for a dedicated module; settings this spec cannot apply (the
    generic fallback's) are reported once as not used."""
    if config.private_endpoint_base and not any(r.source is UrlSource.PRIVATE_REST for r in spec.urls):
        _not_used(config, "private_endpoint_base", "the generic ccxt fallback routes every URL from base_url")
    if not config.api_version:
        return
    wanted = config.api_version.strip().lower().lstrip("v")
    if spec.api_version is None:
        _not_used(config, "api_version", "the generic ccxt fallback uses ccxt's own API version")
        return
    if wanted != spec.api_version.lower().lstrip("v"):
        raise ConfigurationError(
            f"exchanges.{config.name}.api_version: arbkit speaks {spec.name} API {spec.api_version} (ccxt's), "
            f"not {config.api_version!r}; set {spec.api_version} or leave it out"
        )
