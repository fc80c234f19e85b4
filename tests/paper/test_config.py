"""The ``paper:`` section: defaults, fixed and sampled latency, balances over the ``*`` default, one-line errors
with key paths, and no effect on the trading config hash."""

from __future__ import annotations

import pytest

from arbkit.config import ArbkitConfig, ExchangeConfig
from arbkit.errors import ConfigurationError
from arbkit.execution.config import execution_config
from arbkit.paper.config import DEFAULT_LATENCY_MS, paper_config, parse_paper_config


def _config(paper: object = None) -> ArbkitConfig:
    exchanges = {n: ExchangeConfig(name=n, base_url=f"https://{n}.example") for n in ("binance", "kraken")}
    return ArbkitConfig(exchanges=exchanges, sections={} if paper is None else {"paper": paper})


def test_defaults_are_realistic_and_cover_the_default_limits() -> None:
    cfg = paper_config(_config())
    assert cfg.latencies("binance") == (DEFAULT_LATENCY_MS["binance"],) and cfg.latencies("kraken") == (120.0,)
    assert cfg.latencies("bitstamp") == (DEFAULT_LATENCY_MS["*"],)
    balances = cfg.starting_balances("binance")
    assert balances["USDT"] >= 2 * execution_config(None).max_notional_per_leg and balances["BTC"] > 0


def test_latency_fixed_or_sampled_and_balances_merged() -> None:
    raw = {
        "latency_ms": {"binance": 10, "kraken": [90, 140.5, 210], "*": 50},
        "balances": {"*": {"usdt": 500}, "kraken": {"BTC": 0.01}},
        "seed": 11,
    }
    cfg = parse_paper_config(raw, _config())
    assert cfg.latencies("binance") == (10.0,) and cfg.latencies("kraken") == (90.0, 140.5, 210.0)
    assert cfg.latencies("mexc") == (50.0,) and cfg.seed == 11
    assert cfg.starting_balances("kraken")["BTC"] == 0.01 and cfg.starting_balances("kraken")["USDT"] == 500.0
    assert cfg.starting_balances("binance")["USDT"] == 500.0
    first = [cfg.sampler("kraken").next_ms() for _ in range(1)] + [cfg.sampler("kraken").next_ms()]
    assert first[0] == first[1]  # a fresh sampler replays the same seeded draws
    assert parse_paper_config({"latency_ms": 33}).latencies("gateio") == (33.0,)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([], "paper: expected a mapping, got a list"),
        ({"latency": 5}, "paper.latency: unknown key"),
        ({"latency_ms": {"binance": -1}}, "paper.latency_ms.binance: expected a number between 0 and 60000"),
        ({"latency_ms": {"kraken": [10, "x"]}}, "paper.latency_ms.kraken[1]: expected a number, got 'x'"),
        ({"latency_ms": {"kraken": []}}, "paper.latency_ms.kraken: expected a number or a non-empty list"),
        ({"latency_ms": {"bitfinex": 5}}, "paper.latency_ms.bitfinex: exchange 'bitfinex' is not configured"),
        ({"balances": {"binance": {"BTC": -2}}}, "paper.balances.binance.BTC: expected a number between 0"),
        ({"balances": {"binance": 5}}, "paper.balances.binance: expected a mapping of asset -> amount"),
        ({"seed": 1.5}, "paper.seed: expected an integer, got 1.5"),
    ],
)
def test_bad_values_are_one_line_with_the_key_path(raw, message) -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse_paper_config(raw, _config())
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


def test_paper_section_does_not_change_the_trading_hash() -> None:
    plain = execution_config(_config()).config_hash()
    assert execution_config(_config({"latency_ms": 500, "seed": 3})).config_hash() == plain
