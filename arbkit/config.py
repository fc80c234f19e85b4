"""Configuration: ``config.yaml`` plus the ``.env`` beside it, decoded into typed msgspec Structs.

Every problem raises :class:`ConfigurationError` with the key path and the problem on one line.
Secrets never appear in a repr, a rich pretty-print or an error: they are shown masked (``abc1...xyz9``).
The core keeps each top-level section other than ``exchanges`` raw in ``config.sections``; the layer that uses a
section parses it (``arbitrage:`` by ``arbkit.arbitrage.config``), so nothing here reaches up into those layers.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import msgspec
from dotenv import dotenv_values

from arbkit.config_checks import Range, check_keys, check_mapping, check_number, kind
from arbkit.config_yaml import decode, expand, load_yaml
from arbkit.errors import ConfigurationError, PublicOnlyError
from arbkit.masking import mask
from arbkit.structs import ExchangeEnum, Symbol

__all__ = [
    "ArbkitConfig",
    "ConfigurationError",
    "ExchangeConfig",
    "WebsocketConfig",
    "load_config",
    "parse_config",
]

log = logging.getLogger(__name__)

# Extra credentials ccxt accepts besides apiKey/secret; each is a secret and passed to ccxt only for private use.
CCXT_CREDENTIALS = ("password", "uid", "login", "twofa", "privateKey", "walletAddress", "token")


class WebsocketConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """How live streams are kept healthy: heartbeats, reconnect backoff, stall detection, depth kept."""

    heartbeat_interval: float | None = None  # seconds between pings; None keeps ccxt's own for the exchange
    reconnect_attempts: int = 0  # 0 means retry forever
    reconnect_backoff_initial: float = 0.25
    reconnect_backoff_max: float = 30.0
    stall_timeout: float = 10.0
    book_depth: int = 20


class ExchangeConfig(msgspec.Struct, frozen=True, kw_only=True):
    """One exchange entry of ``config.yaml``; can also be built directly in code."""

    name: str
    base_url: str
    exchange_enum: ExchangeEnum | None = None
    websocket_url: str | None = None
    api_key: str | None = None
    secret_key: str | None = None
    testnet_base_url: str | None = None
    use_testnet: bool = False
    ccxt_id: str | None = None
    rate_limit_per_second: float | None = None
    request_timeout: float = 10.0
    max_retries: int = 3
    custom_headers: dict[str, str] = msgspec.field(default_factory=dict)
    websocket_config: WebsocketConfig = msgspec.field(default_factory=WebsocketConfig)
    api_version: str | None = None
    private_endpoint_base: str | None = None
    # Names of further keys (in ``settings`` or ``custom_headers``) whose values are secrets to mask.
    secret_fields: tuple[str, ...] = ()
    settings: dict[str, Any] = msgspec.field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.exchange_enum is None and self.ccxt_id is None:
            try:
                msgspec.structs.force_setattr(self, "exchange_enum", ExchangeEnum.parse(self.name))
            except ValueError:
                pass
        if self.api_key == "":
            msgspec.structs.force_setattr(self, "api_key", None)
        if self.secret_key == "":
            msgspec.structs.force_setattr(self, "secret_key", None)

    @property
    def has_credentials(self) -> bool:
        return bool(self.api_key and self.secret_key)

    @property
    def rest_url(self) -> str:
        """The REST base URL in use: the testnet one when ``use_testnet`` is set."""
        if self.use_testnet:
            if not self.testnet_base_url:
                raise ConfigurationError(f"exchanges.{self.name}.testnet_base_url: missing (use_testnet is set)")
            return self.testnet_base_url
        return self.base_url

    def secret_names(self) -> set[str]:
        """Every key of this entry whose value is a secret."""
        return {"api_key", "secret_key", *CCXT_CREDENTIALS, *self.secret_fields}

    def secrets(self) -> list[str]:
        """Every secret value this entry holds (for log redaction)."""
        names = self.secret_names()
        found = [self.api_key, self.secret_key]
        found += [str(v) for k, v in self.settings.items() if k in names and v]
        found += [v for k, v in self.custom_headers.items() if k in names and v]
        return [s for s in found if s]

    def credential_variables(self) -> tuple[str, str]:
        """The .env variable names a user sets to give this exchange credentials."""
        prefix = self.name.upper()
        return f"{prefix}_API_KEY", f"{prefix}_SECRET_KEY"

    def require_credentials(self) -> None:
        if not self.has_credentials:
            key, secret = self.credential_variables()
            raise PublicOnlyError(
                f"exchanges.{self.name}: no credentials, so it runs public-only; "
                f"set {key} and {secret} in .env (or the environment) for private access"
            )

    def masked_fields(self) -> Iterator[tuple[str, Any]]:
        """Every field with secrets masked: what a repr, a log line or a rich pretty-print may show."""
        names = self.secret_names()
        for field in self.__struct_fields__:
            value = getattr(self, field)
            if field in ("api_key", "secret_key"):
                value = mask(value)
            elif field in ("settings", "custom_headers"):
                value = {k: mask(str(v)) if k in names and v else v for k, v in value.items()}
            yield field, value

    def __rich_repr__(self) -> Iterator[tuple[str, Any]]:
        yield from self.masked_fields()

    def __repr__(self) -> str:
        return (
            f"ExchangeConfig(name={self.name!r}, base_url={self.base_url!r}, "
            f"websocket_url={self.websocket_url!r}, api_key={mask(self.api_key)!r}, "
            f"secret_key={mask(self.secret_key)!r})"
        )

    __str__ = __repr__


class ArbkitConfig(msgspec.Struct, frozen=True, kw_only=True):
    """The whole loaded configuration. ``notices``: documented keys this config sets that arbkit does not use."""

    exchanges: dict[str, ExchangeConfig]
    source: str = "<memory>"
    sections: dict[str, Any] = msgspec.field(default_factory=dict)
    notices: tuple[str, ...] = ()

    def get_exchange_config(self, name: str | ExchangeEnum) -> ExchangeConfig:
        key = str(name).lower()
        try:
            return self.exchanges[key]
        except KeyError:
            known = ", ".join(self.exchanges) or "none"
            raise ConfigurationError(f"exchanges.{key}: not configured (configured: {known})") from None

    def get_exchange_credentials(self, name: str | ExchangeEnum) -> dict[str, str | None]:
        cfg = self.get_exchange_config(name)
        return {"api_key": cfg.api_key, "secret_key": cfg.secret_key}

    def with_exchanges(self, exchanges: Mapping[str, ExchangeConfig]) -> ArbkitConfig:
        """A copy whose exchange entries are replaced (e.g. rewritten onto the local venue)."""
        return msgspec.structs.replace(self, exchanges=dict(exchanges))

    def __rich_repr__(self) -> Iterator[tuple[str, Any]]:
        yield "source", self.source
        yield "exchanges", self.exchanges
        yield "sections", list(self.sections)

    def __repr__(self) -> str:
        return f"ArbkitConfig(source={self.source!r}, exchanges={list(self.exchanges)})"


# --------------------------------------------------------------------------- loading

# Top-level sections: ``exchanges`` is parsed here; the others are kept raw for the layer that owns them.
SECTIONS = ("exchanges", "arbitrage", "scan", "venue", "execution", "promotion", "paper")
_SCAN_KEYS = ("symbols",)
_VENUE_KEYS = ("seed", "update_interval")
VENUE_RANGES = {"seed": Range(0, 2**32 - 1, integer=True), "update_interval": Range(0.001, 60.0)}


def load_config(path: str | os.PathLike[str] = "config.yaml", env_file: str | None = None) -> ArbkitConfig:
    """Read ``path`` and the ``.env`` beside it (variables already in the environment win)."""
    file = Path(path)
    if not file.is_file():
        raise ConfigurationError(f"{file}: config file not found")
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"{file}: cannot read ({exc.strerror or exc})") from None
    text = decode(data, file.name)
    dotenv_path = Path(env_file) if env_file else file.with_name(".env")
    env: dict[str, str] = {}
    if dotenv_path.is_file():
        try:
            env.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
        except (UnicodeDecodeError, OSError):
            raise ConfigurationError(f"{dotenv_path.name}: cannot read it as UTF-8 text") from None
    env.update(os.environ)
    return parse_config(text, env=env, source=file.name)


def parse_config(text: str, env: Mapping[str, str] | None = None, source: str = "config.yaml") -> ArbkitConfig:
    """Parse YAML text; ``env`` supplies ``${VAR}`` values (default: the process environment)."""
    from arbkit.config_entry import exchange_entry, is_credential_path

    env = os.environ if env is None else env
    raw = load_yaml(text, source)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigurationError(f"{source}: expected a mapping at the top level, got {kind(raw)}")
    unknown = [str(k) for k in raw if k not in SECTIONS]
    if unknown:
        raise ConfigurationError(f"{unknown[0]}: unknown section (known: {', '.join(SECTIONS)})")
    try:
        raw = expand(raw, env, "", is_credential_path)
    except RecursionError:
        raise ConfigurationError(f"{source}: nested too deeply to be a config file") from None
    if "exchanges" not in raw:
        raise ConfigurationError("exchanges: missing (add at least one exchange entry)")
    entries = raw["exchanges"]
    if not isinstance(entries, dict):
        raise ConfigurationError(f"exchanges: expected a mapping of exchange entries, got {kind(entries)}")
    if not entries:
        raise ConfigurationError("exchanges: no exchange configured (add at least one entry)")
    exchanges: dict[str, ExchangeConfig] = {}
    notices: list[str] = []
    for name, entry in entries.items():
        key = str(name).strip().lower()
        exchanges[key] = exchange_entry(key, entry, notices)
    sections = {k: v for k, v in raw.items() if k != "exchanges"}
    _check_scan(sections.get("scan"))
    _check_venue(sections.get("venue"))
    for notice in notices:
        log.warning("%s", notice)
    return ArbkitConfig(exchanges=exchanges, source=source, sections=sections, notices=tuple(notices))


def _check_scan(value: Any) -> None:
    if value is None:
        return
    check_mapping(value, "scan")
    check_keys(value, _SCAN_KEYS, "scan")
    symbols = value.get("symbols")
    if symbols is None:
        return
    if not isinstance(symbols, list):
        raise ConfigurationError(f"scan.symbols: expected a list of symbols such as [BTC/USDT], got {kind(symbols)}")
    for index, text in enumerate(symbols):
        if not isinstance(text, str):
            raise ConfigurationError(f"scan.symbols[{index}]: expected a symbol such as BTC/USDT, got {kind(text)}")
        try:
            Symbol.parse(text)
        except ValueError as exc:
            raise ConfigurationError(f"scan.symbols[{index}]: {exc}") from None


def _check_venue(value: Any) -> None:
    if value is None:
        return
    check_mapping(value, "venue")
    check_keys(value, _VENUE_KEYS, "venue")
    for key, allowed in VENUE_RANGES.items():
        if key in value:
            check_number(value[key], f"venue.{key}", allowed)


def venue_settings(config: ArbkitConfig) -> dict[str, Any]:
    """The ``venue:`` section's values, typed (``seed``, ``update_interval``), for whoever starts a local venue."""
    raw = config.sections.get("venue") or {}
    return {k: check_number(v, f"venue.{k}", VENUE_RANGES[k]) for k, v in raw.items() if k in VENUE_RANGES}
