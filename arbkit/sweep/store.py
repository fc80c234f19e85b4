"""Where a sweep's rows go as cells finish: a Parquet file rewritten atomically, with a line log beside it.

Every finished row is appended to ``<out>.rows.jsonl`` and flushed to disk at once (a crash loses no finished
cell; a line cut short by the crash is ignored), and ``<out>`` itself is rewritten (temporary file, then rename) at
most every ``flush_seconds`` and at the end, when the log is removed. Opening the same ``out`` again merges what the
previous run left (Parquet and log) so its finished cells are skipped.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec
import polars as pl

from arbkit.errors import ConfigurationError
from arbkit.sweep.results import frame_rows, rows_frame

__all__ = ["ResultStore"]


class ResultStore:
    """The rows of one sweep, keyed by (cell_id, recording); ``out=None`` keeps them in memory only."""

    def __init__(self, out: str | os.PathLike[str] | None, flush_seconds: float = 5.0) -> None:
        self.out = None if out is None else Path(out)
        self.flush_seconds = flush_seconds
        self._rows: dict[tuple[str, str], dict[str, Any]] = {}
        self._log: Any = None
        self._last_write = time.monotonic()
        self._dirty = False
        if self.out is not None:
            self._open()

    @property
    def log_path(self) -> Path | None:
        return None if self.out is None else self.out.with_name(self.out.name + ".rows.jsonl")

    def finished(self) -> set[tuple[str, str]]:
        """(cell_id, recording) of every row that succeeded; failed ones are run again."""
        return {key for key, row in self._rows.items() if row["status"] == "ok"}

    def add(self, row: Mapping[str, Any]) -> None:
        """Keep a finished row: logged to disk at once, the Parquet file refreshed now and then."""
        self._rows[(row["cell_id"], row["recording"])] = dict(row)
        if self._log is not None:
            self._log.write(msgspec.json.encode(row) + b"\n")
            self._log.flush()
            os.fsync(self._log.fileno())
            self._dirty = True
            if time.monotonic() - self._last_write >= self.flush_seconds:
                self._write()

    def frame(self) -> pl.DataFrame:
        return rows_frame(self._rows.values())

    def close(self) -> pl.DataFrame:
        """Write the final Parquet file, drop the log, and return every row (earlier runs' included)."""
        frame = self.frame()
        if self.out is not None:
            self._write(frame)
            if self._log is not None:
                self._log.close()
                self._log = None
            assert self.log_path is not None
            self.log_path.unlink(missing_ok=True)
        return frame

    def _open(self) -> None:
        assert self.out is not None and self.log_path is not None
        if self.out.exists() and not self.out.is_file():
            raise ConfigurationError(f"{self.out}: --out must be a Parquet file path, not a directory")
        if not self.out.parent.is_dir():
            raise ConfigurationError(f"{self.out}: the folder {self.out.parent} does not exist")
        if self.out.is_file():
            try:
                previous = pl.read_parquet(self.out)
            except Exception as exc:  # polars raises several types for a file that is not Parquet
                raise ConfigurationError(f"{self.out}: not a sweep results file ({type(exc).__name__})") from None
            if "cell_id" not in previous.columns or "params" not in previous.columns:
                raise ConfigurationError(f"{self.out}: not a sweep results file (no cell_id/params columns)")
            for row in frame_rows(previous):
                self._rows[(row["cell_id"], row["recording"])] = row
        if self.log_path.is_file():
            for line in self.log_path.read_bytes().splitlines():
                try:
                    row = msgspec.json.decode(line)
                except msgspec.DecodeError:
                    continue  # the last line of a crashed run, cut short
                self._rows[(row["cell_id"], row["recording"])] = row
            self._dirty = True
        if self._dirty:
            self._write()
        self._log = open(self.log_path, "wb")

    def _write(self, frame: pl.DataFrame | None = None) -> None:
        assert self.out is not None
        frame = self.frame() if frame is None else frame
        tmp = self.out.with_name(f".{self.out.name}.{os.getpid()}.tmp")
        frame.write_parquet(tmp, compression="zstd")
        os.replace(tmp, self.out)
        self._last_write = time.monotonic()
        self._dirty = False
