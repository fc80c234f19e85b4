"""One ``exchanges.<name>`` entry of config.yaml, checked key by key: every numeric setting has a range, URLs and
headers are well formed, unknown keys are errors, and documented keys arbkit does not use are reported."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from arbkit.config import CCXT_CREDENTIALS, ExchangeConfig, WebsocketConfig
from arbkit.config_checks import Range, check_bool, check_mapping, check_number, check_str, kind, short
from arbkit.errors import ConfigurationError
from arbkit.structs import ExchangeEnum

# Every numeric setting and its range: finite, and positive where zero makes no sense.
RANGES: dict[str, Range] = {
    "rate_limit_per_second": Range(0.01, 10_000.0),
    "request_timeout": Range(0.1, 300.0),
    "max_retries": Range(0, 10, integer=True),
    "connection_pool_size": Range(1, 1000, integer=True),
}
WS_RANGES: dict[str, Range] = {
    "heartbeat_interval": Range(1.0, 300.0),
    "reconnect_attempts": Range(0, 1_000_000, integer=True),
    "reconnect_backoff_initial": Range(0.01, 60.0),
    "reconnect_backoff_max": Range(0.01, 3600.0),
    "stall_timeout": Range(0.1, 3600.0),
    "book_depth": Range(1, 1000, integer=True),
}
# Documented keys arbkit accepts and checks but does not act on, with the reason shown to the user.
NOT_USED: dict[str, str] = {
    "order_types": "orders are placed through ccxt with the types each exchange lists",
    "supports_websocket": "arbkit always streams books over websockets",
    "supports_margin": "arbkit trades spot only",
    "connection_pool_size": "ccxt keeps its own HTTP connection pool",
    "enable_http2": "ccxt's aiohttp client speaks HTTP/1.1 only",
}
_URLS = {
    "base_url": ("http", "https"),
    "testnet_base_url": ("http", "https"),
    "private_endpoint_base": ("http", "https"),
    "websocket_url": ("ws", "wss"),
    "private_websocket_url": ("ws", "wss"),
}
KNOWN = (
    "api_key",
    "secret_key",
    *_URLS,
    "use_testnet",
    "ccxt_id",
    "rate_limit_per_second",
    "request_timeout",
    "max_retries",
    "custom_headers",
    "websocket_config",
    "api_version",
    "secret_fields",
    *CCXT_CREDENTIALS,
    *NOT_USED,
)
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}\Z")
_BAD_HEADER_CHARS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_MAX_HEADERS, _MAX_HEADER_VALUE = 32, 1024


def is_credential_path(path: str) -> bool:
    """``exchanges.<name>.<credential>``: an unset ``${VAR}`` there means public-only, not an error."""
    parts = path.split(".")
    return len(parts) == 3 and parts[0] == "exchanges" and parts[2] in ("api_key", "secret_key", *CCXT_CREDENTIALS)


def exchange_entry(name: str, entry: Any, notices: list[str]) -> ExchangeConfig:
    """Decode one entry; append a notice for each documented key it sets that arbkit does not use."""
    path = f"exchanges.{name}"
    check_mapping(entry, path)
    for key in entry:
        if key not in KNOWN:
            raise ConfigurationError(f"{path}.{key}: unknown key (known: {', '.join(KNOWN)})")
    ccxt_id = check_str(entry.get("ccxt_id"), f"{path}.ccxt_id")
    enum = _exchange(name, ccxt_id, path)
    for required in ("api_key", "secret_key", "base_url"):
        if required not in entry:
            raise ConfigurationError(f"{path}.{required}: missing")
    numbers = {key: check_number(entry[key], f"{path}.{key}", RANGES[key]) for key in RANGES if key in entry}
    urls = {key: _url(entry.get(key), f"{path}.{key}", schemes) for key, schemes in _URLS.items()}
    if not urls["base_url"]:
        raise ConfigurationError(f"{path}.base_url: missing (empty)")
    secret_fields = _secret_fields(entry.get("secret_fields"), f"{path}.secret_fields")
    settings: dict[str, Any] = {}
    if urls["private_websocket_url"]:
        settings["private_websocket_url"] = urls["private_websocket_url"]
    for key in CCXT_CREDENTIALS:
        value = check_str(entry.get(key), f"{path}.{key}", secret=True)
        if value:
            settings[key] = value
    _not_used(entry, path, notices)
    return ExchangeConfig(
        name=name,
        exchange_enum=enum,
        base_url=urls["base_url"],
        websocket_url=urls["websocket_url"],
        api_key=check_str(entry.get("api_key"), f"{path}.api_key", secret=True),
        secret_key=check_str(entry.get("secret_key"), f"{path}.secret_key", secret=True),
        testnet_base_url=urls["testnet_base_url"],
        use_testnet=check_bool(entry.get("use_testnet", False), f"{path}.use_testnet"),
        ccxt_id=ccxt_id,
        rate_limit_per_second=numbers.get("rate_limit_per_second"),
        request_timeout=numbers.get("request_timeout", 10.0),
        max_retries=int(numbers.get("max_retries", 3)),
        custom_headers=_headers(entry.get("custom_headers"), f"{path}.custom_headers"),
        websocket_config=_websocket(entry.get("websocket_config"), f"{path}.websocket_config"),
        api_version=_version(entry.get("api_version"), f"{path}.api_version"),
        private_endpoint_base=urls["private_endpoint_base"],
        secret_fields=secret_fields,
        settings=settings,
    )


def _exchange(name: str, ccxt_id: str | None, path: str) -> ExchangeEnum | None:
    if ccxt_id is None:
        try:
            return ExchangeEnum.parse(name)
        except ValueError:
            known = ", ".join(e.value for e in ExchangeEnum)
            raise ConfigurationError(
                f"{path}: unknown exchange (known: {known}; add ccxt_id to use any other ccxt exchange)"
            ) from None
    import ccxt

    if ccxt_id not in ccxt.exchanges:
        raise ConfigurationError(f"{path}.ccxt_id: {short(ccxt_id)} is not a ccxt exchange id")
    return None


def _url(value: Any, path: str, schemes: tuple[str, ...]) -> str | None:
    """A URL with one of ``schemes`` and a host; the exchange module later maps its path to ccxt's keys."""
    text = check_str(value, path)
    if text is None:
        return None
    expected = " or ".join(f"{s}://" for s in schemes)
    if any(c.isspace() or ord(c) < 0x20 for c in text):
        raise ConfigurationError(f"{path}: expected a URL starting {expected}, got {short(text)} (it has whitespace)")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError as exc:
        raise ConfigurationError(f"{path}: not a usable URL {short(text)} ({exc})") from None
    if parts.scheme.lower() not in schemes or not parts.hostname:
        raise ConfigurationError(f"{path}: expected a URL starting {expected} with a host, got {short(text)}")
    return text


def _headers(value: Any, path: str) -> dict[str, str]:
    """Header names are HTTP tokens; values one line of printable text (CR/LF would split the request)."""
    if value is None:
        return {}
    check_mapping(value, path, "a mapping of header names to values")
    if len(value) > _MAX_HEADERS:
        raise ConfigurationError(f"{path}: {len(value)} headers is too many (at most {_MAX_HEADERS})")
    headers: dict[str, str] = {}
    for name, raw in value.items():
        if not isinstance(name, str) or not _TOKEN.match(name):
            raise ConfigurationError(f"{path}: {short(name)} is not a valid header name (letters, digits, -, _)")
        where = f"{path}.{name}"
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            raise ConfigurationError(f"{where}: expected a header value (text), got {kind(raw)}")
        text = str(raw)
        if _BAD_HEADER_CHARS.search(text):
            raise ConfigurationError(f"{where}: a header value must be one line without control characters")
        if len(text) > _MAX_HEADER_VALUE:
            raise ConfigurationError(f"{where}: {len(text)} characters is too long (at most {_MAX_HEADER_VALUE})")
        headers[name] = text
    return headers


def _websocket(value: Any, path: str) -> WebsocketConfig:
    if value is None:
        return WebsocketConfig()
    check_mapping(value, path)
    for key in value:
        if key not in WS_RANGES:
            raise ConfigurationError(f"{path}.{key}: unknown key (known: {', '.join(WS_RANGES)})")
    kwargs = {key: check_number(v, f"{path}.{key}", WS_RANGES[key]) for key, v in value.items()}
    ws = WebsocketConfig(**kwargs)
    if ws.reconnect_backoff_max < ws.reconnect_backoff_initial:
        raise ConfigurationError(
            f"{path}.reconnect_backoff_max: {ws.reconnect_backoff_max:g} is below reconnect_backoff_initial "
            f"({ws.reconnect_backoff_initial:g})"
        )
    return ws


def _version(value: Any, path: str) -> str | None:
    """``v4``, ``4`` or ``0`` (Kraken): YAML reads a bare number as a number."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = f"{value:g}"
    return check_str(value, path)


def _secret_fields(value: Any, path: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigurationError(f"{path}: expected a list of key or header names, got {kind(value)}")
    return tuple(value)


def _not_used(entry: dict[str, Any], path: str, notices: list[str]) -> None:
    """Check each documented-but-unused key's type, then report it once."""
    for key, reason in NOT_USED.items():
        if key not in entry:
            continue
        value = entry[key]
        if key == "order_types":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigurationError(f"{path}.order_types: expected a list of order type names, got {kind(value)}")
        elif key in RANGES:
            check_number(value, f"{path}.{key}", RANGES[key])
        else:
            check_bool(value, f"{path}.{key}")
        notices.append(f"{path}.{key}: not used by arbkit ({reason}); it has no effect")
