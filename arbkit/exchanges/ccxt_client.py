"""Build a configured ccxt.pro instance from (ExchangeSpec, ExchangeConfig): options, credentials, URL rewriting.

The same instance serves REST (ccxt.pro classes extend ccxt.async_support) and websockets.
"""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import urlsplit

import ccxt.pro

from arbkit.config import ExchangeConfig
from arbkit.errors import ConfigurationError
from arbkit.exchanges.spec import ExchangeSpec, UrlSource
from arbkit.masking import protected_logger

_LOOPBACK = ("127.", "localhost", "[::1]", "::1")


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host.startswith(_LOOPBACK) or host == "localhost"


def build_client(spec: ExchangeSpec, config: ExchangeConfig, private: bool = False) -> Any:
    """A ccxt.pro exchange pointed at the config's URLs; credentials only when ``private``."""
    cls = spec.pro_class or getattr(ccxt.pro, spec.ccxt_id, None)
    if cls is None:
        raise ConfigurationError(f"exchanges.{config.name}: ccxt.pro has no exchange {spec.ccxt_id!r}")
    rest_url = config.rest_url.rstrip("/")
    local = is_loopback(rest_url)
    params: dict[str, Any] = {
        "options": copy.deepcopy(spec.options),
        "timeout": int(config.request_timeout * 1000),
        # ccxt's limiter protects real accounts; a loopback venue has no limits to respect unless asked.
        "enableRateLimit": config.rate_limit_per_second is not None or not local,
        "logger": protected_logger(f"arbkit.ccxt.{config.name}", [config.api_key, config.secret_key]),
    }
    if config.rate_limit_per_second:
        params["rateLimit"] = 1000.0 / config.rate_limit_per_second
    if config.custom_headers:
        params["headers"] = dict(config.custom_headers)
    if private:
        config.require_credentials()
        params["apiKey"] = config.api_key
        params["secret"] = config.secret_key
        for extra in ("password", "uid"):
            if config.settings.get(extra):
                params[extra] = str(config.settings[extra])
    client = cls(params)
    for feature in spec.has_off:
        client.has[feature] = False
    if local:
        client.timeout_on_exit = 0
    rewrite_urls(client, spec, config)
    return client


def _confine(api: dict[str, Any], routed: set[str], rest: str, path: str = "") -> None:
    """On a loopback venue, point every URL no route covers at the venue too: nothing may leave the machine."""
    parts = urlsplit(rest)
    for key, value in api.items():
        where = f"{path}.{key}" if path else key
        if isinstance(value, dict):
            _confine(value, routed, rest, where)
        elif isinstance(value, str) and where not in routed and not is_loopback(value):
            original = urlsplit(value)
            scheme = "ws" if original.scheme in ("ws", "wss") else parts.scheme
            api[key] = f"{scheme}://{parts.netloc}{parts.path}{original.path}"


def rewrite_urls(client: Any, spec: ExchangeSpec, config: ExchangeConfig) -> None:
    """Point ccxt's URL keys at the configured URLs (real exchange, testnet or local venue)."""
    sources = {
        UrlSource.REST: config.rest_url.rstrip("/"),
        UrlSource.WS: config.websocket_url,
        UrlSource.PRIVATE_WS: config.settings.get("private_websocket_url")
        or (None if is_loopback(config.rest_url) else spec.default_private_ws),
    }
    api = client.urls["api"]
    routed: set[str] = set()
    for route in spec.urls:
        base = sources[route.source]
        if not base:
            continue
        url = base + route.suffix
        *parents, leaf = route.key.split(".")
        node = api
        for part in parents:
            node = node.setdefault(part, {})
        if leaf == "*":
            for key in list(node):
                if isinstance(node[key], str):
                    node[key] = url
                    routed.add(".".join([*parents, key]))
        else:
            node[leaf] = url
            routed.add(route.key)
    if is_loopback(sources[UrlSource.REST]):
        _confine(api, routed, sources[UrlSource.REST])
    # set_sandbox_mode() would swap urls['test'] in: never let it point at a host the user did not configure.
    client.urls["test"] = copy.deepcopy(client.urls["api"])
