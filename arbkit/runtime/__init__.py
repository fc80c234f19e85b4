"""The runtime: sessions that keep exchanges, the scanner and the local venue running (CLI, scripts, notebooks)."""

from arbkit.runtime.session import Session, VenueStatus, connect, stop_all

__all__ = ["Session", "VenueStatus", "connect", "stop_all"]
