"""Exchanges behind four interfaces, assembled into composites by the factory."""

from arbkit.exchanges.composite_private import CompositePrivateSpotExchange
from arbkit.exchanges.composite_public import CompositePublicSpotExchange
from arbkit.exchanges.factory import EXCHANGE_REST_MAP, EXCHANGE_WS_MAP, get_composite_implementation
from arbkit.exchanges.interfaces import (
    BasePrivateSpotRestInterface,
    BasePrivateSpotWebsocket,
    BasePublicSpotRestInterface,
    BasePublicSpotWebsocket,
)

__all__ = [
    "EXCHANGE_REST_MAP",
    "EXCHANGE_WS_MAP",
    "BasePrivateSpotRestInterface",
    "BasePrivateSpotWebsocket",
    "BasePublicSpotRestInterface",
    "BasePublicSpotWebsocket",
    "CompositePrivateSpotExchange",
    "CompositePublicSpotExchange",
    "get_composite_implementation",
]
