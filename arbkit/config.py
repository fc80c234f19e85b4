"""Configuration: ``config.yaml`` plus the ``.env`` beside it, decoded into typed msgspec Structs.

Every problem raises :class:`ConfigurationError` with the key path and the problem on one line.
Secrets never appear in a repr or an error: they are shown masked (``abc1...xyz9``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec
import yaml
from dotenv import dotenv_values

from arbkit.errors import ConfigurationError, PublicOnlyError
from arbkit.masking import mask
from arbkit.structs import ExchangeEnum

__all__ = [
    "ArbkitConfig",
    "ConfigurationError",
    "ExchangeConfig",
    "WebsocketConfig",
    "load_config",
    "parse_config",
]


class WebsocketConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """How live streams are kept healthy: heartbeats, reconnect backoff, stall detection, depth kept."""

    heartbeat_interval: float = 20.0
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

    def __repr__(self) -> str:
        return (
            f"ExchangeConfig(name={self.name!r}, base_url={self.base_url!r}, "
            f"websocket_url={self.websocket_url!r}, api_key={mask(self.api_key)!r}, "
            f"secret_key={mask(self.secret_key)!r})"
        )

    __str__ = __repr__


class ArbkitConfig(msgspec.Struct, frozen=True, kw_only=True):
    """The whole loaded configuration."""

    exchanges: dict[str, ExchangeConfig]
    source: str = "<memory>"
    sections: dict[str, Any] = msgspec.field(default_factory=dict)

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

    def __repr__(self) -> str:
        return f"ArbkitConfig(source={self.source!r}, exchanges={list(self.exchanges)})"


# --------------------------------------------------------------------------- loading

_VAR = re.compile(r"\$\{([^}]*)\}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_TOP_LEVEL = {"exchanges", "arbitrage", "venue", "scan", "execution"}


def load_config(path: str | os.PathLike[str] = "config.yaml", env_file: str | None = None) -> ArbkitConfig:
    """Read ``path`` and the ``.env`` beside it (variables already in the environment win)."""
    file = Path(path)
    if not file.is_file():
        raise ConfigurationError(f"{file}: config file not found")
    text = file.read_text(encoding="utf-8")
    dotenv_path = Path(env_file) if env_file else file.with_name(".env")
    env: dict[str, str] = {}
    if dotenv_path.is_file():
        env.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
    env.update(os.environ)
    return parse_config(text, env=env, source=file.name)


def parse_config(text: str, env: Mapping[str, str] | None = None, source: str = "config.yaml") -> ArbkitConfig:
    """Parse YAML text; ``env`` supplies ``${VAR}`` values (default: the process environment)."""
    env = os.environ if env is None else env
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "parse error"
        raise ConfigurationError(f"{source}{where}: invalid YAML ({problem})") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigurationError(f"{source}: expected a mapping at the top level, got {_kind(raw)}")
    unknown = sorted(set(raw) - _TOP_LEVEL)
    if unknown:
        raise ConfigurationError(f"{unknown[0]}: unknown section (known: {', '.join(sorted(_TOP_LEVEL))})")
    raw = _expand(raw, env, "")
    entries = raw.get("exchanges") or {}
    if not isinstance(entries, dict):
        raise ConfigurationError(f"exchanges: expected a mapping of exchange entries, got {_kind(entries)}")
    exchanges = {}
    for name, entry in entries.items():
        key = str(name).strip().lower()
        exchanges[key] = _exchange_entry(key, entry)
    sections = {k: v for k, v in raw.items() if k != "exchanges"}
    config = ArbkitConfig(exchanges=exchanges, source=source, sections=sections)
    _validate_sections(config)
    return config


def _validate_sections(config: ArbkitConfig) -> None:
    """Sections owned by other modules are validated there, so errors still surface at load time."""
    if "arbitrage" in config.sections:
        from arbkit.arbitrage.config import parse_arbitrage_config

        parse_arbitrage_config(config.sections["arbitrage"], config)


def _expand(value: Any, env: Mapping[str, str], path: str) -> Any:
    if isinstance(value, dict):
        return {k: _expand(v, env, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, env, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, str) and "$" in value:
        return _substitute(value, env, path)
    return value


def _substitute(text: str, env: Mapping[str, str], path: str) -> str:
    """Expand ``${VAR}`` / ``${VAR:default}``; an unset variable without a default becomes empty."""
    start = text.find("${")
    while start != -1:
        end = text.find("}", start)
        if end == -1:
            raise ConfigurationError(f"{path}: malformed ${{...}} pattern {text[start:]!r} (no closing brace)")
        start = text.find("${", end)

    def replace(match: re.Match[str]) -> str:
        body = match.group(1)
        name, _, default = body.partition(":")
        if not _NAME.match(name):
            raise ConfigurationError(
                f"{path}: malformed ${{...}} pattern {match.group(0)!r} (expected ${{VAR}} or ${{VAR:default}})"
            )
        return env.get(name) or default

    return _VAR.sub(replace, text)


def _exchange_entry(name: str, entry: Any) -> ExchangeConfig:
    path = f"exchanges.{name}"
    if not isinstance(entry, dict):
        raise ConfigurationError(f"{path}: expected a mapping, got {_kind(entry)}")
    ccxt_id = _opt_str(entry, "ccxt_id", path)
    enum: ExchangeEnum | None = None
    if ccxt_id is None:
        try:
            enum = ExchangeEnum.parse(name)
        except ValueError:
            known = ", ".join(e.value for e in ExchangeEnum)
            raise ConfigurationError(
                f"{path}: unknown exchange (known: {known}; add ccxt_id to use any other ccxt exchange)"
            ) from None
    else:
        import ccxt

        if ccxt_id not in ccxt.exchanges:
            raise ConfigurationError(f"{path}.ccxt_id: {ccxt_id!r} is not a ccxt exchange id")
    for required in ("api_key", "secret_key", "base_url"):
        if required not in entry:
            raise ConfigurationError(f"{path}.{required}: missing")
    base_url = _opt_str(entry, "base_url", path)
    if not base_url:
        raise ConfigurationError(f"{path}.base_url: missing (empty)")
    ws_cfg = entry.get("websocket_config") or {}
    if not isinstance(ws_cfg, dict):
        raise ConfigurationError(f"{path}.websocket_config: expected a mapping, got {_kind(ws_cfg)}")
    for key in ws_cfg:
        if key not in WebsocketConfig.__struct_fields__:
            known = ", ".join(WebsocketConfig.__struct_fields__)
            raise ConfigurationError(f"{path}.websocket_config.{key}: unknown key (known: {known})")
    ws_kwargs = {
        k: _number(v, f"{path}.websocket_config.{k}", integer=k in ("reconnect_attempts", "book_depth"))
        for k, v in ws_cfg.items()
    }
    headers = entry.get("custom_headers") or {}
    if not isinstance(headers, dict):
        raise ConfigurationError(f"{path}.custom_headers: expected a mapping of header names to values")
    known_keys = set(ExchangeConfig.__struct_fields__) - {"name", "exchange_enum", "settings"}
    settings = {k: v for k, v in entry.items() if k not in known_keys}
    rate = entry.get("rate_limit_per_second")
    return ExchangeConfig(
        name=name,
        exchange_enum=enum,
        base_url=base_url,
        websocket_url=_opt_str(entry, "websocket_url", path),
        api_key=_opt_str(entry, "api_key", path, secret=True),
        secret_key=_opt_str(entry, "secret_key", path, secret=True),
        testnet_base_url=_opt_str(entry, "testnet_base_url", path),
        use_testnet=_bool(entry.get("use_testnet", False), f"{path}.use_testnet"),
        ccxt_id=ccxt_id,
        rate_limit_per_second=None if rate is None else _number(rate, f"{path}.rate_limit_per_second", positive=True),
        request_timeout=_number(entry.get("request_timeout", 10.0), f"{path}.request_timeout", positive=True),
        max_retries=int(_number(entry.get("max_retries", 3), f"{path}.max_retries", integer=True)),
        custom_headers={str(k): str(v) for k, v in headers.items()},
        websocket_config=WebsocketConfig(**ws_kwargs),
        settings=settings,
    )


def _opt_str(entry: dict[str, Any], key: str, path: str, secret: bool = False) -> str | None:
    value = entry.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        shown = "a value" if secret else repr(value)
        raise ConfigurationError(f"{path}.{key}: expected a string, got {_kind(value)} {shown}")
    return str(value).strip()


def _number(value: Any, path: str, integer: bool = False, positive: bool = False) -> Any:
    if isinstance(value, str):
        try:
            value = float(value) if not integer else int(value)
        except ValueError:
            pass
    kind = "an integer" if integer else "a number"
    if isinstance(value, bool) or not isinstance(value, int | float) or (integer and int(value) != value):
        raise ConfigurationError(f"{path}: expected {kind}, got {value!r}")
    if value < 0 or (positive and value == 0):
        raise ConfigurationError(
            f"{path}: expected a {'positive' if positive else 'non-negative'} number, got {value!r}"
        )
    return int(value) if integer else float(value)


def _bool(value: Any, path: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no", "1", "0"):
        return value.lower() in ("true", "yes", "1")
    raise ConfigurationError(f"{path}: expected true or false, got {value!r}")


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", type(None): "nothing"}.get(
        type(value), type(value).__name__
    )
