"""The ``execution:`` section of config.yaml: risk limits and leg handling, parsed by this layer from the raw section.

API: ``parse_execution_config(raw, config=None) -> ExecutionConfig``; ``execution_config(config)`` reads
``config.sections["execution"]`` (defaults when absent). Every problem is one ``ConfigurationError`` line with the
key path (``execution.leg_timeout_ms: expected ...``).
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

import msgspec

from arbkit.config import ArbkitConfig
from arbkit.errors import ConfigurationError

__all__ = ["ExecutionConfig", "InventoryBand", "execution_config", "parse_execution_config"]

ROOT = "execution"
DEFAULT_KEY = "*"


class InventoryBand(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Holdings of one asset on one venue must stay within ``[min, max]`` after an execution."""

    min: float = 0.0
    max: float = math.inf


class ExecutionConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Risk limits and leg handling of the executor.

    Parameters (default, meaning):
    - max_notional_per_leg (1000.0): largest quote value of one leg (quantity x limit price).
    - max_net_exposure ({"*": 2000.0}): largest net position per asset across venues, in quote value at the mid,
      counting the plan's quantity as if one leg filled alone; ``*`` applies to assets not named.
    - daily_loss_limit (100.0): realised loss (quote, after fees) in one UTC day that halts trading.
    - max_orders_per_second ({"*": 5.0}): token-bucket rate of orders per venue, a share of the exchange's limit.
    - leg_timeout_ms (2000): how long a leg may stay unanswered before cancel, lookup and hedge.
    - max_slippage_bps (5.0): IOC limit collar beyond the evaluator's worst price touched.
    - max_hedge_slippage_bps (30.0): how far from the reference price a hedge or unwind may trade.
    - hedge_attempts (3): IOC attempts to complete the short leg or unwind the excess before STUCK.
    - cooldown_ms (1000): minimum time between two executions of the same pair.
    - price_collar_bps (100.0): a leg price further than this from the other venues' mid is refused.
    - max_book_age_ms (1000.0): a book older than this on either venue refuses the execution.
    - private_stream_timeout_ms (5000): a private stream down longer than this trips the kill switch.
    - reconcile_interval_s (30.0): seconds between reconciliations of journal and venues (0 = start only).
    - dead_man_seconds (60): countdown armed on exchanges with a dead-man switch when the kill switch trips.
    - inventory ({}): bands per venue and asset, ``{venue: {asset: {min: .., max: ..}}}``.
    - journal_sync ("normal"): SQLite ``synchronous`` of the WAL journal. ``normal`` survives a killed process
      (every commit is in the WAL file before the call returns) but an OS crash or power cut can lose the last
      commits; ``full`` fsyncs every commit (survives both, ~10x slower per transition). See docs/execution.md.
    - size_to_cap (true): the scanner sizes opportunities within ``max_notional_per_leg`` (its pairs' caps are
      lowered to fit), so plans are the evaluator's size; false: it sizes freely and larger plans are refused.
    - reducing_loss_share (0.5): a realised daily loss past this share of ``daily_loss_limit`` enters REDUCING.
    - stream_flaps (3): this many private-stream drops on one venue within ``stream_flap_window_s`` enter
      REDUCING (0: never).
    - stream_flap_window_s (60.0): the window over which stream drops are counted, and how long a venue must stay
      up before REDUCING is left.
    """

    max_notional_per_leg: float = 1000.0
    max_net_exposure: dict[str, float] = msgspec.field(default_factory=lambda: {DEFAULT_KEY: 2000.0})
    daily_loss_limit: float = 100.0
    max_orders_per_second: dict[str, float] = msgspec.field(default_factory=lambda: {DEFAULT_KEY: 5.0})
    leg_timeout_ms: int = 2000
    max_slippage_bps: float = 5.0
    max_hedge_slippage_bps: float = 30.0
    hedge_attempts: int = 3
    cooldown_ms: int = 1000
    price_collar_bps: float = 100.0
    max_book_age_ms: float = 1000.0
    private_stream_timeout_ms: int = 5000
    reconcile_interval_s: float = 30.0
    dead_man_seconds: int = 60
    inventory: dict[str, dict[str, InventoryBand]] = msgspec.field(default_factory=dict)
    journal_sync: str = "normal"
    size_to_cap: bool = True
    reducing_loss_share: float = 0.5
    stream_flaps: int = 3
    stream_flap_window_s: float = 60.0

    def exposure_limit(self, asset: str) -> float:
        """The net exposure limit (quote) for ``asset``."""
        return self.max_net_exposure.get(asset, self.max_net_exposure.get(DEFAULT_KEY, math.inf))

    def order_rate(self, exchange: str) -> float:
        """Orders per second allowed on ``exchange``."""
        return self.max_orders_per_second.get(exchange, self.max_orders_per_second.get(DEFAULT_KEY, 5.0))

    def band(self, exchange: str, asset: str) -> InventoryBand | None:
        return self.inventory.get(exchange, {}).get(asset)

    def config_hash(self) -> str:
        """A short stable hash of the trading-relevant values (for the journal and, later, promotion)."""
        return hashlib.sha256(msgspec.json.encode(self, order="sorted")).hexdigest()[:16]


# (key, kind, low, high): kind is "float" or "int"; both bounds inclusive.
_RANGES: dict[str, tuple[str, float, float]] = {
    "max_notional_per_leg": ("float", 1e-9, 1e12),
    "daily_loss_limit": ("float", 0.0, 1e12),
    "leg_timeout_ms": ("int", 50, 120_000),
    "max_slippage_bps": ("float", 0.0, 1000.0),
    "max_hedge_slippage_bps": ("float", 0.0, 2000.0),
    "hedge_attempts": ("int", 0, 20),
    "cooldown_ms": ("int", 0, 86_400_000),
    "price_collar_bps": ("float", 1.0, 5000.0),
    "max_book_age_ms": ("float", 1.0, 600_000.0),
    "private_stream_timeout_ms": ("int", 100, 600_000),
    "reconcile_interval_s": ("float", 0.0, 86_400.0),
    "dead_man_seconds": ("int", 5, 86_400),
    "reducing_loss_share": ("float", 0.01, 1.0),
    "stream_flaps": ("int", 0, 1000),
    "stream_flap_window_s": ("float", 1.0, 86_400.0),
}
_CHOICES: dict[str, tuple[str, ...]] = {"journal_sync": ("normal", "full")}
_FLAGS = ("size_to_cap",)
_PER_KEY = {"max_net_exposure": (0.0, 1e12), "max_orders_per_second": (0.01, 10_000.0)}
_KNOWN = (*_RANGES, *_PER_KEY, *_CHOICES, *_FLAGS, "inventory")


def execution_config(config: ArbkitConfig | None) -> ExecutionConfig:
    """The config's ``execution:`` section, or the defaults when it has none."""
    raw = None if config is None else config.sections.get(ROOT)
    return parse_execution_config(raw, config)


def parse_execution_config(raw: Any, config: ArbkitConfig | None = None) -> ExecutionConfig:
    """Validate the raw ``execution:`` mapping; venue names in per-venue keys must be configured exchanges."""
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        raise ConfigurationError(f"{ROOT}: expected a mapping, got {_kind(raw)}")
    for key in raw:
        if key not in _KNOWN:
            raise ConfigurationError(f"{ROOT}.{key}: unknown key (known: {', '.join(_KNOWN)})")
    values: dict[str, Any] = {}
    for key, (kind, low, high) in _RANGES.items():
        if key in raw:
            values[key] = _ranged(raw[key], f"{ROOT}.{key}", kind, low, high)
    for key, choices in _CHOICES.items():
        if key in raw:
            if raw[key] not in choices:
                raise ConfigurationError(f"{ROOT}.{key}: expected one of {', '.join(choices)}, got {raw[key]!r}")
            values[key] = raw[key]
    for key in _FLAGS:
        if key in raw:
            if not isinstance(raw[key], bool):
                raise ConfigurationError(f"{ROOT}.{key}: expected true or false, got {raw[key]!r}")
            values[key] = raw[key]
    venues = None if config is None else set(config.exchanges)
    if "max_net_exposure" in raw:
        values["max_net_exposure"] = _per_key(raw["max_net_exposure"], "max_net_exposure", None, asset=True)
    if "max_orders_per_second" in raw:
        values["max_orders_per_second"] = _per_key(raw["max_orders_per_second"], "max_orders_per_second", venues)
    if "inventory" in raw:
        values["inventory"] = _inventory(raw["inventory"], venues)
    return ExecutionConfig(**values)


def _per_key(value: Any, key: str, venues: set[str] | None, asset: bool = False) -> dict[str, float]:
    """A number (applies to every venue/asset) or a mapping name -> number with ``*`` as the default."""
    path = f"{ROOT}.{key}"
    low, high = _PER_KEY[key]
    if not isinstance(value, dict):
        return {DEFAULT_KEY: _ranged(value, path, "float", low, high)}
    out: dict[str, float] = {}
    for name, number in value.items():
        label = str(name).strip()
        label = label.upper() if asset else label.lower()
        if label != DEFAULT_KEY and not asset and venues is not None and label not in venues:
            raise ConfigurationError(f"{path}.{name}: exchange {name!r} is not configured under exchanges:")
        out[label] = _ranged(number, f"{path}.{name}", "float", low, high)
    if DEFAULT_KEY not in out:
        out[DEFAULT_KEY] = getattr(ExecutionConfig(), key)[DEFAULT_KEY]
    return out


def _inventory(value: Any, venues: set[str] | None) -> dict[str, dict[str, InventoryBand]]:
    path = f"{ROOT}.inventory"
    if not isinstance(value, dict):
        raise ConfigurationError(f"{path}: expected a mapping of venue -> asset -> {{min, max}}, got {_kind(value)}")
    out: dict[str, dict[str, InventoryBand]] = {}
    for venue, assets in value.items():
        name = str(venue).strip().lower()
        where = f"{path}.{venue}"
        if venues is not None and name not in venues:
            raise ConfigurationError(f"{where}: exchange {venue!r} is not configured under exchanges:")
        if not isinstance(assets, dict):
            raise ConfigurationError(f"{where}: expected a mapping of asset -> {{min, max}}, got {_kind(assets)}")
        bands: dict[str, InventoryBand] = {}
        for asset, band in assets.items():
            spot = f"{where}.{asset}"
            if not isinstance(band, dict):
                raise ConfigurationError(f"{spot}: expected a mapping with min and/or max, got {_kind(band)}")
            for key in band:
                if key not in ("min", "max"):
                    raise ConfigurationError(f"{spot}.{key}: unknown key (known: min, max)")
            low = _ranged(band.get("min", 0.0), f"{spot}.min", "float", 0.0, 1e15)
            high = _ranged(band["max"], f"{spot}.max", "float", 0.0, 1e15) if "max" in band else math.inf
            if high < low:
                raise ConfigurationError(f"{spot}: max ({high:g}) is below min ({low:g})")
            bands[str(asset).strip().upper()] = InventoryBand(min=low, max=high)
        out[name] = bands
    return out


def _ranged(value: Any, path: str, kind: str, low: float, high: float) -> Any:
    if isinstance(value, str):  # ${VAR} substitution yields strings
        try:
            value = int(value) if kind == "int" else float(value)
        except ValueError:
            pass
    wanted = "an integer" if kind == "int" else "a number"
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise ConfigurationError(f"{path}: expected {wanted}, got {value!r}")
    if not math.isfinite(value):  # int(inf) would raise OverflowError
        raise ConfigurationError(f"{path}: expected a finite number between {low:g} and {high:g}, got {value!r}")
    if kind == "int" and int(value) != value:
        raise ConfigurationError(f"{path}: expected {wanted}, got {value!r}")
    if not low <= value <= high:
        raise ConfigurationError(f"{path}: expected {wanted} between {low:g} and {high:g}, got {value!r}")
    return int(value) if kind == "int" else float(value)


def _kind(value: Any) -> str:
    names = {dict: "a mapping", list: "a list", str: "a string", type(None): "nothing"}
    return names.get(type(value), type(value).__name__)
