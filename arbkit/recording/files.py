"""Part files on disk: staged and rolled names, atomic writes and merges, the recording lock, crash recovery.

Every Parquet file is written under a temporary name and renamed into place, so a reader never sees half a
file. The recorder first writes each flushed batch to ``.staging/`` (hidden from readers, safe on disk) and
later merges a partition's staged files into one visible part file: see ``writer``.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import re
import shutil
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from arbkit.errors import ArbkitError
from arbkit.recording.schemas import DATASETS, dataset_schema

__all__ = [
    "STAGING",
    "TMP",
    "RecordingLock",
    "exchange_dirs",
    "final_name",
    "merge_parts",
    "normalise",
    "recover",
    "staged_name",
    "write_frame",
]

log = logging.getLogger(__name__)

STAGING = ".staging"  # out_dir/.staging/<dataset>/<partition>/stage-<run>-<batch>.parquet
TMP = ".arbkit-tmp"  # scratch space of compaction, on the same filesystem so renames are atomic
LOCK = ".arbkit-lock"
ROWS_PER_GROUP = 1 << 20

_STAGED = re.compile(r"^stage-(?P<run>.+)-(?P<batch>\d{6,})\.parquet$")
_FINAL = re.compile(r"^part-(?P<run>.+?)-(?P<first>\d{6,})(?:-(?P<last>\d{6,}))?\.parquet$")


def staged_name(run: str, batch: int) -> str:
    return f"stage-{run}-{batch:06d}.parquet"


def final_name(run: str, first: int, last: int) -> str:
    """A rolled part: the run and the range of writer batches it holds (recovery reads the range back)."""
    return f"part-{run}-{first:06d}-{last:06d}.parquet"


def write_frame(frame: pl.DataFrame, path: Path, compression: str) -> int:
    """Write ``frame`` to ``path`` through a temporary name; returns the file's size in bytes."""
    tmp = path.with_name(f".{path.name}.tmp")
    frame.write_parquet(tmp, compression=compression, statistics=True)
    os.replace(tmp, path)
    return path.stat().st_size


def normalise(frame: pl.DataFrame, dataset: str) -> pl.DataFrame:
    """``frame`` in its dataset's schema: columns in schema order and types, missing ones null, extra ones kept."""
    schema = dataset_schema(dataset)
    present = set(frame.columns)
    columns = [
        pl.col(name).cast(dtype) if name in present else pl.lit(None, dtype).alias(name)
        for name, dtype in schema.items()
    ]
    extra = [name for name in frame.columns if name not in schema]
    return frame.select(*columns, *extra)


def merge_parts(sources: Sequence[Path], dest: Path, dataset: str, compression: str) -> int:
    """Concatenate part files (in the order given) into ``dest``, streaming a row group at a time; returns rows.

    The result is written under a temporary name in ``dest``'s folder and renamed, so it appears whole or not at
    all. The sources are left in place for the caller to remove.
    """
    tmp = dest.with_name(f".{dest.name}.tmp")
    writer: pq.ParquetWriter | None = None
    pending: list[pa.Table] = []
    held = rows = 0
    try:
        for source in sources:
            table = normalise(pl.read_parquet(source), dataset).to_arrow()
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema, compression=compression)
            pending.append(table.cast(writer.schema))
            held += table.num_rows
            rows += table.num_rows
            if held >= ROWS_PER_GROUP:
                writer.write_table(pa.concat_tables(pending), row_group_size=ROWS_PER_GROUP)
                pending, held = [], 0
        if writer is None:
            raise ArbkitError(f"merge {dest}: no source files")
        if pending:
            writer.write_table(pa.concat_tables(pending), row_group_size=ROWS_PER_GROUP)
        writer.close()
        writer = None
        os.replace(tmp, dest)
    finally:
        if writer is not None:
            writer.close()
        tmp.unlink(missing_ok=True)
    return rows


# ---------------------------------------------------------------------------------------------- atomic swap

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _renameat2() -> Any:
    with contextlib.suppress(OSError, AttributeError):
        fn = ctypes.CDLL(None, use_errno=True).renameat2
        fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
        return fn
    return None


_EXCHANGE = _renameat2()


def exchange_dirs(a: Path, b: Path) -> bool:
    """Atomically swap two directories (Linux ``renameat2(RENAME_EXCHANGE)``); False where the OS cannot."""
    if _EXCHANGE is None:
        return False
    if _EXCHANGE(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    errno = ctypes.get_errno()
    if errno in (22, 38, 95):  # EINVAL / ENOSYS / EOPNOTSUPP: this filesystem cannot exchange
        return False
    raise OSError(errno, f"renameat2({a}, {b}): {os.strerror(errno)}")


# ---------------------------------------------------------------------------------------------- lock


class RecordingLock:
    """An exclusive advisory lock on a recording directory, held by a recorder or a compaction while it writes."""

    def __init__(self, out_dir: Path, holder: str) -> None:
        self.path = out_dir / LOCK
        self._fd: int | None = None
        self.holder = holder

    def acquire(self) -> RecordingLock:
        try:
            import fcntl
        except ImportError:  # no flock on this OS: run unguarded
            return self
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise ArbkitError(
                f"recording {self.path.parent}: in use by another recorder or compaction ({self.holder} refused)"
            ) from None
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None


# ---------------------------------------------------------------------------------------------- recovery


def _covered(folder: Path, run: str, batch: int) -> bool:
    """Whether a rolled part in ``folder`` already holds ``batch`` of ``run`` (a roll that crashed mid-cleanup)."""
    for path in folder.glob(f"part-{run}-*.parquet"):
        match = _FINAL.match(path.name)
        if match and match["run"] == run:
            first = int(match["first"])
            last = int(match["last"] or first)
            if first <= batch <= last:
                return True
    return False


def _staged_groups(out_dir: Path) -> Iterator[tuple[str, Path, str, list[tuple[int, Path]]]]:
    """(dataset, partition folder relative to the dataset, run, [(batch, staged file)]) left in ``.staging``."""
    for dataset in DATASETS:
        root = out_dir / STAGING / dataset
        groups: dict[tuple[Path, str], list[tuple[int, Path]]] = {}
        for path in sorted(root.glob("**/stage-*.parquet")):
            match = _STAGED.match(path.name)
            if match:
                groups.setdefault((path.parent.relative_to(root), match["run"]), []).append((int(match["batch"]), path))
        for (rel, run), files in sorted(groups.items()):
            yield dataset, rel, run, sorted(files)


def recover(out_dir: Path, compression: str) -> int:
    """Finish what a crashed recorder or compaction left: staged batches become visible parts, scratch goes.

    Call it holding the ``RecordingLock``. Returns how many staged files were promoted.
    """
    shutil.rmtree(out_dir / TMP, ignore_errors=True)
    promoted = 0
    for dataset, rel, run, files in _staged_groups(out_dir):
        folder = out_dir / dataset / rel
        folder.mkdir(parents=True, exist_ok=True)
        todo = [(batch, path) for batch, path in files if not _covered(folder, run, batch)]
        if todo:
            dest = folder / final_name(run, todo[0][0], todo[-1][0])
            merge_parts([p for _, p in todo], dest, dataset, compression)
            promoted += len(todo)
            log.warning("recording %s: recovered %d staged %s batch(es) into %s", out_dir, len(todo), dataset, dest)
        for _, path in files:
            path.unlink(missing_ok=True)
    shutil.rmtree(out_dir / STAGING, ignore_errors=True)
    return promoted


def new_scratch(out_dir: Path) -> Path:
    """A fresh scratch folder under ``out_dir/.arbkit-tmp`` (same filesystem as the dataset)."""
    path = out_dir / TMP / uuid.uuid4().hex[:12]
    path.mkdir(parents=True)
    return path
