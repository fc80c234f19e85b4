"""The best cell of a sweep written out as a complete config.yaml, ready for ``arbkit run --dry-run``.

The file is the base config as written (``${VAR}`` references kept, so no secret's value is ever written) with the
cell's key paths set, checked by the same parsers a run uses before it is written.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import msgspec
import polars as pl
import yaml

from arbkit.errors import ConfigurationError
from arbkit.sweep.overrides import BaseConfig, cell_config, load_base
from arbkit.sweep.results import best_cells

__all__ = ["export_best", "export_cell"]


def export_best(
    results: pl.DataFrame,
    base_config: BaseConfig | str | os.PathLike[str],
    path: str | os.PathLike[str],
    by: str = "pnl_quote",
    descending: bool = True,
) -> dict[str, Any]:
    """Write the best cell by ``by`` (over its recordings, cells with a failed recording excluded) to ``path``;
    returns that cell's parameters."""
    best = best_cells(results, by=by, n=1, descending=descending)
    if best.height == 0:
        raise ConfigurationError(f"export_best: no cell finished on every recording with a value for {by}")
    row = best.row(0, named=True)
    params = msgspec.json.decode(row["params"])
    header = f"cell {row['cell']} ({by} = {row[by]!r} over {row['recordings']} recording(s))"
    export_cell(params, base_config, path, note=header)
    return params


def export_cell(
    params: dict[str, Any],
    base_config: BaseConfig | str | os.PathLike[str],
    path: str | os.PathLike[str],
    note: str = "",
) -> Path:
    """Write the base config with ``params`` set to ``path`` (atomically), after validating it."""
    base = base_config if isinstance(base_config, BaseConfig) else load_base(base_config)
    raw, _ = cell_config(base, params)
    lines = [f"# exported by arbkit sweep from {base.source}" + (f": {note}" if note else "")]
    lines += [f"#   {key}: {value!r}" for key, value in params.items()]
    text = "\n".join(lines) + "\n" + yaml.safe_dump(raw, sort_keys=False, allow_unicode=True)
    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)
    return target
