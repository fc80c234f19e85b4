"""The factory: which component classes serve which exchange, and the composites assembled from them.

Adding an exchange is one line in each map (plus its module and config entry).
"""

from __future__ import annotations

from typing import Literal, overload

from arbkit.config import ExchangeConfig
from arbkit.errors import ConfigurationError
from arbkit.exchanges import binance, gateio, kraken, mexc
from arbkit.exchanges.composite_private import CompositePrivateSpotExchange
from arbkit.exchanges.composite_public import CompositePublicSpotExchange
from arbkit.exchanges.generic import generic_components
from arbkit.structs import ExchangeEnum

Key = tuple[ExchangeEnum, bool]


def _both(exchange: ExchangeEnum, public: type, private: type) -> dict[Key, type]:
    return {(exchange, False): public, (exchange, True): private}


EXCHANGE_REST_MAP: dict[Key, type] = {
    **_both(ExchangeEnum.BINANCE, binance.BinancePublicSpotRestInterface, binance.BinancePrivateSpotRestInterface),
    **_both(ExchangeEnum.GATEIO, gateio.GateioPublicSpotRestInterface, gateio.GateioPrivateSpotRestInterface),
    **_both(ExchangeEnum.MEXC, mexc.MexcPublicSpotRestInterface, mexc.MexcPrivateSpotRestInterface),
    **_both(ExchangeEnum.KRAKEN, kraken.KrakenPublicSpotRestInterface, kraken.KrakenPrivateSpotRestInterface),
}

EXCHANGE_WS_MAP: dict[Key, type] = {
    **_both(ExchangeEnum.BINANCE, binance.BinancePublicSpotWebsocket, binance.BinancePrivateSpotWebsocket),
    **_both(ExchangeEnum.GATEIO, gateio.GateioPublicSpotWebsocket, gateio.GateioPrivateSpotWebsocket),
    **_both(ExchangeEnum.MEXC, mexc.MexcPublicSpotWebsocket, mexc.MexcPrivateSpotWebsocket),
    **_both(ExchangeEnum.KRAKEN, kraken.KrakenPublicSpotWebsocket, kraken.KrakenPrivateSpotWebsocket),
}


@overload
def get_composite_implementation(
    exchange_config: ExchangeConfig, is_private: Literal[False] = False
) -> CompositePublicSpotExchange: ...
@overload
def get_composite_implementation(
    exchange_config: ExchangeConfig, is_private: Literal[True]
) -> CompositePrivateSpotExchange: ...
def get_composite_implementation(
    exchange_config: ExchangeConfig, is_private: bool = False
) -> CompositePublicSpotExchange | CompositePrivateSpotExchange:
    """Assemble the composite for one configured exchange; private needs credentials."""
    composite = CompositePrivateSpotExchange if is_private else CompositePublicSpotExchange
    key = (exchange_config.exchange_enum, is_private)
    if key in EXCHANGE_REST_MAP and key in EXCHANGE_WS_MAP:
        return composite(exchange_config, EXCHANGE_REST_MAP[key], EXCHANGE_WS_MAP[key])  # type: ignore[arg-type]
    if exchange_config.ccxt_id:
        rest_cls, ws_cls, spec = generic_components(exchange_config, is_private)
        return composite(exchange_config, rest_cls, ws_cls, spec)  # type: ignore[arg-type]
    side = "private" if is_private else "public"
    raise ConfigurationError(
        f"exchanges.{exchange_config.name}: no {side} implementation registered "
        f"(known: {sorted({k[0].value for k in EXCHANGE_REST_MAP})}; set ccxt_id for the generic ccxt fallback)"
    )
