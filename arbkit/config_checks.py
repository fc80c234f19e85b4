"""Small value checks shared by every config section: each returns the typed value or raises a one-line
:class:`ConfigurationError` that names the key path, what was expected (with its range) and what was found."""

from __future__ import annotations

import math
from typing import Any

from arbkit.errors import ConfigurationError

__all__ = ["Range", "check_bool", "check_keys", "check_mapping", "check_number", "check_str", "kind"]


class Range:
    """A closed numeric range, optionally open at the low end (``low_open``: zero makes no sense)."""

    __slots__ = ("high", "integer", "low", "low_open")

    def __init__(self, low: float, high: float, *, integer: bool = False, low_open: bool = False) -> None:
        self.low, self.high, self.integer, self.low_open = low, high, integer, low_open

    def __str__(self) -> str:
        low, high = _plain(self.low), _plain(self.high)
        if self.low_open:
            return f"greater than {low} and at most {high}"
        return f"from {low} to {high}"

    def contains(self, value: float) -> bool:
        above = value > self.low if self.low_open else value >= self.low
        return above and value <= self.high


def _plain(number: float) -> str:
    """3600000 rather than 3.6e+06; 0.01 stays 0.01."""
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


def kind(value: Any) -> str:
    """How a value reads in an error: 'a mapping', 'a list', 'an integer', ..."""
    if isinstance(value, bool):
        return "a boolean"
    names = {dict: "a mapping", list: "a list", str: "a string", type(None): "nothing", int: "an integer"}
    return names.get(type(value), "a number" if isinstance(value, float) else f"a {type(value).__name__}")


def check_number(value: Any, path: str, allowed: Range) -> Any:
    """A finite number within ``allowed``; ``${VAR}`` substitution yields strings, so numeric text is accepted."""
    if isinstance(value, str):
        try:
            value = int(value) if allowed.integer else float(value)
        except ValueError:
            pass
    expected = "an integer" if allowed.integer else "a number"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigurationError(f"{path}: expected {expected}, got {short(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigurationError(f"{path}: expected a finite number {allowed}, got {value!r}")
    if allowed.integer and int(value) != value:
        raise ConfigurationError(f"{path}: expected an integer, got {value!r}")
    if not allowed.contains(value):
        raise ConfigurationError(f"{path}: expected {expected} {allowed}, got {short(value)}")
    return int(value) if allowed.integer else float(value)


def check_str(value: Any, path: str, *, secret: bool = False) -> str | None:
    """A string (``None`` when absent or empty). A secret is never echoed, and must be quoted if it looks numeric."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        if secret:
            hint = " (quote it in the YAML file)" if isinstance(value, int | float) else ""
            raise ConfigurationError(f"{path}: expected a string, got {kind(value)}{hint}")
        raise ConfigurationError(f"{path}: expected a string, got {kind(value)} {short(value)}")
    return value.strip()


def check_bool(value: Any, path: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "yes", "no"):
        return value.strip().lower() in ("true", "yes")
    raise ConfigurationError(f"{path}: expected true or false, got {short(value)}")


def check_mapping(value: Any, path: str, what: str = "a mapping") -> dict[Any, Any]:
    if not isinstance(value, dict):
        raise ConfigurationError(f"{path}: expected {what}, got {kind(value)}")
    return value


def check_keys(entry: dict[Any, Any], known: tuple[str, ...] | list[str], path: str) -> None:
    for key in entry:
        if key not in known:
            raise ConfigurationError(f"{path}.{key}: unknown key (known: {', '.join(known)})")


def short(value: Any, limit: int = 60) -> str:
    """``repr`` cut to one short line, so a huge or multi-line value never floods the error."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
