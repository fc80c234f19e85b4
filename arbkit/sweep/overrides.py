"""A cell's config: the base config's raw mapping with the cell's key paths set, re-validated by arbkit's own parsers.

The raw mapping keeps ``${VAR}`` references unexpanded, so an exported config never holds a secret's value; the
environment (``.env`` beside the file, then the process environment) is applied only when a cell's config is parsed.

Key paths are dotted: ``execution.leg_timeout_ms``, ``paper.latency_ms.kraken``,
``arbitrage.fee_overrides.binance.taker``. A list is indexed by position (``arbitrage.arbitrage_pairs[0].max_notional``)
or, for pairs, by id (``arbitrage.arbitrage_pairs.btc_usdt.min_profit_bps``). ``arbitrage.min_profit_bps`` and
``arbitrage.max_notional`` are shorthands that set the key on every pair.
"""

from __future__ import annotations

import copy
import hashlib
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import msgspec
import yaml

from arbkit.config import ArbkitConfig, parse_config
from arbkit.config_yaml import decode, load_yaml
from arbkit.errors import ConfigurationError

__all__ = ["BaseConfig", "apply_overrides", "cell_config", "load_base", "validate_sections"]

PAIR_SHORTHANDS = ("min_profit_bps", "max_notional")  # arbitrage.<key> sets it on every pair
_INDEX = re.compile(r"^(?P<name>[^\[\]]*)((?:\[\d+\])*)$")


class BaseConfig(msgspec.Struct, frozen=True):
    """The base config as written: its raw (unexpanded) mapping, where it came from, and the environment for it."""

    raw: dict[str, Any]
    source: str
    env: dict[str, str]

    @property
    def config_hash(self) -> str:
        """A short hash of the raw mapping (not of the environment, so secrets never reach it)."""
        return hashlib.sha256(msgspec.json.encode(self.raw, order="sorted")).hexdigest()[:16]


def load_base(path: str | os.PathLike[str], env_file: str | os.PathLike[str] | None = None) -> BaseConfig:
    """Read ``path`` like :func:`arbkit.config.load_config` does, keeping the raw mapping; the whole file is checked."""
    from dotenv import dotenv_values

    file = Path(path)
    if not file.is_file():
        raise ConfigurationError(f"{file}: config file not found")
    text = decode(file.read_bytes(), file.name)
    raw = load_yaml(text, file.name) or {}
    if not isinstance(raw, dict):
        raise ConfigurationError(f"{file.name}: expected a mapping at the top level")
    dotenv_path = Path(env_file) if env_file else file.with_name(".env")
    env: dict[str, str] = {}
    if dotenv_path.is_file():
        env.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
    env.update(os.environ)
    base = BaseConfig(raw=raw, source=file.name, env=env)
    validate_sections(parse_config(yaml.safe_dump(raw, sort_keys=False), env=env, source=file.name))
    return base


def apply_overrides(raw: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of ``raw`` with every key path in ``params`` set (missing mappings on the way are created)."""
    out = copy.deepcopy(dict(raw))
    for key, value in params.items():
        parts = key.split(".")
        if len(parts) == 2 and parts[0] == "arbitrage" and parts[1] in PAIR_SHORTHANDS:
            _set_on_pairs(out, parts[1], value, key)
        else:
            _set(out, parts, copy.deepcopy(value), key)
    return out


def cell_config(base: BaseConfig, params: Mapping[str, Any]) -> tuple[dict[str, Any], ArbkitConfig]:
    """The cell's raw mapping and its parsed, validated config; a bad key or value raises one ConfigurationError."""
    raw = apply_overrides(base.raw, params)
    config = parse_config(yaml.safe_dump(raw, sort_keys=False), env=base.env, source=base.source)
    validate_sections(config)
    return raw, config


def _section_parsers() -> dict[str, Callable[[Any, ArbkitConfig], Any]]:
    """Each layer's parser of its own section: the core config keeps them raw, so a sweep runs them all up front."""
    from arbkit.arbitrage.config import parse_arbitrage_config
    from arbkit.execution.config import parse_execution_config

    parsers: dict[str, Callable[[Any, ArbkitConfig], Any]] = {
        "arbitrage": parse_arbitrage_config,
        "execution": parse_execution_config,
    }
    try:
        from arbkit.paper.config import parse_paper_config  # arrives with the paper back-end
    except ImportError:
        pass
    else:
        parsers["paper"] = parse_paper_config
    return parsers


def validate_sections(config: ArbkitConfig) -> None:
    """Parse every section a layer owns, so a bad value fails here and not half-way through a sweep."""
    for name, parse in _section_parsers().items():
        if name in config.sections:
            parse(config.sections[name], config)


def _set(node: Any, parts: list[str], value: Any, key: str) -> None:
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        name, indices = _split(part, key)
        if name:
            if not isinstance(node, dict):
                node = _by_id(node, name, key) if isinstance(node, list) else _fail(key, part, node)
                if last and not indices:
                    raise ConfigurationError(f"{key}: {part!r} names a list entry; give a key inside it")
            elif last and not indices:
                node[name] = value
                return
            else:
                node = node.setdefault(name, [] if indices else {})
        for i, index in enumerate(indices):
            if not isinstance(node, list) or index >= len(node):
                size = len(node) if isinstance(node, list) else 0
                raise ConfigurationError(f"{key}: index [{index}] is out of range (the list has {size} entries)")
            if last and i == len(indices) - 1:
                node[index] = value
                return
            node = node[index]


def _split(part: str, key: str) -> tuple[str, list[int]]:
    match = _INDEX.match(part)
    if not part or match is None:
        raise ConfigurationError(f"{key}: malformed key path (expected section.key, key[0] or pair_id parts)")
    return match.group("name"), [int(i) for i in re.findall(r"\[(\d+)\]", part)]


def _by_id(entries: list[Any], name: str, key: str) -> Any:
    for entry in entries:
        if isinstance(entry, dict) and str(entry.get("id")) == name:
            return entry
    known = ", ".join(str(e.get("id")) for e in entries if isinstance(e, dict)) or "none"
    raise ConfigurationError(f"{key}: no list entry with id {name!r} (ids: {known})")


def _fail(key: str, part: str, node: Any) -> Any:
    raise ConfigurationError(
        f"{key}: cannot descend into {part!r}: the value there is {type(node).__name__}, not a mapping"
    )


def _set_on_pairs(raw: dict[str, Any], field: str, value: Any, key: str) -> None:
    section = raw.get("arbitrage")
    pairs = section.get("arbitrage_pairs") if isinstance(section, dict) else None
    if not isinstance(pairs, list) or not pairs:
        raise ConfigurationError(
            f"{key}: the base config lists no arbitrage.arbitrage_pairs to set {field} on "
            f"(add the pairs, or use arbitrage.arbitrage_pairs.<id>.{field})"
        )
    for pair in pairs:
        if isinstance(pair, dict):
            pair[field] = copy.deepcopy(value)
