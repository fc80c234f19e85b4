"""The ``paper:`` section of config.yaml: per-venue latency, paper starting balances and the seed.

API: ``parse_paper_config(raw, config=None) -> PaperConfig``; ``paper_config(config)`` reads
``config.sections["paper"]`` (defaults when absent). Every problem is one ``ConfigurationError`` line with its key path.
The section only shapes paper fills; it is not part of the trading config hash (``execution:`` is).
"""

from __future__ import annotations

import math
import random
from typing import Any

import msgspec

from arbkit.config import ArbkitConfig
from arbkit.errors import ConfigurationError

__all__ = [
    "DEFAULT_BALANCES",
    "DEFAULT_LATENCY_MS",
    "LatencySampler",
    "PaperConfig",
    "paper_config",
    "parse_paper_config",
]

ROOT = "paper"
DEFAULT_KEY = "*"

# Assumed one-way order-to-match times from a retail server in Europe (ms): Binance and its Tokyo/AWS matching
# engine reached through a nearby edge, Gate.io and MEXC further away, Kraken (US-hosted, Cloudflare in front)
# the slowest. Assumptions, not measurements: replace them with your own round trips (a list is sampled).
DEFAULT_LATENCY_MS: dict[str, float] = {"binance": 25.0, "gateio": 60.0, "mexc": 70.0, "kraken": 120.0, "*": 100.0}

# Paper starting balances per asset, the same on every venue unless a venue is named: a retail account of about
# 10k quote and about 10k worth of each base asset, which covers the default limits (1000 quote per leg, 2000 net).
DEFAULT_BALANCES: dict[str, dict[str, float]] = {
    DEFAULT_KEY: {
        "USDT": 10_000.0,
        "USDC": 10_000.0,
        "USD": 10_000.0,
        "EUR": 10_000.0,
        "BTC": 0.2,
        "ETH": 4.0,
        "SOL": 60.0,
        "XRP": 5_000.0,
        "DOGE": 60_000.0,
    }
}

LATENCY_MAX_MS = 60_000.0


class PaperConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Paper trading parameters.

    - latency_ms ({binance: 25, gateio: 60, mexc: 70, kraken: 120, "*": 100}): per venue, a fixed delay (a number)
      or measured round trips (a list, sampled uniformly with the seeded RNG) between sending an order and the
      exchange acting on it; ``*`` applies to venues not named (a ``*`` of your own replaces every built-in
      per-venue default).
    - balances (``DEFAULT_BALANCES``): paper starting balances ``{venue: {asset: amount}}``; venue ``*`` is the
      default; a named venue's mapping is merged over the default.
    - seed (7): seed of the latency sampling, so a paper run is reproducible.
    """

    latency_ms: dict[str, tuple[float, ...]] = msgspec.field(
        default_factory=lambda: {k: (v,) for k, v in DEFAULT_LATENCY_MS.items()}
    )
    balances: dict[str, dict[str, float]] = msgspec.field(
        default_factory=lambda: {k: dict(v) for k, v in DEFAULT_BALANCES.items()}
    )
    seed: int = 7

    def latencies(self, venue: str) -> tuple[float, ...]:
        """The latency samples of ``venue`` (one value: fixed)."""
        return self.latency_ms.get(venue, self.latency_ms.get(DEFAULT_KEY, (DEFAULT_LATENCY_MS[DEFAULT_KEY],)))

    def starting_balances(self, venue: str) -> dict[str, float]:
        """Starting paper balances of ``venue``: the ``*`` mapping with the venue's own entries over it."""
        out = dict(self.balances.get(DEFAULT_KEY, {}))
        out.update(self.balances.get(venue, {}))
        return out

    def sampler(self, venue: str) -> LatencySampler:
        """A seeded latency sampler for ``venue`` (its own stream: venues do not perturb each other)."""
        return LatencySampler(self.latencies(venue), f"{self.seed}:{venue}")


class LatencySampler:
    """Draws one latency (ms) per order: the fixed value, or a uniformly chosen measured round trip."""

    def __init__(self, samples: tuple[float, ...] | list[float], seed: int | str = 7) -> None:
        if not samples:
            raise ConfigurationError("paper latency: at least one sample is needed")
        self.samples = tuple(float(s) for s in samples)
        self._rng = random.Random(str(seed))

    def next_ms(self) -> float:
        if len(self.samples) == 1:
            return self.samples[0]
        return self._rng.choice(self.samples)


def paper_config(config: ArbkitConfig | None) -> PaperConfig:
    """The config's ``paper:`` section, or the defaults when it has none."""
    raw = None if config is None else config.sections.get(ROOT)
    return parse_paper_config(raw, config)


def parse_paper_config(raw: Any, config: ArbkitConfig | None = None) -> PaperConfig:
    """Validate the raw ``paper:`` mapping; venue names must be configured exchanges (or ``*``)."""
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        raise ConfigurationError(f"{ROOT}: expected a mapping, got {_kind(raw)}")
    known = ("latency_ms", "balances", "seed")
    for key in raw:
        if key not in known:
            raise ConfigurationError(f"{ROOT}.{key}: unknown key (known: {', '.join(known)})")
    venues = None if config is None else set(config.exchanges)
    values: dict[str, Any] = {}
    if "seed" in raw:
        values["seed"] = int(_number(raw["seed"], f"{ROOT}.seed", 0, 2**32 - 1, integer=True))
    if "latency_ms" in raw:
        values["latency_ms"] = _latency(raw["latency_ms"], venues)
    if "balances" in raw:
        values["balances"] = _balances(raw["balances"], venues)
    return PaperConfig(**values)


def _venue(name: Any, path: str, venues: set[str] | None) -> str:
    label = str(name).strip().lower()
    if label != DEFAULT_KEY and venues is not None and label not in venues:
        raise ConfigurationError(f"{path}: exchange {name!r} is not configured under exchanges:")
    return label


def _latency(value: Any, venues: set[str] | None) -> dict[str, tuple[float, ...]]:
    path = f"{ROOT}.latency_ms"
    defaults = {k: (v,) for k, v in DEFAULT_LATENCY_MS.items()}
    if not isinstance(value, dict):  # one number or list for every venue
        return {DEFAULT_KEY: _samples(value, path)}
    # a "*" of the user's replaces every built-in per-venue default; without one, venues not named keep theirs
    out = {} if any(str(k).strip() == DEFAULT_KEY for k in value) else dict(defaults)
    for name, samples in value.items():
        where = f"{path}.{name}"
        out[_venue(name, where, venues)] = _samples(samples, where)
    return out


def _samples(value: Any, path: str) -> tuple[float, ...]:
    if isinstance(value, list):
        if not value:
            raise ConfigurationError(f"{path}: expected a number or a non-empty list of numbers, got an empty list")
        return tuple(_number(v, f"{path}[{i}]", 0.0, LATENCY_MAX_MS) for i, v in enumerate(value))
    return (_number(value, path, 0.0, LATENCY_MAX_MS),)


def _balances(value: Any, venues: set[str] | None) -> dict[str, dict[str, float]]:
    path = f"{ROOT}.balances"
    if not isinstance(value, dict):
        raise ConfigurationError(f"{path}: expected a mapping of venue -> asset -> amount, got {_kind(value)}")
    out = {k: dict(v) for k, v in DEFAULT_BALANCES.items()}
    for venue, assets in value.items():
        where = f"{path}.{venue}"
        name = _venue(venue, where, venues)
        if not isinstance(assets, dict):
            raise ConfigurationError(f"{where}: expected a mapping of asset -> amount, got {_kind(assets)}")
        amounts = out.setdefault(name, {})
        for asset, amount in assets.items():
            amounts[str(asset).strip().upper()] = _number(amount, f"{where}.{asset}", 0.0, 1e15)
    return out


def _number(value: Any, path: str, low: float, high: float, integer: bool = False) -> float:
    if isinstance(value, str):  # ${VAR} substitution yields strings
        try:
            value = float(value)
        except ValueError:
            pass
    wanted = "an integer" if integer else "a number"
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigurationError(f"{path}: expected {wanted}, got {value!r}")
    if integer and int(value) != value:
        raise ConfigurationError(f"{path}: expected {wanted}, got {value!r}")
    if not low <= value <= high:
        raise ConfigurationError(f"{path}: expected {wanted} between {low:g} and {high:g}, got {value!r}")
    return float(value)


def _kind(value: Any) -> str:
    names = {dict: "a mapping", list: "a list", str: "a string", type(None): "nothing"}
    return names.get(type(value), type(value).__name__)
