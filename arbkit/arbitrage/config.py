"""The ``arbitrage:`` section of config.yaml, decoded into frozen Structs with one-line, key-path errors.

API:
- ``parse_arbitrage_config(raw, config) -> ArbitrageConfig``: the session calls it before anything connects
  (``arbkit.config`` keeps the section raw; this layer owns it).
- ``ArbitrageConfig.taker_fee(exchange, symbol, default)``: the fee after ``fee_overrides``;
  ``.gate_thresholds``: the book-health gate; ``.enabled_pairs()`` / ``.pair(id)``.
- ``validate_pair_listing(pair, listings) -> tuple[str, ...]``: after symbol discovery, the venues that list the
  pair (at least two), or a ``ConfigurationError`` naming the pair.

Exchange names are normalised to ``ExchangeEnum`` values (lowercase); names of generic ccxt exchanges configured
under ``exchanges:`` are accepted too. ``fee_overrides`` looks like
``{binance: {taker: 0.00075, maker: 0.0006, symbols: {BTC/USDT: {taker: 0.0005}}}}``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import msgspec

from arbkit.arbitrage.gating import GateThresholds
from arbkit.config import ArbkitConfig
from arbkit.config_checks import Range, check_number, kind
from arbkit.errors import ConfigurationError
from arbkit.structs import AssetName, ExchangeEnum, Symbol

__all__ = [
    "ArbitrageConfig",
    "ArbitragePair",
    "ExchangeFees",
    "FeeOverride",
    "OpportunityType",
    "parse_arbitrage_config",
    "validate_pair_listing",
]

ROOT = "arbitrage"


class OpportunityType(StrEnum):
    """Kinds of opportunity; only spot-spot is implemented."""

    SPOT_SPOT = "SPOT_SPOT"


class FeeOverride(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Fees as fractions (0.001 = 10 bps); ``None`` keeps the exchange's own value."""

    taker: float | None = None
    maker: float | None = None


class ExchangeFees(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """An exchange-wide fee override and per-symbol overrides keyed by ``BASE/QUOTE``."""

    taker: float | None = None
    maker: float | None = None
    symbols: dict[str, FeeOverride] = msgspec.field(default_factory=dict)


class ArbitragePair(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One asset pair to scan. ``exchanges`` is resolved: the listed ones, or every enabled exchange."""

    id: str
    base_asset: str
    quote_asset: str
    min_profit_bps: float
    opportunity_type: OpportunityType = OpportunityType.SPOT_SPOT
    exchanges: tuple[str, ...] = ()
    exchanges_explicit: bool = False
    max_notional: float | None = None
    is_enabled: bool = True

    @property
    def symbol(self) -> Symbol:
        return Symbol(AssetName(self.base_asset), AssetName(self.quote_asset))


class ArbitrageConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The whole ``arbitrage:`` section."""

    enabled_exchanges: tuple[str, ...]
    max_book_age_ms: float = 2000.0
    fee_overrides: dict[str, ExchangeFees] = msgspec.field(default_factory=dict)
    arbitrage_pairs: tuple[ArbitragePair, ...] = ()

    @property
    def gate_thresholds(self) -> GateThresholds:
        return GateThresholds(max_age_ms=self.max_book_age_ms)

    def enabled_pairs(self) -> list[ArbitragePair]:
        return [p for p in self.arbitrage_pairs if p.is_enabled]

    def pair(self, pair_id: str) -> ArbitragePair:
        for p in self.arbitrage_pairs:
            if p.id == pair_id:
                return p
        known = ", ".join(p.id for p in self.arbitrage_pairs) or "none"
        raise ConfigurationError(f"{ROOT}.arbitrage_pairs: no pair with id {pair_id!r} (known: {known})")

    def taker_fee(self, exchange: str, symbol: Symbol | str, default: float) -> float:
        """The taker fee to use: per-symbol override, else exchange override, else ``default``."""
        fees = self.fee_overrides.get(exchange)
        if fees is None:
            return default
        per_symbol = fees.symbols.get(str(symbol))
        if per_symbol is not None and per_symbol.taker is not None:
            return per_symbol.taker
        return default if fees.taker is None else fees.taker


# --------------------------------------------------------------------------- parsing

_AGE = Range(0.0, 3_600_000.0, low_open=True)  # a book older than an hour is no book
_BPS = Range(0.0, 10_000.0)  # 10,000 bps = 100%
_NOTIONAL = Range(0.0, 1e12, low_open=True)
_TOP_KEYS = ("enabled_exchanges", "max_book_age_ms", "fee_overrides", "arbitrage_pairs")
_PAIR_KEYS = (
    "id",
    "base_asset",
    "quote_asset",
    "opportunity_type",
    "min_profit_bps",
    "exchanges",
    "max_notional",
    "is_enabled",
)


def parse_arbitrage_config(raw: Any, config: ArbkitConfig) -> ArbitrageConfig:
    """Validate and decode the raw ``arbitrage:`` mapping against the configured exchanges."""
    raw = {} if raw is None else raw
    _mapping(raw, ROOT)
    _known_keys(raw, _TOP_KEYS, ROOT)
    enabled = _enabled_exchanges(raw.get("enabled_exchanges"), config)
    age = check_number(raw.get("max_book_age_ms", 2000.0), f"{ROOT}.max_book_age_ms", _AGE)
    fees = _fee_overrides(raw.get("fee_overrides"), config)
    pairs_raw = raw.get("arbitrage_pairs", [])
    if not isinstance(pairs_raw, list):
        raise ConfigurationError(f"{ROOT}.arbitrage_pairs: expected a list of pairs, got {_kind(pairs_raw)}")
    if "arbitrage_pairs" in raw and not pairs_raw:
        raise ConfigurationError(f"{ROOT}.arbitrage_pairs: empty (list at least one pair, or leave the key out)")
    pairs: list[ArbitragePair] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(pairs_raw):
        path = f"{ROOT}.arbitrage_pairs[{index}]"
        pair = _pair(entry, path, enabled, config)
        if pair.id in seen:
            raise ConfigurationError(
                f"{path}.id: duplicate pair id {pair.id!r} (also arbitrage_pairs[{seen[pair.id]}])"
            )
        seen[pair.id] = index
        pairs.append(pair)
    return ArbitrageConfig(
        enabled_exchanges=enabled, max_book_age_ms=age, fee_overrides=fees, arbitrage_pairs=tuple(pairs)
    )


def validate_pair_listing(pair: ArbitragePair, listings: dict[str, set[Symbol]]) -> tuple[str, ...]:
    """The pair's venues that list its symbol; raise if an explicit venue lacks it or fewer than two list it."""
    symbol = pair.symbol
    path = f"{ROOT}.arbitrage_pairs.{pair.id}"
    listed = tuple(name for name in pair.exchanges if symbol in listings.get(name, ()))
    if pair.exchanges_explicit:
        missing = [name for name in pair.exchanges if name not in listed]
        if missing:
            raise ConfigurationError(f"{path}.exchanges: {', '.join(missing)} does not list {symbol}")
    if not listed:
        raise ConfigurationError(f"{path}: no enabled exchange lists {symbol} (searched: {', '.join(pair.exchanges)})")
    if len(listed) < 2:
        raise ConfigurationError(f"{path}: only {listed[0]} lists {symbol}; arbitrage needs at least two exchanges")
    return listed


def _enabled_exchanges(value: Any, config: ArbkitConfig) -> tuple[str, ...]:
    path = f"{ROOT}.enabled_exchanges"
    if value is None:
        names = tuple(config.exchanges)
    else:
        if not isinstance(value, list):
            raise ConfigurationError(f"{path}: expected a list of exchange names, got {_kind(value)}")
        names = _exchange_list(value, path, config)
        for index, name in enumerate(names):
            if name not in config.exchanges:
                raise ConfigurationError(
                    f"{path}[{index}]: exchange {name!r} has no entry under exchanges: in {config.source}"
                )
    if len(names) < 2:
        shown = ", ".join(names) or "none"
        raise ConfigurationError(f"{path}: arbitrage needs at least two exchanges, got {shown}")
    return names


def _exchange_list(value: list[Any], path: str, config: ArbkitConfig) -> tuple[str, ...]:
    names: list[str] = []
    for index, item in enumerate(value):
        name = _exchange_name(item, f"{path}[{index}]", config)
        if name in names:
            raise ConfigurationError(f"{path}[{index}]: exchange {name!r} listed twice")
        names.append(name)
    return tuple(names)


def _exchange_name(value: Any, path: str, config: ArbkitConfig) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{path}: expected an exchange name, got {value!r}")
    try:
        return ExchangeEnum.parse(value).value
    except ValueError:
        key = value.strip().lower()
        if key in config.exchanges:
            return key
    known = sorted({e.value for e in ExchangeEnum} | set(config.exchanges))
    raise ConfigurationError(f"{path}: unknown exchange {value!r} (known: {', '.join(known)})")


def _pair(entry: Any, path: str, enabled: tuple[str, ...], config: ArbkitConfig) -> ArbitragePair:
    _mapping(entry, path)
    _known_keys(entry, _PAIR_KEYS, path)
    for required in ("id", "base_asset", "quote_asset", "min_profit_bps"):
        if required not in entry:
            raise ConfigurationError(f"{path}.{required}: missing")
    pair_id = _text(entry["id"], f"{path}.id")
    base = _asset(entry["base_asset"], f"{path}.base_asset")
    quote = _asset(entry["quote_asset"], f"{path}.quote_asset")
    if base == quote:
        raise ConfigurationError(f"{path}.quote_asset: same as base_asset ({base})")
    kind_raw = _text(entry.get("opportunity_type", "SPOT_SPOT"), f"{path}.opportunity_type").upper()
    try:
        kind = OpportunityType(kind_raw)
    except ValueError:
        supported = ", ".join(t.value for t in OpportunityType)
        raise ConfigurationError(
            f"{path}.opportunity_type: unsupported {entry['opportunity_type']!r} (supported: {supported})"
        ) from None
    exchanges_raw = entry.get("exchanges")
    explicit = exchanges_raw is not None
    if explicit:
        if not isinstance(exchanges_raw, list):
            raise ConfigurationError(f"{path}.exchanges: expected a list of exchange names, got {_kind(exchanges_raw)}")
        exchanges = _exchange_list(exchanges_raw, f"{path}.exchanges", config)
        for index, name in enumerate(exchanges):
            if name not in enabled:
                raise ConfigurationError(
                    f"{path}.exchanges[{index}]: exchange {name!r} is not in {ROOT}.enabled_exchanges"
                )
        if len(exchanges) < 2:
            raise ConfigurationError(f"{path}.exchanges: arbitrage needs at least two exchanges, got {len(exchanges)}")
    else:
        exchanges = enabled
    cap = entry.get("max_notional")
    return ArbitragePair(
        id=pair_id,
        base_asset=base,
        quote_asset=quote,
        opportunity_type=kind,
        min_profit_bps=check_number(entry["min_profit_bps"], f"{path}.min_profit_bps", _BPS),
        exchanges=exchanges,
        exchanges_explicit=explicit,
        max_notional=None if cap is None else check_number(cap, f"{path}.max_notional", _NOTIONAL),
        is_enabled=_bool(entry.get("is_enabled", True), f"{path}.is_enabled"),
    )


def _fee_overrides(value: Any, config: ArbkitConfig) -> dict[str, ExchangeFees]:
    path = f"{ROOT}.fee_overrides"
    if value is None:
        return {}
    _mapping(value, path)
    out: dict[str, ExchangeFees] = {}
    for raw_name, entry in value.items():
        name = _exchange_name(str(raw_name), f"{path}.{raw_name}", config)
        where = f"{path}.{raw_name}"
        _mapping(entry, where)
        _known_keys(entry, ("taker", "maker", "symbols"), where)
        symbols_raw = entry.get("symbols", {})
        _mapping(symbols_raw, f"{where}.symbols")
        symbols: dict[str, FeeOverride] = {}
        for raw_symbol, fees in symbols_raw.items():
            spot = f"{where}.symbols.{raw_symbol}"
            try:
                symbol = Symbol.parse(str(raw_symbol))
            except ValueError as exc:
                raise ConfigurationError(f"{spot}: {exc}") from None
            _mapping(fees, spot)
            _known_keys(fees, ("taker", "maker"), spot)
            symbols[str(symbol)] = FeeOverride(_fee(fees, "taker", spot), _fee(fees, "maker", spot))
        out[name] = ExchangeFees(_fee(entry, "taker", where), _fee(entry, "maker", where), symbols)
    return out


def _fee(entry: dict[str, Any], key: str, path: str) -> float | None:
    value = entry.get(key)
    if value is None:
        return None
    low = -0.01 if key == "maker" else 0.0
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= 0.05:
        raise ConfigurationError(
            f"{path}.{key}: expected a fee fraction between {low:g} and 0.05 (0.001 = 10 bps), got {value!r}"
        )
    return float(value)


# --------------------------------------------------------------------------- small validators


def _mapping(value: Any, path: str) -> None:
    if not isinstance(value, dict):
        raise ConfigurationError(f"{path}: expected a mapping, got {_kind(value)}")


def _known_keys(entry: dict[str, Any], known: tuple[str, ...], path: str) -> None:
    for key in entry:
        if key not in known:
            raise ConfigurationError(f"{path}.{key}: unknown key (known: {', '.join(known)})")


def _text(value: Any, path: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise ConfigurationError(f"{path}: expected a non-empty string, got {value!r}")
    return str(value).strip()


def _asset(value: Any, path: str) -> str:
    text = _text(value, path).upper()
    if "/" in text or " " in text:
        raise ConfigurationError(f"{path}: expected an asset name such as BTC, got {value!r}")
    return text


def _bool(value: Any, path: str) -> bool:
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if not isinstance(value, bool):
        raise ConfigurationError(f"{path}: expected true or false, got {value!r}")
    return value


_kind = kind
