"""Every notebook in notebooks/ is linked from the README's "Notebook tour", once each and in file order."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"\]\((notebooks/[^)\s]+\.ipynb)\)")


def _tour() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Notebook tour")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def test_every_notebook_is_linked_in_order() -> None:
    on_disk = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "notebooks").glob("*.ipynb"))
    linked = LINK.findall(_tour())
    assert on_disk, "no notebooks found"
    assert linked == on_disk, f"README tour links {linked}, notebooks/ holds {on_disk}"


def test_tour_has_one_numbered_line_per_notebook() -> None:
    lines = [line for line in _tour().splitlines() if LINK.search(line)]
    numbers = [int(line.split(".", 1)[0]) for line in lines]
    assert numbers == list(range(1, len(lines) + 1))
