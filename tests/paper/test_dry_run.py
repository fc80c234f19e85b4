"""``connect(trading=True, dry_run=True)``: the scanner's opportunities traded on paper over the session's live
books of the local venue: HEDGED executions whose journal rows are exactly what the paper back-ends filled, no order
on the venue, and the paper balances moved by those fills."""

from __future__ import annotations

import asyncio

import pytest

from arbkit.config import ArbkitConfig
from arbkit.execution.machine import ExecState
from arbkit.paper.backend import PaperBackend
from arbkit.runtime.session import connect
from arbkit.venue import LocalVenue
from tests.helpers import wait_for

NAMES = ["binance", "mexc"]


async def test_paper_dry_run_on_the_local_venue(tmp_path):
    async with LocalVenue(exchanges=NAMES, seed=5, update_interval=0.05) as venue:
        exchanges = {n: venue.exchange_config(n) for n in NAMES}
        paper = {"latency_ms": {"binance": 5, "mexc": [4, 8, 12]}, "seed": 3}
        config = ArbkitConfig(exchanges=exchanges, sections={"paper": paper})
        session = await connect(
            config, venue=venue, symbols=["BTC/USDT"], name="test-paper", trading=True, dry_run=True,
            journal=tmp_path / "j.sqlite",
        )  # fmt: skip
        try:
            trader = session.trader
            backends = trader.executor.backends
            assert all(isinstance(b, PaperBackend) for b in backends.values()) and trader.privates == {}
            start = {n: dict(b.balances()) for n, b in backends.items()}

            def hedged() -> int:
                return sum(1 for r in trader.journal.executions() if r.state == ExecState.HEDGED)

            for i in range(40):
                if hedged() >= 2:
                    break
                venue.inject_dislocation(NAMES[i % 2], "BTC/USDT", 40.0, 0.5)
                await asyncio.sleep(0.5)
            await wait_for(lambda: hedged() >= 2 and not trader.journal.executions(open_only=True))
            await session.halt("test over")
            rows = trader.journal.executions()
            assert {r.mode for r in rows} == {"dry-run"}
            assert {r.state for r in rows} <= {ExecState.HEDGED, ExecState.FLAT}
            # every journaled order is one a paper back-end acted on, with its fills, average price and fee
            orders = trader.journal.orders()
            assert orders and sum(1 for o in orders if o.filled > 0) >= 4
            for order in orders:
                record = backends[order.exchange].record(order.client_order_id)
                assert record is not None, order.client_order_id
                assert order.exchange_order_id == record.order.order_id
                assert order.filled == pytest.approx(sum(f.quantity for f in record.fills), abs=1e-12)
                assert order.fee_quote == pytest.approx(sum(f.fee_quote for f in record.fills), rel=1e-9, abs=1e-12)
                if order.filled > 0:
                    assert order.average_price == pytest.approx(record.order.average_price, rel=1e-12)
            # nothing reached the venue
            for name in NAMES:
                assert venue.engine(name).account(venue.credentials(name)[0]).orders == {}
            # the paper balances moved by exactly the journaled fills (fees in the asset received)
            for name, backend in backends.items():
                mine = [o for o in orders if o.exchange == name]
                sign = {"buy": 1.0, "sell": -1.0}
                usdt = sum(-sign[o.side] * o.filled * (o.average_price or 0.0) for o in mine)
                usdt -= sum(o.fee_quote for o in mine if o.side == "sell")
                btc = sum(sign[o.side] * o.filled for o in mine)
                btc -= sum(o.fee_quote / (o.average_price or 1.0) for o in mine if o.side == "buy")
                now = backend.balances()
                assert now["USDT"].free - start[name]["USDT"].free == pytest.approx(usdt, abs=1e-6)
                assert now["BTC"].free - start[name]["BTC"].free == pytest.approx(btc, abs=1e-9)
        finally:
            await session.stop()


async def test_live_dry_run_starts_from_the_real_account_balances():
    """``--live --dry-run`` with credentials: the paper balances start from the account (here the venue's test
    account, read once over its private API); nothing is placed."""
    from arbkit.paper.wiring import paper_backends

    async with LocalVenue(exchanges=NAMES, seed=5, update_interval=0.05) as venue:
        config = ArbkitConfig(exchanges={n: venue.exchange_config(n) for n in NAMES})
        session = await connect(config, venue=venue, symbols=["BTC/USDT"], name="test-paper-balances")
        try:
            real = {n: venue.engine(n).account(venue.credentials(n)[0]) for n in NAMES}
            real["mexc"].move("BTC", free=-1.5)  # make the account differ from the paper defaults
            backends = await paper_backends(session, live_balances=True)
            for name, backend in backends.items():
                balances = backend.balances()
                for asset in ("BTC", "USDT"):
                    assert balances[asset].free == pytest.approx(real[name].balance(asset).free)
                assert real[name].orders == {}
            defaults = await paper_backends(session)  # on a local venue: the paper: section's balances
            assert defaults["mexc"].balances()["BTC"].free == 0.2
        finally:
            await session.stop()
