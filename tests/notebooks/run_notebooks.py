"""Execute the notebooks in place so the committed files carry their charts: ``python -m tests.notebooks.run_notebooks
[01 02 ...]`` from the repository root (all five by default).

Widget state is never stored: a live widget's output keeps only its text fallback (``LiveChart.snapshot()`` shows
the chart statically). Execution timings and counts are dropped so a re-run changes only what the cells print.
"""

from __future__ import annotations

import sys
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def clean(nb: dict) -> dict:
    """Drop widget state and views, execution metadata and empty stream outputs."""
    nb["metadata"].pop("widgets", None)
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        cell["metadata"].pop("execution", None)
        outputs = []
        for out in cell.get("outputs", []):
            data = out.get("data")
            if data is not None:
                data.pop(WIDGET_VIEW, None)
                if not data:
                    continue
            outputs.append(out)
        cell["outputs"] = outputs
    return nb


def run(path: Path, timeout: int = 300) -> None:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.store_widget_state = False
    client.execute()
    nbformat.write(nbformat.from_dict(clean(nb)), path)


def main(argv: list[str]) -> int:
    paths = sorted(NOTEBOOKS.glob("*.ipynb"))
    if argv:
        paths = [p for p in paths if any(p.name.startswith(a) for a in argv)]
    for path in paths:
        print(f"running {path.name}", flush=True)
        run(path)
        print(f"  {path.stat().st_size / 1e6:.2f} MB", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
