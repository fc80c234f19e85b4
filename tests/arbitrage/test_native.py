"""``arbkit.arbitrage.native``: which walk runs (the compiled one only when built from today's source), and the
compiled walk giving exactly the source's answers. ``WALKS`` (both modules; the compiled one skipped where it is
not built) parametrises the tests that look inside the walk."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from types import ModuleType

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arbkit.arbitrage import native
from arbkit.arbitrage.evaluate import VenuePairSpec, make_spec
from arbkit.arbitrage.opportunity import BookRejectedError
from arbkit.structs import Level, Symbol, SymbolInfo
from tests.arbitrage.test_sizing_property import cases

_COMPILED = native.compiled()
WALKS = [
    pytest.param(native.pure(), id="source"),
    pytest.param(_COMPILED, id="compiled", marks=pytest.mark.skipif(_COMPILED is None, reason="walk.py not compiled")),
]
needs_compiled = pytest.mark.skipif(_COMPILED is None, reason="walk.py is not compiled here (see setup.py)")
BTC = Symbol.parse("BTC/USDT")


def test_the_implementation_in_use_is_named() -> None:
    assert native.COMPILED == (native.evaluate_levels is getattr(_COMPILED, "evaluate_levels", None))
    expected = "compiled (mypyc)" if native.COMPILED else "pure Python ("
    assert native.IMPLEMENTATION.startswith(expected)
    assert native.pure().__file__ == str(Path(native.__file__).with_name("walk.py"))


@needs_compiled
def test_a_compiled_walk_from_today_s_source_is_the_one_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    from arbkit.arbitrage._walk_build import SOURCE_SHA256

    source = Path(native.__file__).with_name("walk.py").read_bytes()
    assert SOURCE_SHA256 == hashlib.sha256(source).hexdigest(), "rebuild: pip install -e ."
    monkeypatch.delenv("ARBKIT_PURE_PYTHON", raising=False)
    assert native._choose() == (_COMPILED, "compiled (mypyc)")
    assert native.pure() is not _COMPILED and native.pure().__name__ == "arbkit.arbitrage._walk_source"


@needs_compiled
def test_a_stale_compiled_walk_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARBKIT_PURE_PYTHON", raising=False)
    edited = tmp_path / "walk.py"
    edited.write_text(Path(native.__file__).with_name("walk.py").read_text() + "\n# edited after the build\n")
    monkeypatch.setattr(native, "_SOURCE", edited)
    with pytest.warns(RuntimeWarning, match=r"compiled walk is older than arbkit/arbitrage/walk.py.*pip install -e"):
        module, why = native._choose()
    assert module is native.pure() and why.startswith("pure Python (the compiled walk is stale")


@needs_compiled
def test_the_environment_can_ask_for_the_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARBKIT_PURE_PYTHON", "1")
    module, why = native._choose()
    assert module is native.pure() and why.startswith("pure Python (ARBKIT_PURE_PYTHON is set")


@pytest.mark.parametrize("module", WALKS)
def test_an_empty_side_is_rejected_by_both(module: ModuleType) -> None:
    spec = make_spec("p", SymbolInfo("a", BTC, 0.01, 0.01), SymbolInfo("b", BTC, 0.01, 0.01), 0.0)
    with pytest.raises(BookRejectedError, match=r"^p a->b: empty side$"):
        module.evaluate_levels(spec, [], [(101.0, 1.0)], 0)
    with pytest.raises(BookRejectedError, match=r"^p a->b: empty side$"):
        module.evaluate_levels(spec, [[100.0, 1.0]], [], 0)


def _odd(levels: list[Level], how: str) -> list:
    """The same book as lists (ccxt's shape) or with integral floats as ints."""
    if how == "lists":
        return [list(level) for level in levels]
    if how == "ints":
        return [tuple(int(x) if x == int(x) else x for x in level) for level in levels]
    return levels


@needs_compiled
@settings(
    max_examples=300,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(cases(), st.sampled_from(["tuples", "tuples", "lists", "ints"]))
def test_the_compiled_walk_answers_exactly_as_the_source(
    case: tuple[VenuePairSpec, list[Level], list[Level]], how: str
) -> None:
    """Every field equal, floats to the bit, and the same levels read, on the random books of the exact-reference
    property test (fast path, general path, early exits), also given as lists or with ints."""
    assert _COMPILED is not None
    spec, asks, bids = case
    asks, bids = _odd(asks, how), _odd(bids, how)
    read_source, read_compiled = [0, 0], [0, 0]
    expected = native.pure().evaluate_levels(spec, asks, bids, 7, read_source)
    got = _COMPILED.evaluate_levels(spec, asks, bids, 7, read_compiled)
    assert (got is None) == (expected is None), (got, expected)
    if got is not None and expected is not None:  # equal, and floats to the bit (0.0 and -0.0 differ)
        for x, y in zip(msgspec.structs.astuple(got), msgspec.structs.astuple(expected), strict=True):
            assert x == y and (repr(x) == repr(y) or not isinstance(x, float) or not isinstance(y, float)), (x, y)
    assert read_compiled == read_source


def test_the_source_module_is_importable_apart_and_shares_the_error_class() -> None:
    source = native.pure()
    assert sys.modules[source.__name__] is source
    assert source.BookRejectedError is BookRejectedError
