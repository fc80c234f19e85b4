"""Recording a session to hive-partitioned Parquet, and replaying a recording through the local venue.

``Recorder(out_dir).attach(session)`` writes ``books/``, ``health/`` and ``opportunities/``;
``await replay(out_dir)`` feeds the books back through the venue's wire protocols to a fresh session, in the
recorded order, and returns the opportunity events its scanner produced.
"""

from __future__ import annotations

from arbkit.recording.recorder import (
    BOOK_SCHEMA,
    DATASETS,
    HEALTH_SCHEMA,
    META_FILE,
    OPPORTUNITY_SCHEMA,
    Recorder,
    RecordingMeta,
    dataset_glob,
    read_meta,
)
from arbkit.recording.replay import (
    RecordedUpdate,
    Replayer,
    ReplayMarket,
    ReplayResult,
    load_updates,
    opportunity_keys,
    replay,
    scan_dataset,
)

__all__ = [
    "BOOK_SCHEMA",
    "DATASETS",
    "HEALTH_SCHEMA",
    "META_FILE",
    "OPPORTUNITY_SCHEMA",
    "RecordedUpdate",
    "Recorder",
    "RecordingMeta",
    "ReplayMarket",
    "ReplayResult",
    "Replayer",
    "dataset_glob",
    "load_updates",
    "opportunity_keys",
    "read_meta",
    "replay",
    "scan_dataset",
]
