"""``compact(dir)``: merge each partition's small part files into one, atomically, and recover crashed batches.

A partition folder is rebuilt beside the dataset (big files hard-linked, small ones merged into one file) and
swapped in with one atomic directory exchange, so a reader sees the old files or the new ones, never both and
never half a file. Where the OS cannot exchange directories (not Linux), the merged file is renamed in first and
the merged-away files removed after: a reader listing the folder in between can see those rows twice.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import msgspec
import pyarrow.parquet as pq

from arbkit.errors import ArbkitError
from arbkit.recording.files import TMP, RecordingLock, exchange_dirs, merge_parts, new_scratch, recover
from arbkit.recording.schemas import DATASETS, read_meta, write_meta

__all__ = ["CompactReport", "compact"]


class CompactReport(msgspec.Struct, kw_only=True):
    """What a compaction did: staged batches recovered, partitions rewritten, files before and after, rows."""

    recovered: int = 0
    partitions: int = 0
    files_before: dict[str, int] = msgspec.field(default_factory=dict)
    files_after: dict[str, int] = msgspec.field(default_factory=dict)
    rows: dict[str, int] = msgspec.field(default_factory=dict)

    def summary(self) -> str:
        per = ", ".join(f"{d} {self.files_before[d]} -> {self.files_after[d]} files" for d in self.files_before)
        return f"{per}; {self.partitions} partition(s) rewritten, {self.recovered} staged batch(es) recovered"


def _partitions(root: Path) -> list[Path]:
    """Leaf folders holding part files, in path order."""
    return sorted({path.parent for path in root.glob("**/*.parquet")})


def _rebuild(out_dir: Path, folder: Path, dataset: str, small: list[Path], compression: str) -> None:
    """Replace ``small`` in ``folder`` with one merged file, keeping the other files, as one atomic swap."""
    scratch = new_scratch(out_dir)
    try:
        fresh = scratch / folder.name
        fresh.mkdir()
        keep = [entry for entry in folder.iterdir() if entry.is_file() and entry not in small]
        for entry in keep:
            os.link(entry, fresh / entry.name)
        merged_name = small[0].name.removesuffix(".parquet") + "-compacted.parquet"
        merge_parts(small, fresh / merged_name, dataset, compression)
        if not exchange_dirs(fresh, folder):
            os.replace(fresh / merged_name, folder / merged_name)
            for path in small:
                path.unlink(missing_ok=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def compact(
    recording_dir: str | os.PathLike[str], *, small_bytes: int = 64 << 20, compression: str = "zstd"
) -> CompactReport:
    """Merge every partition's part files smaller than ``small_bytes`` into one file per partition.

    Refuses a recording that a recorder (or another compaction) is writing. Staged batches a crashed recorder
    left are made visible first. ``recording.json``'s row counts are refreshed from the files.
    """
    out_dir = Path(recording_dir)
    if not out_dir.is_dir():
        raise ArbkitError(f"compact {out_dir}: no such directory")
    meta = read_meta(out_dir)
    lock = RecordingLock(out_dir, "compaction").acquire()
    report = CompactReport()
    try:
        report.recovered = recover(out_dir, compression)
        for dataset in DATASETS:
            root = out_dir / dataset
            report.files_before[dataset] = len(list(root.glob("**/*.parquet")))
            for folder in _partitions(root):
                small = sorted(p for p in folder.glob("*.parquet") if p.stat().st_size < small_bytes)
                if len(small) >= 2:
                    _rebuild(out_dir, folder, dataset, small, compression)
                    report.partitions += 1
            files = sorted(root.glob("**/*.parquet"))
            report.files_after[dataset] = len(files)
            report.rows[dataset] = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
        shutil.rmtree(out_dir / TMP, ignore_errors=True)
        meta.rows = dict(report.rows)
        write_meta(out_dir, meta)
    finally:
        lock.release()
    return report
