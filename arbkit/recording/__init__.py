"""Recording a session to hive-partitioned Parquet, and replaying a recording through the local venue.

``Recorder(out_dir).attach(session)`` writes ``books/``, ``health/`` and ``opportunities/``;
``await replay(out_dir)`` feeds the books back through the venue's wire protocols to a fresh session, in the
recorded order, and returns the opportunity events its scanner produced. ``compact(out_dir)`` merges small part
files; ``import_tardis(files, exchange, symbol, out_dir)`` makes a recording from vendor L2 files. The layout and
schema are in docs/recordings.md.
"""

from __future__ import annotations

from arbkit.recording.compact import CompactReport, compact
from arbkit.recording.importer import ImportReport, import_tardis
from arbkit.recording.reader import RecordedUpdate, load_updates, scan_dataset
from arbkit.recording.recorder import Recorder
from arbkit.recording.replay import Replayer, ReplayResult, opportunity_keys, replay
from arbkit.recording.replay_market import ReplayMarket
from arbkit.recording.schemas import (
    BOOK_SCHEMA,
    DATASETS,
    HEALTH_SCHEMA,
    META_FILE,
    OPPORTUNITY_SCHEMA,
    RecordingMeta,
    dataset_glob,
    read_meta,
)

__all__ = [
    "BOOK_SCHEMA",
    "DATASETS",
    "HEALTH_SCHEMA",
    "META_FILE",
    "OPPORTUNITY_SCHEMA",
    "CompactReport",
    "ImportReport",
    "RecordedUpdate",
    "Recorder",
    "RecordingMeta",
    "ReplayMarket",
    "ReplayResult",
    "Replayer",
    "compact",
    "dataset_glob",
    "import_tardis",
    "load_updates",
    "opportunity_keys",
    "read_meta",
    "replay",
    "scan_dataset",
]
