"""Which recordings a sweep runs on: a recording folder, a folder of recordings, a glob, or a list of these."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable
from pathlib import Path

from arbkit.errors import ConfigurationError
from arbkit.recording.schemas import META_FILE

__all__ = ["find_recordings"]

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
