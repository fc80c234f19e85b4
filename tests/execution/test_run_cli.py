"""``arbkit run --venue URL`` as its own process for 60 s against a separately started local venue, then the
journal checked against the venue's own account history fetched with ccxt: the same fills, the same fees, and a
realised P&L equal to what the balances moved. Also the refusals (one line, exit 2) and SIGINT (halt, exit 130)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import pytest

from arbkit.cli.run import RemoteVenue
from arbkit.exchanges import factory
from arbkit.execution.journal import Journal

NAMES = ["binance", "mexc"]
RUN_SECONDS = 60
CONFIG = """
exchanges:
  binance: {api_key: "", secret_key: "", base_url: https://api.binance.com, websocket_url: wss://stream.binance.com:9443/ws, private_websocket_url: wss://ws-api.binance.com:443/ws-api/v3}
  mexc: {api_key: "", secret_key: "", base_url: https://api.mexc.com, websocket_url: wss://wbs-api.mexc.com/ws}
arbitrage:
  arbitrage_pairs:
    - {id: btc_usdt, base_asset: BTC, quote_asset: USDT, min_profit_bps: 0}
execution:
  cooldown_ms: 200
  reconcile_interval_s: 5
"""
REMOTE = """
arbitrage:
  fee_overrides: {binance: {taker: 0}, mexc: {taker: 0}}
  arbitrage_pairs:
    - {id: btc_usdt, base_asset: BTC, quote_asset: USDT, min_profit_bps: 0, max_notional: 200}
execution:
  cooldown_ms: 1000
  reconcile_interval_s: 5
promotion: {min_executions: 0, min_minutes: 0, min_pnl_quote: -1000}
"""
MAIN = "import sys; from arbkit.cli.main import main; sys.exit(main(sys.argv[1:]))"


async def arbkit(*args: str, cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-c", MAIN, *args, cwd=cwd, env=dict(os.environ),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def start_venue(*args: str) -> tuple[asyncio.subprocess.Process, str]:
    """``arbkit venue`` as its own process; its origin (``http://127.0.0.1:PORT``) once it prints its URLs."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", MAIN, "venue", *args, env=dict(os.environ),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    assert proc.stdout is not None
    while True:
        line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        assert line, f"arbkit venue exited early with code {proc.returncode}"
        found = re.search(r"rest=(http://127\.0\.0\.1:\d+)/", line)
        if found:
            return proc, found.group(1)


async def test_run_for_60s_and_journal_matches_venue_history(tmp_path):
    """The venue runs in its own ``arbkit venue`` process, so the trader reaches it only over its sockets. Fee
    overrides of 0 make the scanner take every raw cross between the venues (the venue still charges its own
    fees): many small executions whose P&L is checked against what the balances moved. A short dry run on the
    same journal first writes the attestation that lets the real run start (rules relaxed in the config)."""
    (tmp_path / "config.yaml").write_text(CONFIG.split("arbitrage:")[0] + REMOTE.lstrip())
    venue, origin = await start_venue("--exchanges", ",".join(NAMES), "--interval", "0.02", "--seed", "9")
    try:
        dry = await arbkit("run", "--dry-run", "--venue", origin, "--duration", "2", "--refresh", "5", cwd=tmp_path)
        out, err = await asyncio.wait_for(dry.communicate(), 60)
        assert dry.returncode == 0, err.decode()[-2000:]
        proc = await arbkit("run", "--venue", origin, "--duration", str(RUN_SECONDS), "--refresh", "5", cwd=tmp_path)
        out, err = await asyncio.wait_for(proc.communicate(), RUN_SECONDS + 90)
        assert proc.returncode == 0, err.decode()[-2000:]
        lines = out.decode().splitlines()
        assert lines[-1].startswith("summary: ") and "HALTED (run ended)" in lines[-2]

        journal = Journal(tmp_path / "arbkit-journal.sqlite")
        executions = [e for e in journal.executions() if e.mode == "live"]  # the dry run's are not the venue's
        assert executions and all(e.state in ("hedged", "flat") for e in executions)
        assert sum(e.state == "hedged" for e in executions) >= 3
        live = {e.id for e in executions}
        orders = [o for o in journal.orders() if o.execution_id in live]
        pnl = sum(e.pnl_quote or 0.0 for e in executions)
        usdt_moved = btc_fee_value = rounding = 0.0
        remote = RemoteVenue(origin, NAMES)
        for name in NAMES:
            private = await factory.get_composite_implementation(remote.exchange_config(name), is_private=True).init()
            try:
                client = private.rest.ccxt.client
                trades = await client.fetch_my_trades("BTC/USDT")
                balance = await client.fetch_balance()
            finally:
                await private.close()
            mine = {o.exchange_order_id: o for o in orders if o.exchange == name and o.filled > 0}
            assert {str(t["order"]) for t in trades} == set(mine)  # every venue fill is a journaled order's
            for order_id, order in mine.items():
                fills = [t for t in trades if str(t["order"]) == order_id]
                assert sum(t["amount"] for t in fills) == pytest.approx(order.filled, abs=1e-12)
                fee = sum(t["fee"]["cost"] * (t["price"] if t["fee"]["currency"] == "BTC" else 1.0) for t in fills)
                assert fee == pytest.approx(order.fee_quote, rel=1e-9, abs=1e-9)
                btc_fee_value += sum(t["fee"]["cost"] * t["price"] for t in fills if t["fee"]["currency"] == "BTC")
                rounding += sum(0.5e-8 * t["price"] for t in fills if t["fee"]["currency"] == "BTC")  # 8-decimal fees
            usdt_moved += balance["USDT"]["total"] - 100_000.0
        bought = sum(o.filled for o in orders if o.side == "buy")
        sold = sum(o.filled for o in orders if o.side == "sell")
        assert bought == pytest.approx(sold, abs=1e-12)
        # P&L is what the balances moved, to the precision the venue reports its commissions (8 decimals)
        assert pnl == pytest.approx(usdt_moved - btc_fee_value, abs=rounding + 1e-6)
        journal.close()
    finally:
        venue.terminate()
        await venue.wait()


async def test_refusals_are_one_line_exit_2(tmp_path):
    (tmp_path / "config.yaml").write_text(CONFIG)
    proc = await arbkit("run", "--live", "--duration", "1", cwd=tmp_path)
    _out, err = await proc.communicate()
    assert proc.returncode == 2
    assert err.decode().strip() == (
        "arbkit run: --live needs credentials for every configured exchange; missing for binance, mexc: "
        "set BINANCE_API_KEY, BINANCE_SECRET_KEY, MEXC_API_KEY, MEXC_SECRET_KEY in .env"
    )
    (tmp_path / "config.yaml").write_text(CONFIG + "  leg_timeout_ms: 5\n")
    proc = await arbkit("run", "--duration", "1", cwd=tmp_path)
    _out, err = await proc.communicate()
    assert proc.returncode == 2
    assert err.decode().strip().splitlines() == [
        "arbkit: execution.leg_timeout_ms: expected an integer between 50 and 120000, got 5"
    ]


async def test_ctrl_c_halts_and_exits_130(tmp_path):
    (tmp_path / "config.yaml").write_text(CONFIG)
    proc = await arbkit("run", "--dry-run", "--refresh", "0.5", cwd=tmp_path)
    line = await asyncio.wait_for(proc.stdout.readline(), 60)  # the first status line: trading has started
    assert b"state=active" in line
    proc.send_signal(signal.SIGINT)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 130, err.decode()[-2000:]
    text = out.decode()
    assert "HALTED (Ctrl-C)" in text and "summary: " in text
    assert "attestation 1: failed" in text  # a dry run ended by Ctrl-C still attests (far below the default rules)
    events = [e.kind for e in Journal(tmp_path / "arbkit-journal.sqlite").events()]
    assert "kill" in events and "kill_done" in events
