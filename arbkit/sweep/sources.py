"""Which recordings a sweep runs on: a recording folder, a folder of recordings, a glob, or a list of these."""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from arbkit.errors import ConfigurationError
from arbkit.recording.schemas import META_FILE

__all__ = ["day_views", "find_recordings"]

Source = str | os.PathLike[str]


def find_recordings(sources: Source | Iterable[Source]) -> list[str]:
    """Absolute paths of the recordings named (a recording is a folder holding ``recording.json``), sorted, once each.

    A folder that is not a recording is searched below for recordings (hidden folders skipped); a pattern with
    ``*``, ``?`` or ``[`` is a glob (``**`` recursive)."""
    items = [sources] if isinstance(sources, str | os.PathLike) else list(sources)
    if not items:
        raise ConfigurationError("recordings: none given")
    found: dict[str, None] = {}
    for item in items:
        text = os.fspath(item)
        paths = sorted(glob.glob(text, recursive=True)) if glob.has_magic(text) else [text]
        hits = [rec for path in paths for rec in _recordings_in(Path(path))]
        if not hits:
            what = "matches nothing" if glob.has_magic(text) and not paths else "holds no recording"
            raise ConfigurationError(f"recordings: {text} {what} (a recording is a folder holding {META_FILE})")
        found.update(dict.fromkeys(hits))
    return list(found)


def _recordings_in(path: Path) -> list[str]:
    if (path / META_FILE).is_file():
        return [str(path.resolve())]
    if path.name == META_FILE and path.is_file():
        return [str(path.parent.resolve())]
    if not path.is_dir():
        return []
    out = []
    for meta in sorted(path.rglob(META_FILE)):
        relative = meta.parent.relative_to(path).parts
        if not any(part.startswith(".") for part in relative):
            out.append(str(meta.parent.resolve()))
    return out


def day_views(recordings: list[str], scratch: str | os.PathLike[str]) -> list[str]:
    """One view per recording and UTC day of its ``books`` partitions (``date=YYYY-MM-DD``), so each day is a sweep
    unit: ``<scratch>/<recording>-<hash>/day-<date>/`` holds the recording's ``recording.json`` and hard links to
    that day's book files (copies across file systems). Replay is valid from any day on, since every recorded update
    is a whole book. Views are rebuilt on each call; on a cluster, ``scratch`` must be on the shared storage too."""
    out: list[str] = []
    for recording in recordings:
        source = Path(recording)
        digest = hashlib.sha256(str(source).encode()).hexdigest()[:8]
        days = sorted(p for p in (source / "books").glob("date=*") if p.is_dir())
        if not days:
            raise ConfigurationError(f"recordings: {source} has no books/date=... partitions to split by day")
        for day in days:
            # named day-<date>, not date=<date>: a second key=value folder in the path confuses hive readers
            view = Path(scratch) / f"{source.name}-{digest}" / day.name.replace("date=", "day-", 1)
            if view.exists():
                shutil.rmtree(view)
            (view / "books").mkdir(parents=True)
            shutil.copy2(source / META_FILE, view / META_FILE)
            for part in sorted(day.rglob("*.parquet")):
                if any(p.startswith(".") for p in part.relative_to(day).parts):
                    continue
                link = view / "books" / day.name / part.relative_to(day)
                link.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.link(part, link)  # a hard link: polars' hive reader does not take symlinked files
                except OSError:
                    shutil.copy2(part, link)  # another file system: a copy
            out.append(str(view.resolve()))
    return out
