from __future__ import annotations

import msgspec
import pytest

from arbkit.structs import ExchangeEnum, OrderBook, Side, Symbol


def test_symbol_is_hashable_and_prints_unified() -> None:
    s = Symbol.parse("btc/usdt")
    assert str(s) == "BTC/USDT" and s == Symbol("BTC", "USDT")
    assert {s: 1}[Symbol.parse("BTC/USDT")] == 1
    with pytest.raises(ValueError, match="symbol 'BTCUSDT': expected BASE/QUOTE"):
        Symbol.parse("BTCUSDT")


def test_exchange_enum_accepts_any_case() -> None:
    assert ExchangeEnum.parse("GATEIO") is ExchangeEnum.GATEIO
    with pytest.raises(ValueError, match="unknown exchange 'BITFOO'"):
        ExchangeEnum.parse("BITFOO")


def test_order_book_derived_values_and_roundtrip() -> None:
    book = OrderBook("binance", Symbol.parse("BTC/USDT"), [(99.0, 1.0), (98.0, 2.0)], [(101.0, 1.0)], sequence=7)
    assert book.mid == 100.0 and book.spread_bps == pytest.approx(200.0)
    assert not book.is_crossed
    decoded = msgspec.json.decode(msgspec.json.encode(book), type=OrderBook)
    assert decoded.bids[0] == (99.0, 1.0) and decoded.symbol == book.symbol
    assert Side.BUY.opposite is Side.SELL
