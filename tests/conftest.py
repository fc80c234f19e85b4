"""Shared fixtures: a seeded local venue per test (a real server on 127.0.0.1) and the exchanges it serves.

Every exchange that has both a venue protocol and a factory entry runs the same integration suite.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator

import pytest

from arbkit.exchanges.factory import EXCHANGE_REST_MAP
from arbkit.venue import LocalVenue
from arbkit.venue.attach import venue_speaks
from arbkit.venue.protocols import PROTOCOLS

# pytest-xdist's workers export COLUMNS=80 and LINES=24; the CLI honours COLUMNS, and its tests (and every command
# they start) expect the width of a plain pipe, as in a single-process run
for _var in ("COLUMNS", "LINES"):
    os.environ.pop(_var, None)

SERVED = {name for name in PROTOCOLS if venue_speaks(name)}
PUBLIC_EXCHANGES = sorted(SERVED & {key[0].value for key in EXCHANGE_REST_MAP if not key[1]})
PRIVATE_EXCHANGES = sorted(SERVED & {key[0].value for key in EXCHANGE_REST_MAP if key[1]})


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:  # a record that cannot format is not a secret leak
            pass


@pytest.fixture
async def venue() -> AsyncIterator[LocalVenue]:
    """A running venue for every served exchange; afterwards, no venue secret may appear in any log line."""
    collector = _Collect()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(collector)
    root.setLevel(logging.DEBUG)
    try:
        async with LocalVenue(exchanges=PUBLIC_EXCHANGES, seed=7, update_interval=0.02) as running:
            secrets = [s for name in PUBLIC_EXCHANGES for s in running.credentials(name)]
            yield running
    finally:
        root.removeHandler(collector)
        root.setLevel(previous)
    leaked = [line for line in collector.lines for secret in secrets if secret and secret in line]
    assert not leaked, f"a secret appeared in {len(leaked)} log line(s)"
