import asyncio, sys
import ccxt
import pytest
from tests.venue.conftest import binance_client
from arbkit.venue import LocalVenue
SYM = "BTC/USDT"

async def watchdog(label):
    await asyncio.sleep(4)
    print("WATCHDOG", label[0], file=sys.stderr)
    for t in asyncio.all_tasks():
        print("TASK", t.get_name(), file=sys.stderr)
        t.print_stack(limit=6, file=sys.stderr)
    sys.stderr.flush()
    import os; os._exit(3)

@pytest.mark.parametrize("i", range(25))
async def test_drop(i):
    label = ["start"]
    wd = asyncio.create_task(watchdog(label))
    async with LocalVenue(["binance"], seed=7, update_interval=0.02) as venue:
        ex = binance_client(venue)
        try:
            label[0] = "first watch"
            await ex.watch_order_book(SYM)
            label[0] = "drop"
            await venue.drop_connections("binance")
            for k in range(5):
                try:
                    label[0] = f"rewatch {k}"
                    book = await ex.watch_order_book(SYM)
                    break
                except ccxt.NetworkError:
                    await asyncio.sleep(0.02)
            for j in range(5):
                label[0] = f"more {j}"
                book = await ex.watch_order_book(SYM)
            label[0] = "close"
        finally:
            await ex.close()
        label[0] = "venue close"
    wd.cancel()
