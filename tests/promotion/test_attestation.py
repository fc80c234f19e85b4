"""Attestations: the pure verdict, the config hash and target they are keyed by, and the row a dry run on the local
venue writes into its journal when it ends (stop, halt)."""

from __future__ import annotations

import asyncio

import msgspec

from arbkit.config import ExchangeConfig
from arbkit.execution.config import parse_execution_config
from arbkit.execution.journal import Journal
from arbkit.promotion.attestation import AttestationStore, RunFacts, judge
from arbkit.promotion.config import PromotionConfig
from arbkit.promotion.identity import LOCAL_VENUE, changed_sections, section_hashes, target_of
from arbkit.runtime.session import connect
from arbkit.venue import LocalVenue
from tests.helpers import wait_for
from tests.promotion.helpers import EASY, venue_config

RULES = PromotionConfig(min_executions=3, min_minutes=1.0, min_pnl_quote=-1.0)


def facts(outcomes, minutes=2.0, pnl=0.0):
    return RunFacts(0, int(minutes * 60_000), outcomes, pnl)


def test_judge_passes_a_run_that_meets_every_rule():
    passed, why = judge(facts({"hedged": 2, "flat": 1}), RULES)
    assert passed and why.startswith("3 executions over 2.0 minutes")


def test_judge_names_every_failed_rule():
    passed, why = judge(facts({"hedged": 1, "stuck": 1, "planned": 4}, minutes=0.5, pnl=-2.0), RULES)
    assert not passed
    assert why == (
        "2 executions < min_executions 3; 0.5 minutes < min_minutes 1; 1 STUCK execution(s) (allow_stuck is false); "
        "P&L -2 < min_pnl_quote -1"
    )  # an execution still open (planned) is not counted


def test_allow_stuck_lets_a_stuck_run_pass():
    assert judge(facts({"hedged": 3, "stuck": 1}), msgspec.structs.replace(RULES, allow_stuck=True))[0]


def test_config_hash_ignores_credentials_urls_and_display_but_not_trading_values():
    execution = parse_execution_config({"max_notional_per_leg": 500})
    base = section_hashes(["binance", "mexc"], ["BTC/USDT"], {"pairs": 1}, execution)
    assert section_hashes(["mexc", "binance"], ["BTC/USDT"], {"pairs": 1}, execution) == base  # order-free
    other = parse_execution_config({"max_notional_per_leg": 501})
    assert changed_sections(base, section_hashes(["binance", "mexc"], ["BTC/USDT"], {"pairs": 1}, other)) == [
        "execution"
    ]
    assert changed_sections(base, section_hashes(["binance", "mexc"], ["ETH/USDT"], {"pairs": 1}, execution)) == [
        "exchanges"
    ]
    assert changed_sections(base, section_hashes(["binance", "mexc"], ["BTC/USDT"], {"pairs": 2}, execution)) == [
        "arbitrage"
    ]


class _Session:
    def __init__(self, exchanges, venue=None):
        self.config = type("C", (), {"exchanges": exchanges})()
        self.venue = venue


def test_target_is_the_local_venue_or_the_real_hosts():
    live = {
        "binance": ExchangeConfig(
            name="binance",
            base_url="https://api.binance.com",
            testnet_base_url="https://testnet.binance.vision",
            api_key="k",
            secret_key="s",
        ),
        "mexc": ExchangeConfig(name="mexc", base_url="https://api.mexc.com"),
    }
    assert target_of(_Session(live, type("V", (), {"origin": "http://127.0.0.1:8700"})())) == LOCAL_VENUE
    assert target_of(_Session(live)) == "live:binance=api.binance.com,mexc=api.mexc.com"
    testnet = dict(live, binance=msgspec.structs.replace(live["binance"], use_testnet=True))
    assert target_of(_Session(testnet)) == "live:binance=testnet.binance.vision,mexc=api.mexc.com"
    remote = type("V", (), {"origin": "http://10.0.0.5:8700"})()
    assert target_of(_Session(live, remote)).startswith("live:")


async def test_a_dry_run_attests_when_it_stops(tmp_path):
    names = ["binance", "mexc"]
    async with LocalVenue(exchanges=names, seed=5, update_interval=0.02) as venue:
        config = venue_config(venue, names, promotion=EASY, execution={"cooldown_ms": 0})
        session = await connect(
            config, venue=venue, symbols=["BTC/USDT"], name="t-attest", trading=True, dry_run=True,
            journal=tmp_path / "j.sqlite",
        )  # fmt: skip
        trader = session.trader
        for i in range(60):
            if len(trader.journal.executions()) >= 2:
                break
            venue.inject_dislocation(names[i % 2], "BTC/USDT", 40.0, 0.3)
            await asyncio.sleep(0.2)
        await wait_for(lambda: len(trader.journal.executions()) >= 2)
        await session.stop()
    a = trader.attestation
    journal = Journal(tmp_path / "j.sqlite")
    rows = journal.executions()
    assert a is not None and a.passed and a.target == LOCAL_VENUE and a.ended_by == "stopped"
    assert {r.config_hash for r in rows} == {a.config_hash} and {r.target for r in rows} == {LOCAL_VENUE}
    assert a.executions == len(rows) and sum(a.outcomes.values()) == len(rows)
    assert a.pnl_quote == sum(r.pnl_quote or 0.0 for r in rows) and a.stuck == 0
    assert a.duration_s > 0 and a.ended_ms - a.started_ms == round(a.duration_s * 1000)
    assert set(a.sections) == {"exchanges", "arbitrage", "execution"} and a.rules.min_executions == 0
    assert AttestationStore(journal.db).all() == [a]  # the row as stored, read back by another connection
    journal.close()


async def test_a_halted_dry_run_attests_with_the_halt_reason_and_fails_default_rules(tmp_path):
    async with LocalVenue(exchanges=["binance", "mexc"], seed=5, update_interval=0.02) as venue:
        config = venue_config(venue, ["binance", "mexc"])
        session = await connect(
            config, venue=venue, symbols=["BTC/USDT"], name="t-attest-halt", trading=True, dry_run=True,
            journal=tmp_path / "j.sqlite",
        )  # fmt: skip
        await session.halt("operator says stop")
        await session.stop()
    a = session.trader.attestation
    assert a.ended_by == "operator says stop" and not a.passed
    assert "< min_executions 20" in a.why and "< min_minutes 60" in a.why
