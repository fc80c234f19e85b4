"""Build a configured ccxt.pro instance from (ExchangeSpec, ExchangeConfig): options, credentials, URL rewriting.

The same instance serves REST (ccxt.pro classes extend ccxt.async_support) and websockets.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import ssl
from typing import Any
from urllib.parse import urlsplit

import ccxt.pro

from arbkit.config import CCXT_CREDENTIALS, ExchangeConfig
from arbkit.errors import ConfigurationError
from arbkit.exchanges.spec import ExchangeSpec, UrlSource
from arbkit.exchanges.urls import check_spec_settings, configured_sources, is_loopback
from arbkit.masking import protected_logger

__all__ = ["build_client", "check_exchange_urls", "is_loopback", "rewrite_urls"]


@functools.cache
def _ssl_context(cafile: str | None) -> ssl.SSLContext:
    """One verifying TLS context per CA bundle for the whole process: ccxt builds its own per client on first use,
    which parses the CA bundle again each time (tens of ms of CPU with the event loop stopped, per exchange)."""
    return ssl.create_default_context(cafile=cafile)


async def prepare_tls() -> None:
    """Build the shared TLS context (ccxt's default CA bundle) in a worker thread, where parsing the bundle does not
    stop the event loop; ``build_client`` then finds it ready."""
    import certifi

    await asyncio.to_thread(_ssl_context, certifi.where())


@functools.cache
def _constructed_once(cls: type) -> None:
    """Construct and drop one instance of a ccxt class: ccxt's first construction of a class aliases every API method
    to its camelCase name (about 60 ms of CPU for binance); later ones take a few ms."""
    cls({"enableRateLimit": False})


async def prepare_client(spec: ExchangeSpec) -> None:
    """Run the first construction of the spec's ccxt class in a worker thread, where its cost does not stop the
    event loop; ``build_client`` then takes a few ms."""
    cls = spec.pro_class or getattr(ccxt.pro, spec.ccxt_id, None)
    if cls is not None:
        await asyncio.to_thread(_constructed_once, cls)


def build_client(spec: ExchangeSpec, config: ExchangeConfig, private: bool = False) -> Any:
    """A ccxt.pro exchange pointed at the config's URLs; credentials only when ``private``."""
    cls = spec.pro_class or getattr(ccxt.pro, spec.ccxt_id, None)
    if cls is None:
        raise ConfigurationError(f"exchanges.{config.name}: ccxt.pro has no exchange {spec.ccxt_id!r}")
    check_spec_settings(spec, config)
    sources = configured_sources(spec, config)  # raises on a URL that cannot work, before anything is built
    local = is_loopback(config.rest_url)
    options = copy.deepcopy(spec.options)
    if not private and config.max_retries:
        # Public requests are idempotent reads: ccxt retries them on network failures. Orders are never retried
        # (a retried order after a lost answer could be a duplicate).
        options["maxRetriesOnFailure"] = config.max_retries
        options["maxRetriesOnFailureDelay"] = 250
    params: dict[str, Any] = {
        "options": options,
        "timeout": int(config.request_timeout * 1000),
        # ccxt's limiter protects real accounts; a loopback venue has no limits to respect unless asked.
        "enableRateLimit": config.rate_limit_per_second is not None or not local,
        "logger": protected_logger(f"arbkit.ccxt.{config.name}", config.secrets()),
    }
    if config.rate_limit_per_second:
        params["rateLimit"] = 1000.0 / config.rate_limit_per_second
    if config.custom_headers:
        params["headers"] = dict(config.custom_headers)
    if config.websocket_config.heartbeat_interval is not None:
        params["streaming"] = {"keepAlive": int(config.websocket_config.heartbeat_interval * 1000)}
    if private:
        config.require_credentials()
        params["apiKey"] = config.api_key
        params["secret"] = config.secret_key
        for extra in CCXT_CREDENTIALS:
            if config.settings.get(extra):
                params[extra] = str(config.settings[extra])
    client = cls(params)
    if client.verify and client.ssl_context is None and not client.options.get("include_OS_certificates"):
        client.ssl_context = _ssl_context(client.cafile)
    for feature in spec.has_off:
        client.has[feature] = False
    if local:
        client.timeout_on_exit = 0
    _route(client, spec, sources)
    return client


def check_exchange_urls(config: ExchangeConfig) -> None:
    """Fail fast, before anything connects, on a URL or ``api_version`` that cannot work with this exchange."""
    from arbkit.exchanges.factory import EXCHANGE_REST_MAP
    from arbkit.exchanges.generic import generic_spec

    rest_cls = EXCHANGE_REST_MAP.get((config.exchange_enum, False))  # type: ignore[arg-type]
    spec = rest_cls.spec if rest_cls is not None else generic_spec(config) if config.ccxt_id else None
    if spec is not None:
        check_spec_settings(spec, config)
        configured_sources(spec, config)


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
    _route(client, spec, configured_sources(spec, config))


def _route(client: Any, spec: ExchangeSpec, sources: dict[UrlSource, str | None]) -> None:
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
    rest = sources[UrlSource.REST]
    if rest and is_loopback(rest):
        _confine(api, routed, rest)
    # set_sandbox_mode() would swap urls['test'] in: never let it point at a host the user did not configure.
    client.urls["test"] = copy.deepcopy(client.urls["api"])
