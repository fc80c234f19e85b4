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
            config, venue=venue, symbols=["BTC/USDT"], name="test-trading", trading=True, journal=tmp_path / "j.sqlite"
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
            # Every journaled fill is one the venue account holds, with the same quantity and fee.
            for name in NAMES:
                account = venue.engine(name).account(venue.credentials(name)[0])
                by_id = {o.client_order_id: o for o in account.orders.values()}
                for order in (o for o in journal.orders() if o.exchange == name):
                    venue_order = by_id[order.client_order_id]
                    assert venue_order.filled == pytest.approx(order.filled)
                    fills = [f for f in account.fills if f.order_id == venue_order.order_id]
                    fee_quote = sum(f.fee if f.fee_asset == "USDT" else f.fee * f.price for f in fills)
                    assert fee_quote == pytest.approx(order.fee_quote, rel=1e-9, abs=1e-9)
            # Realised P&L equals what the balances moved (BTC moves valued at the fill prices).
            after = {n: totals(venue, n) for n in NAMES}
            usdt = sum(after[n]["USDT"] - before[n]["USDT"] for n in NAMES)
            fills = [f for n in NAMES for f in venue.engine(n).account(venue.credentials(n)[0]).fills]
            bought = sum(f.qty for f in fills if f.side == "buy")
            sold = sum(f.qty for f in fills if f.side == "sell")
            assert bought == pytest.approx(sold, abs=1e-9)  # hedged: the BTC moved only by fees taken in BTC
            btc_fees = sum(f.fee * f.price for f in fills if f.fee_asset == "BTC")
            btc_moved = sum(after[n]["BTC"] - before[n]["BTC"] for n in NAMES)
            assert btc_moved == pytest.approx(-sum(f.fee for f in fills if f.fee_asset == "BTC"), abs=1e-9)
            pnl = sum(r.pnl_quote or 0.0 for r in rows)
            assert pnl == pytest.approx(usdt - btc_fees, abs=1e-6)
        finally:
            await session.stop()
