"""A reader sees every chart: each committed notebook, exported with ``nbconvert --to html`` as it is (outputs
included, no execution: nbval runs them), draws one plotly chart per chart cell, with plotly.js embedded once so
the export works offline. JupyterLab gets plotly's own mimetype from the same outputs. No widget state is stored.

Regenerate the outputs with ``python -m tests.notebooks.run_notebooks``.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbconvert import HTMLExporter

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))
PLOTLY_MIME = "application/vnd.plotly.v1+json"
# a cell whose last line draws a chart: a chart function (``*_chart(``, ``*_heatmap(``, ``*_timeline(``) or a
# LiveChart's static snapshot; and any cell that holds a plotly output
CHART_CALL = re.compile(r"^[\w.]*(_chart|_heatmap|_timeline)\(|\.snapshot\(\)$")
PLOTLY_JS_MARK = "window.Plotly = Plotly"


def _chart_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    cells = []
    for cell in nb.cells:
        lines = [line for line in cell.source.strip().splitlines() if line.strip()]
        if cell.cell_type != "code":
            continue
        if (lines and CHART_CALL.search(lines[-1].split("#")[0].strip())) or _figures(cell):
            cells.append(cell)
    return cells


def _figures(cell: nbformat.NotebookNode) -> list[dict]:
    return [out.data for out in cell.get("outputs", []) if PLOTLY_MIME in out.get("data", {})]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_chart_cell_shows_a_chart_in_the_html_export(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    charts = _chart_cells(nb)
    for cell in charts:
        figures = _figures(cell)
        assert len(figures) == 1, f"{path.name}: chart cell without its chart output:\n{cell.source}"
        assert "Plotly.newPlot(" in figures[0].get("text/html", ""), f"{path.name}: no HTML fallback:\n{cell.source}"
    body, _ = HTMLExporter().from_notebook_node(nb)
    assert body.count("Plotly.newPlot(") == len(charts), f"{path.name}: charts in the HTML export"
    assert body.count(PLOTLY_JS_MARK) == (1 if charts else 0), f"{path.name}: plotly.js must be embedded once"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_outputs_stay_small_and_hold_no_widget_state(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    assert "widgets" not in nb.metadata, f"{path.name}: widget state committed"
    sizes: dict[str, int] = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            for mime, value in out.get("data", {}).items():
                assert mime != "application/vnd.jupyter.widget-view+json", f"{path.name}: widget view committed"
                if PLOTLY_JS_MARK not in str(value):
                    sizes[mime] = sizes.get(mime, 0) + len(str(value))
    assert sum(sizes.values()) < 1_500_000, f"{path.name}: outputs besides plotly.js too large: {sizes}"
