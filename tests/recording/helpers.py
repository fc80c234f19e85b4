"""What the recording tests share: two venues and one BTC/USDT pair with low fees, so dislocations survive them."""

from __future__ import annotations

from arbkit.config import ArbkitConfig
from arbkit.venue import LocalVenue

EXCHANGES = ("binance", "gateio")


def two_venue_config(venue: LocalVenue, max_notional: float | None = 20000) -> ArbkitConfig:
    """binance + gateio on ``venue``, taker fee 2 bps each, one btc_usdt pair at 0.5 bps."""
    pair: dict[str, object] = {"id": "btc_usdt", "base_asset": "BTC", "quote_asset": "USDT", "min_profit_bps": 0.5}
    if max_notional is not None:
        pair["max_notional"] = max_notional
    arbitrage = {
        "enabled_exchanges": list(EXCHANGES),
        "fee_overrides": {name: {"taker": 0.0002} for name in EXCHANGES},
        "arbitrage_pairs": [pair],
    }
    return ArbkitConfig(exchanges={n: venue.exchange_config(n) for n in EXCHANGES}, sections={"arbitrage": arbitrage})
