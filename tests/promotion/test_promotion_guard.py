"""The promotion guard: real orders refused (one line) without a fresh passing attestation of the same config and
target; accepted with one; ``require_attestation=False`` only on the local venue; ``--live`` without ``--yes`` and
without a terminal refuses."""

from __future__ import annotations

import argparse
import io
import sqlite3
import sys

import pytest

from arbkit.cli.run import add_run_parser, run_trading
from arbkit.execution.trader import start_trader
from arbkit.promotion.attestation import AttestationStore
from arbkit.promotion.config import PromotionConfig
from arbkit.promotion.guard import PromotionRefused, check_promotion
from arbkit.runtime.session import connect
from arbkit.venue import LocalVenue
from tests.promotion.helpers import EASY, HOUR_MS, add, identity, venue_config

NOW = 1_800_000_000_000
RULES = PromotionConfig()


@pytest.fixture
def store():
    db = sqlite3.connect(":memory:")
    yield AttestationStore(db)
    db.close()


def refusal(store, ident, rules=RULES):
    with pytest.raises(PromotionRefused) as caught:
        check_promotion(store.all(), ident, rules, now_ms=NOW)
    text = str(caught.value)
    assert "\n" not in text
    return text


def test_no_attestation(store):
    assert refusal(store, identity()) == (
        "no dry-run attestation for config h1 on local-venue in this journal; "
        "run it with --dry-run (dry_run=True) first"
    )


def test_accepted_with_a_fresh_passing_attestation(store):
    old = add(store, identity(), ended_ms=NOW - 5 * HOUR_MS)
    new = add(store, identity(), ended_ms=NOW - HOUR_MS)
    assert old.passed and check_promotion(store.all(), identity(), RULES, now_ms=NOW) == new


def test_stale(store):
    add(store, identity(), ended_ms=NOW - 30 * HOUR_MS)
    assert refusal(store, identity()).startswith(
        "stale attestation: the dry run of config h1 on local-venue ended 30.0 h ago (promotion.max_age_hours 24)"
    )


def test_other_target(store):
    add(store, identity(), ended_ms=NOW - HOUR_MS)
    live = identity(target="live:binance=api.binance.com")
    assert refusal(store, live).startswith(
        "config h1 was dry-run on the local venue, not on live:binance=api.binance.com: another target needs its own"
    )


def test_changed_config_names_the_section(store):
    add(store, identity(), ended_ms=NOW - HOUR_MS)
    changed = identity("h2", execution="x2")
    assert refusal(store, changed).startswith(
        "config changed since the last dry run on local-venue (changed: execution; was h1, now h2)"
    )


def test_failed_for_a_stuck_execution(store):
    add(store, identity(), ended_ms=NOW - HOUR_MS, outcomes={"hedged": 30, "stuck": 1})
    assert refusal(store, identity()).startswith(
        "the last dry run of config h1 on local-venue failed: 1 STUCK execution(s) (allow_stuck is false)"
    )


def test_failed_for_too_few_executions(store):
    add(store, identity(), ended_ms=NOW - HOUR_MS, outcomes={"hedged": 3})
    assert "failed: 3 executions < min_executions 20" in refusal(store, identity())


def test_tightened_rules_apply_to_an_older_pass(store):
    add(store, identity(), ended_ms=NOW - HOUR_MS, rules=PromotionConfig(min_executions=1), outcomes={"hedged": 5})
    text = refusal(store, identity())
    assert "5 executions < min_executions 20" in text and "(under the current promotion rules)" in text


async def test_start_trader_refuses_then_accepts_after_a_dry_run(tmp_path):
    names = ["binance", "mexc"]
    journal = tmp_path / "j.sqlite"
    async with LocalVenue(exchanges=names, seed=3, update_interval=0.05) as venue:
        config = venue_config(venue, names, promotion=EASY)
        session = await connect(config, venue=venue, symbols=["BTC/USDT"], name="t-guard")
        try:
            with pytest.raises(PromotionRefused, match="no dry-run attestation for config"):
                await start_trader(session, journal=journal)
            with pytest.raises(PromotionRefused, match="require_attestation=False is for the local venue only"):
                await start_trader(
                    session, journal=journal, target="live:binance=api.binance.com", require_attestation=False
                )
            dry = await start_trader(session, journal=journal, dry_run=True)
            await dry.stop()
            assert dry.attestation is not None and dry.attestation.passed
            real = await start_trader(session, journal=journal)
            try:
                assert real.promoted_by == dry.attestation
                assert len(real.preflight) == 2 and all(": ok (" in line for line in real.preflight)
                assert real.executor.config_hash == dry.attestation.config_hash
            finally:
                await real.stop()
        finally:
            await session.stop()


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_run_parser(parser.add_subparsers())
    return parser.parse_args(["run", *argv])


LIVE_CONFIG = """
exchanges:
  binance: {api_key: k1, secret_key: s1, base_url: https://api.binance.com, websocket_url: wss://stream.binance.com:9443/ws}
"""


async def test_live_without_yes_and_without_a_terminal_refuses(tmp_path, capsys, monkeypatch):
    (tmp_path / "config.yaml").write_text(LIVE_CONFIG)
    monkeypatch.setattr(sys, "stdin", io.StringIO("yes\n"))  # not a terminal, whatever pytest was started from
    code = await run_trading(_args("--live", "--config", str(tmp_path / "config.yaml")))
    assert code == 2
    assert capsys.readouterr().err.strip() == (
        "arbkit run: --live trades real money: confirm on a terminal, or pass --yes in scripts"
    )


async def test_cli_refuses_real_orders_without_an_attestation(tmp_path, capsys):
    config = tmp_path / "config.yaml"
    config.write_text(
        "exchanges:\n  binance: {api_key: '', secret_key: '', base_url: https://api.binance.com}\n"
        "  mexc: {api_key: '', secret_key: '', base_url: https://api.mexc.com}\n"
    )
    code = await run_trading(_args("--config", str(config), "--journal", str(tmp_path / "j.sqlite"), "--duration", "1"))
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("arbkit run: no dry-run attestation for config ") and "\n" not in err
