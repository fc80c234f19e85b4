"""The public API of arbkit.sweep is what ``__all__`` lists."""

from __future__ import annotations

import arbkit.sweep as sweep_api


def test_public_api_matches_all() -> None:
    public = {n for n in dir(sweep_api) if not n.startswith("_") and n not in {"annotations"}}
    modules = {n for n in public if type(getattr(sweep_api, n)).__name__ == "module"}
    assert sorted(sweep_api.__all__) == sweep_api.__all__
    assert set(sweep_api.__all__) == public - modules
