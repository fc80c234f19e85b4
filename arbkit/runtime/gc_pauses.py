"""Keeps the garbage collector's full collections short in a live session.

A full (generation 2) collection walks every container object alive: after importing ccxt (every exchange class,
protobuf descriptors) and loading markets that is about 240,000 objects and 100-150 ms of CPU with the event loop
stopped, the longest block of a live session. Objects alive at startup live as long as the process, so the session
moves them to the permanent generation (``gc.freeze``): later full collections walk only what it allocated since.
Freezing is O(1) (no collection runs); garbage caught in it is kept until ``thaw`` (when the process's last session
stops) hands everything back to the collector, so a process that runs session after session (tests, notebooks)
does not pile up what earlier ones left.
"""

from __future__ import annotations

import gc


def freeze_long_lived() -> int:
    """Move every object the collector tracks now out of its reach; returns how many are frozen in all."""
    gc.freeze()
    return gc.get_freeze_count()


def thaw() -> None:
    """Give every frozen object back to the collector (the oldest generation): the next full collection frees what
    became garbage while frozen."""
    gc.unfreeze()
