"""Point a loaded config at a running local venue: every exchange the venue speaks gets the venue's URLs and test
credentials, keeping its other settings; the rest are reported as skipped."""

from __future__ import annotations

from typing import Any

import msgspec

from arbkit.config import ArbkitConfig, ExchangeConfig


def attach_to_venue(config: ArbkitConfig, venue: Any) -> tuple[ArbkitConfig, list[str]]:
    """Return (config rewritten onto ``venue``, names of configured exchanges the venue does not speak)."""
    exchanges: dict[str, ExchangeConfig] = {}
    skipped: list[str] = []
    for name, entry in config.exchanges.items():
        if name not in venue.exchanges:
            skipped.append(name)
            continue
        local = venue.exchange_config(name)
        exchanges[name] = msgspec.structs.replace(
            entry,
            base_url=local.base_url,
            websocket_url=local.websocket_url,
            api_key=local.api_key,
            secret_key=local.secret_key,
            use_testnet=False,
            rate_limit_per_second=None,
            settings={**entry.settings, **local.settings},
        )
    return config.with_exchanges(exchanges), skipped


def venue_speaks(name: str) -> bool:
    """True when the local venue has a working protocol module for this exchange."""
    from arbkit.venue.protocols import load_protocol

    try:
        load_protocol(name)
    except ValueError:
        return False
    return True
