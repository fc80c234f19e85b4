"""PartWriter: buffers to Parquet on a worker thread, staged on every flush, rolled into few visible files.

Each flushed batch is written at once, one small file per partition, under ``.staging/`` (renamed into place,
so it is whole on disk: a crash loses at most the batch still in memory, and the next recorder or
``arbkit compact`` recovers the staged files). Readers never see staging. A partition's staged files are merged
into one visible part file when they reach ``roll_bytes`` or their first is ``roll_interval`` seconds old, and
at close: a long recording makes about one file per partition per ``roll_interval``, not one per flush.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import msgspec
import polars as pl

from arbkit.recording.buffers import BookBuffer, RowBuffer
from arbkit.recording.files import STAGING, final_name, merge_parts, staged_name, write_frame
from arbkit.recording.schemas import DATASETS, PARTITIONS

__all__ = ["PartWriter"]

_ROLL = "roll"  # queue item: check the roll deadlines with no new batch
_ROLL_ALL = "roll-all"


class _Open(msgspec.Struct):
    """The staged, not yet visible, files of one partition."""

    files: list[tuple[int, Path]]
    bytes: int
    opened: float


class PartWriter:
    """Writes queued buffers, in queue order, from a worker thread; counts rows and failed batches.

    ``log`` is the owner's logger, so a failed batch is reported where the owner's other messages are.
    """

    def __init__(
        self,
        out_dir: Path,
        compression: str,
        log: logging.Logger,
        roll_interval: float = 300.0,
        roll_bytes: int = 128 << 20,
    ) -> None:
        self.out_dir = out_dir
        self.compression = compression
        self.roll_interval = roll_interval
        self.roll_bytes = roll_bytes
        self.run = f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{uuid.uuid4().hex[:6]}"
        self.batches = 0
        self.rolled = 0
        self.rows_written: dict[str, int] = dict.fromkeys(DATASETS, 0)
        self.errors: list[str] = []
        self._log = log
        self._open: dict[tuple[str, Path], _Open] = {}
        self._queue: asyncio.Queue[tuple[str, Any] | None] | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def started(self) -> bool:
        return self._task is not None

    def start(self) -> None:
        """Start the writer task on the running loop."""
        self._queue = asyncio.Queue()
        self._task = asyncio.get_running_loop().create_task(self._write_loop(), name="arbkit-recorder-writer")

    def put(self, dataset: str, buffer: BookBuffer | RowBuffer) -> None:
        """Queue a full buffer of ``dataset`` (dropped if the writer never started)."""
        if self._queue is not None:
            self._queue.put_nowait((dataset, buffer))

    def check_rolls(self) -> None:
        """Queue a check of the roll deadlines (so a partition that stopped receiving rows still rolls)."""
        if self._queue is not None and self._open:
            self._queue.put_nowait((_ROLL, None))

    async def drain(self) -> None:
        """Wait until every queued buffer is on disk (staged or visible)."""
        if self._queue is not None:
            await self._queue.join()

    async def close(self) -> None:
        """Write everything queued, make every staged file visible, then stop the writer task."""
        if self._task is not None and self._queue is not None:
            self._queue.put_nowait((_ROLL_ALL, None))
            self._queue.put_nowait(None)
            await self._task

    @property
    def staged_partitions(self) -> int:
        """Partitions holding staged rows not yet visible to readers."""
        return len(self._open)

    async def _write_loop(self) -> None:
        assert self._queue is not None
        while True:
            item = await self._queue.get()
            try:
                if item is None:
                    return
                dataset, buffer = item
                if dataset in (_ROLL, _ROLL_ALL):
                    await self._guarded(
                        f"roll of {self.staged_partitions} partition(s)", self._roll, dataset == _ROLL_ALL
                    )
                    continue
                self.batches += 1
                rows = await self._guarded(f"{dataset} batch {self.batches}", self._write_batch, dataset, buffer)
                if rows is not None:
                    self.rows_written[dataset] += rows
                await self._guarded("roll", self._roll, False)
            finally:
                self._queue.task_done()

    async def _guarded(self, what: str, fn: Any, *args: Any) -> Any:
        try:
            return await asyncio.to_thread(fn, *args)
        except Exception as exc:
            self.errors.append(f"{what}: {exc}")
            self._log.error("recorder %s: %s failed: %s", self.out_dir, what, exc)
            return None

    def _write_batch(self, dataset: str, buffer: Any) -> int:
        """Worker thread: one staged file per (date, exchange, symbol) present in the batch."""
        batch = self.batches
        frame: pl.DataFrame = buffer.frame()
        buffer.release()  # free the Python objects here, in slices, not on the event loop when the buffer dies
        key = PARTITIONS[dataset]
        parts = frame.with_columns(_date=pl.col("ts").dt.date()).partition_by(
            ["_date", key, "symbol"], maintain_order=True, as_dict=True
        )
        now = time.monotonic()
        for (day, name, symbol), part in parts.items():
            rel = Path(f"date={day}", f"{key}={quote(str(name), safe='')}", f"symbol={quote(str(symbol), safe='')}")
            folder = self.out_dir / STAGING / dataset / rel
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / staged_name(self.run, batch)
            size = write_frame(part.drop("_date"), path, self.compression)
            staged = self._open.setdefault((dataset, rel), _Open([], 0, now))
            staged.files.append((batch, path))
            staged.bytes += size
        return frame.height

    def _roll(self, everything: bool) -> None:
        """Worker thread: make due partitions' staged files one visible part file each."""
        now = time.monotonic()
        for (dataset, rel), staged in list(self._open.items()):
            due = now - staged.opened >= self.roll_interval or staged.bytes >= self.roll_bytes
            if not (everything or due):
                continue
            folder = self.out_dir / dataset / rel
            folder.mkdir(parents=True, exist_ok=True)
            dest = folder / final_name(self.run, staged.files[0][0], staged.files[-1][0])
            sources = [path for _, path in staged.files]
            if len(sources) == 1:
                sources[0].replace(dest)  # one staged file is already a whole part: just move it
            else:
                merge_parts(sources, dest, dataset, self.compression)
                for path in sources:
                    path.unlink(missing_ok=True)
            del self._open[(dataset, rel)]
            self.rolled += 1
        if everything and not self._open:
            shutil.rmtree(self.out_dir / STAGING, ignore_errors=True)
