import asyncio, sys
import ccxt
import pytest
from tests.venue.conftest import binance_client
from arbkit.venue import LocalVenue
SYM = "BTC/USDT"

async def watchdog(label, holder):
    await asyncio.sleep(4)
    print("WATCHDOG", label[0], file=sys.stderr)
    venue, ex = holder
    hub = venue.context("binance").hub
    print("HUB", [(c.id, c.closed, c.topics, c.path) for c in hub.connections], file=sys.stderr)
    for u, c in ex.clients.items():
        print("CLIENT", u, c.connection is not None and c.connection.closed, list(c.subscriptions), list(c.futures), file=sys.stderr)
    ob = ex.orderbooks.get(SYM)
    print("OB", ob and ob["nonce"], ob and len(ob.cache), venue.book("binance", SYM).seq, file=sys.stderr)
    sys.stderr.flush(); import os; os._exit(3)
    for t in asyncio.all_tasks():
        print("TASK", t.get_name(), file=sys.stderr)
        t.print_stack(limit=6, file=sys.stderr)
    sys.stderr.flush()
    import os; os._exit(3)

@pytest.mark.parametrize("i", range(25))
async def test_drop(i):
    label = ["start"]
    holder = []
    wd = asyncio.create_task(watchdog(label, holder))
    async with LocalVenue(["binance"], seed=7, update_interval=0.02) as venue:
        ex = binance_client(venue)
        holder.extend([venue, ex])
        orig_client = ex.client
        def client(url):
            new = url not in ex.clients
            c = orig_client(url)
            if new:
                print("NEWCLIENT", label[0], id(c), file=sys.stderr)
            return c
        ex.client = client
        import arbkit.venue.hub as hubmod
        orig_init = hubmod.Connection.__init__
        def init(self, *a):
            orig_init(self, *a)
            print("SERVERCONN", label[0], self.id, file=sys.stderr)
        hubmod.Connection.__init__ = init
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
