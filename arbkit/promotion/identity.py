"""What a promotion is about: the hash of the config parts that affect trading, and the target traded on.

The hash covers the exchanges' names and the symbols traded (never credentials or URLs), the ``arbitrage:`` pairs
as parsed (defaults filled in) and the ``execution:`` values; not ``paper:``, ``promotion:`` or ``scan:`` display
settings. The target is ``local-venue`` (the in-process venue, or any venue on a loopback address), else ``live:``
with each exchange's real API host (a testnet host is another target than the exchange's main one).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import msgspec

__all__ = ["LOCAL_VENUE", "TradingIdentity", "changed_sections", "digest", "target_of", "trading_identity"]

LOCAL_VENUE = "local-venue"
_LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


class TradingIdentity(msgspec.Struct, frozen=True):
    """The config hash, one hash per section that feeds it (to say which changed), and the target."""

    config_hash: str
    sections: dict[str, str]
    target: str


def digest(value: Any) -> str:
    """A short stable hash of any msgspec-encodable value (keys sorted)."""
    return hashlib.sha256(msgspec.json.encode(value, order="sorted")).hexdigest()[:16]


def section_hashes(exchanges: Iterable[str], symbols: Iterable[Any], arbitrage: Any, execution: Any) -> dict[str, str]:
    """Per-section hashes: ``exchanges`` (names and symbols), ``arbitrage``, ``execution``."""
    return {
        "exchanges": digest({"names": sorted(exchanges), "symbols": sorted(str(s) for s in symbols)}),
        "arbitrage": digest(arbitrage),
        "execution": digest(execution),
    }


def trading_identity(session: Any, execution: Any) -> TradingIdentity:
    """The identity of what ``session`` would trade under the ``execution`` config."""
    arbitrage = getattr(session, "configured_arbitrage", session.arbitrage)  # not the copy sized to the cap
    sections = section_hashes(session.config.exchanges, session.symbols, arbitrage, execution)
    return TradingIdentity(digest(sections), sections, target_of(session))


def target_of(session: Any) -> str:
    """``local-venue`` for a venue on a loopback address, else ``live:`` plus ``name=host`` of every exchange."""
    venue = getattr(session, "venue", None)
    if venue is not None and (urlsplit(venue.origin).hostname or "") in _LOOPBACK:
        return LOCAL_VENUE
    hosts = []
    for name, entry in sorted(session.config.exchanges.items()):
        hosts.append(f"{name}={urlsplit(entry.rest_url).hostname or entry.rest_url}")
    return "live:" + ",".join(hosts)


def changed_sections(before: dict[str, str], now: dict[str, str]) -> list[str]:
    """The sections whose hash differs between two identities (for the refusal line)."""
    return [name for name in sorted(set(before) | set(now)) if before.get(name) != now.get(name)]
