"""``connect(trading=True)``: the scanner's opportunities traded on the local venue; frames, halt(), and a journal
that agrees with the venue's own account (fills, fees, realised P&L equal to what the balances moved)."""

from __future__ import annotations

import asyncio

import pytest

from arbkit.config import ArbkitConfig
from arbkit.runtime.session import connect
from arbkit.venue import LocalVenue
from tests.helpers import wait_for

NAMES = ["binance", "mexc"]


def totals(venue, name):
    account = venue.engine(name).account(venue.credentials(name)[0])
    return {a: b.free + b.locked for a, b in account.balances.items()}


async def test_session_trades_and_journal_matches_the_venue(tmp_path):
    async with LocalVenue(exchanges=NAMES, seed=5, update_interval=0.05) as venue:
        before = {n: totals(venue, n) for n in NAMES}
        config = ArbkitConfig(exchanges={n: venue.exchange_config(n) for n in NAMES})
        session = await connect(
            config,
            venue=venue,
            symbols=["BTC/USDT"],
            name="test-trading",
            trading=True,
            journal=tmp_path / "j.sqlite",
            require_attestation=False,  # the local venue: no dry run needed first (tests/execution/test_promotion_*)
        )
        try:
            trader = session.trader
            for i in range(40):
                if len(trader.journal.executions()) >= 2:
                    break
                venue.inject_dislocation(NAMES[i % 2], "BTC/USDT", 40.0, 0.5)
                await asyncio.sleep(0.5)
            await wait_for(
                lambda: len(trader.journal.executions()) >= 2 and not trader.journal.executions(open_only=True)
            )
            report = await session.halt("test over")
            assert report.seconds_to_zero is not None and trader.state == "halted"
            frames = trader.frames()
            assert set(frames) == {"executions", "orders", "fills", "transitions"}
            assert frames["executions"].height >= 2 and frames["fills"].height >= 4
            assert await trader.reconciler.check() == []
            journal = trader.journal
            rows = journal.executions()
            # Every journaled fill is one the venue reports (fetched with ccxt), with the same quantity and fee.
            reported_btc_fees = 0.0
            rounding = 0.0
            for name in NAMES:
                trades = await trader.privates[name].rest.ccxt.client.fetch_my_trades("BTC/USDT")
                for order in (o for o in journal.orders() if o.exchange == name and o.filled > 0):
                    fills = [t for t in trades if str(t["order"]) == order.exchange_order_id]
                    assert sum(t["amount"] for t in fills) == pytest.approx(order.filled, abs=1e-12)
                    fee = sum(t["fee"]["cost"] * (t["price"] if t["fee"]["currency"] == "BTC" else 1.0) for t in fills)
                    assert fee == pytest.approx(order.fee_quote, rel=1e-9, abs=1e-9)
                    for t in fills:
                        if t["fee"]["currency"] == "BTC":
                            reported_btc_fees += t["fee"]["cost"] * t["price"]
                            rounding += 0.5e-8 * t["price"]  # the venue reports commissions to 8 decimals
            # Realised P&L equals what the balances moved, to the precision the exchange reports its fees.
            after = {n: totals(venue, n) for n in NAMES}
            usdt = sum(after[n]["USDT"] - before[n]["USDT"] for n in NAMES)
            fills = [f for n in NAMES for f in venue.engine(n).account(venue.credentials(n)[0]).fills]
            bought = sum(f.qty for f in fills if f.side == "buy")
            sold = sum(f.qty for f in fills if f.side == "sell")
            assert bought == pytest.approx(sold, abs=1e-9)  # hedged: BTC moved only by the fees taken in BTC
            pnl = sum(r.pnl_quote or 0.0 for r in rows)
            assert pnl == pytest.approx(usdt - reported_btc_fees, abs=rounding + 1e-6)
        finally:
            await session.stop()
