"""The ``promotion:`` section: conservative defaults, every value range-checked with its key path."""

from __future__ import annotations

import pytest

from arbkit.config import parse_config
from arbkit.errors import ConfigurationError
from arbkit.promotion.config import PromotionConfig, parse_promotion_config, promotion_config


def test_defaults_are_strict():
    rules = parse_promotion_config(None)
    assert rules == PromotionConfig()
    assert rules.min_executions >= 20 and rules.min_minutes >= 60 and rules.allow_stuck is False
    assert rules.min_pnl_quote == 0.0 and rules.max_age_hours == 24.0


def test_values_are_parsed_and_pnl_floor_may_be_negative():
    raw = {"min_executions": 5, "min_minutes": 2.5, "allow_stuck": "yes", "min_pnl_quote": -3, "max_age_hours": 1}
    rules = parse_promotion_config(raw)
    assert (rules.min_executions, rules.min_minutes, rules.allow_stuck) == (5, 2.5, True)
    assert (rules.min_pnl_quote, rules.max_age_hours) == (-3.0, 1.0)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"min_executions": -1}, "promotion.min_executions: expected an integer from 0 to 1000000, got -1"),
        ({"min_executions": 1.5}, "promotion.min_executions: expected an integer, got 1.5"),
        ({"max_age_hours": 0}, "promotion.max_age_hours: expected a number greater than 0 and at most 8760, got 0"),
        ({"allow_stuck": 3}, "promotion.allow_stuck: expected true or false, got 3"),
        ({"min_minute": 3}, "promotion.min_minute: unknown key (known: "),
        ({"max_drift_fill_ratio": 2}, "promotion.max_drift_fill_ratio: expected a number from 0 to 1, got 2"),
        ([1], "promotion: expected a mapping, got a list"),
    ],
)
def test_bad_values_are_one_line_errors_with_key_paths(raw, message):
    with pytest.raises(ConfigurationError) as caught:
        parse_promotion_config(raw)
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


def test_the_section_comes_from_config_yaml():
    text = (
        'exchanges:\n  binance: {base_url: https://api.binance.com, api_key: "", secret_key: ""}\n'
        "promotion:\n  min_executions: 3\n"
    )
    assert promotion_config(parse_config(text, env={})).min_executions == 3
