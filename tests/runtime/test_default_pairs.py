"""Watched symbols without an arbitrage pair get one with default settings; configured pairs are left alone."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from arbkit.runtime.default_pairs import DEFAULT_MIN_PROFIT_BPS, configured_symbols, with_default_pairs
from arbkit.structs import Symbol

BTC, SOL = Symbol.parse("BTC/USDT"), Symbol.parse("SOL/USDT")
RAW = {"enabled_exchanges": ["binance", "kraken"], "arbitrage_pairs": [{"id": "btc_usdt", "base_asset": "BTC",
       "quote_asset": "USDT", "min_profit_bps": 2, "max_notional": 5000}]}  # fmt: skip


def test_uncovered_symbol_gets_a_default_pair() -> None:
    out = with_default_pairs(RAW, [BTC, SOL])
    assert out["arbitrage_pairs"][0] == RAW["arbitrage_pairs"][0]
    added = out["arbitrage_pairs"][1]
    assert added == {
        "id": "sol_usdt",
        "base_asset": "SOL",
        "quote_asset": "USDT",
        "min_profit_bps": DEFAULT_MIN_PROFIT_BPS,
    }
    assert len(RAW["arbitrage_pairs"]) == 1  # the config's own mapping is not changed
    assert with_default_pairs(RAW, [BTC]) is RAW


def test_a_taken_id_is_not_reused() -> None:
    raw = {"arbitrage_pairs": [{"id": "sol_usdt", "base_asset": "SOL", "quote_asset": "EUR", "min_profit_bps": 1}]}
    ids = [p["id"] for p in with_default_pairs(raw, [SOL])["arbitrage_pairs"]]
    assert ids == ["sol_usdt", "sol_usdt_default"]


@given(
    st.one_of(st.none(), st.integers(), st.text(), st.lists(st.integers()), st.dictionaries(st.text(), st.integers()))
)
def test_malformed_sections_pass_through_for_the_config_to_report(pairs: object) -> None:
    raw = {"arbitrage_pairs": pairs}
    out = with_default_pairs(raw, [SOL])
    if isinstance(pairs, list) or pairs is None:
        assert [p["id"] for p in out["arbitrage_pairs"] if isinstance(p, dict)][-1] == "sol_usdt"
    else:
        assert out is raw
    assert SOL not in configured_symbols(raw)
