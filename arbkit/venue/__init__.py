"""The local venue: a real aiohttp server on 127.0.0.1 that speaks each exchange's wire protocol.

``async with LocalVenue(["binance", "gateio"]) as venue: cfg = venue.exchange_config("binance")``
"""

from __future__ import annotations

from arbkit.venue.book import BookDelta, BookSnapshot, VenueBook
from arbkit.venue.engine import BalanceEvent, ErrorKind, MatchingEngine, OrderEvent, VenueError
from arbkit.venue.instruments import Instrument, instrument, instruments
from arbkit.venue.market import SimulatedMarket
from arbkit.venue.server import LocalVenue, serve
from arbkit.venue.threaded import VenueThread

__all__ = [
    "BalanceEvent",
    "BookDelta",
    "BookSnapshot",
    "ErrorKind",
    "Instrument",
    "LocalVenue",
    "MatchingEngine",
    "OrderEvent",
    "SimulatedMarket",
    "VenueBook",
    "VenueError",
    "VenueThread",
    "instrument",
    "instruments",
    "serve",
]
