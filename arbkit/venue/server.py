"""LocalVenue: one aiohttp server on 127.0.0.1 speaking each exchange's wire protocol under ``/<exchange>``.

A market task steps the simulated market every ``update_interval`` seconds; every change (market re-quote,
liquidity consumed by a fill, order and balance events) is queued per exchange and handed to that exchange's
protocol hooks in order, with the faults (skip a sequence, stall) applied on the way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from aiohttp import web

from arbkit.config import ExchangeConfig
from arbkit.venue.book import BookDelta, BookSnapshot
from arbkit.venue.clock import clock_middleware
from arbkit.venue.engine import BalanceEvent, BookChange, EngineEvent, MatchingEngine, OrderEvent
from arbkit.venue.hub import Hub
from arbkit.venue.instruments import instruments
from arbkit.venue.market import SimulatedMarket
from arbkit.venue.order_faults import AckDrop
from arbkit.venue.orders import ErrorKind
from arbkit.venue.protocols import ExchangeContext, VenueProtocol, load_protocol, make_credentials

__all__ = ["REJECT_REASONS", "LocalVenue", "serve"]

# reject_next_order reasons -> the engine refusal each protocol answers in its exchange's own words
REJECT_REASONS: dict[str, ErrorKind] = {
    "insufficient_funds": ErrorKind.INSUFFICIENT_FUNDS,
    "rate_limit": ErrorKind.RATE_LIMIT,
    "invalid": ErrorKind.INVALID,
    "min_notional": ErrorKind.MIN_NOTIONAL,
    "precision": ErrorKind.PRECISION,
    "post_only": ErrorKind.WOULD_TAKE,
}

log = logging.getLogger(__name__)

_FLUSH = object()  # queue item: a stall may have ended, release held market data
_RELEASE_BATCH = 16  # held market data released per event-loop turn after a stall (a burst skips early in it)


class _Pump:
    """Per-exchange ordered delivery of events to the protocol hooks, applying skip/stall faults."""

    def __init__(self, ctx: ExchangeContext, protocol: VenueProtocol) -> None:
        self.ctx = ctx
        self.protocol = protocol
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.skip: dict[str, list[int]] = {}  # symbol -> how many of its deltas still pass before each skip
        self.held: list[Any] = []
        self.on_sent: Any = None  # optional (exchange, symbol, delta, sent) -> None, as each delta's turn comes
        self.task: asyncio.Task[None] | None = None

    def put(self, item: Any) -> None:
        self.queue.put_nowait(item)

    async def run(self) -> None:
        while True:
            item = await self.queue.get()
            try:
                await self._handle(item)
            except Exception:
                log.exception("%s: protocol hook failed", self.ctx.name)
            finally:
                self.queue.task_done()

    async def _handle(self, item: Any) -> None:
        public = isinstance(item, tuple)
        if self.ctx.hub.stalled:
            if public:
                self.held.append(item)
            elif item is not _FLUSH:
                await self._deliver(item)
            return
        if self.held:
            held, self.held = self.held, []
            for n, old in enumerate(held, 1):
                await self._deliver(old)
                if n % _RELEASE_BATCH == 0:  # a long backlog goes out in batches, the event loop running between
                    await asyncio.sleep(0)
        if item is not _FLUSH:
            await self._deliver(item)

    async def _deliver(self, item: Any) -> None:
        p = self.protocol
        if isinstance(item, tuple):
            symbol, payload = item
            if isinstance(payload, BookDelta):
                skipped = self._skipped(symbol)
                if self.on_sent is not None:  # before the send: a client in another thread may read it at once
                    self.on_sent(self.ctx.name, symbol, payload, not skipped)
                if not skipped:
                    await p.on_book_delta(symbol, payload)
            else:
                await p.on_trade(symbol, payload)
        elif isinstance(item, OrderEvent):
            await p.on_order_event(item)
        elif isinstance(item, BalanceEvent):
            await p.on_balance_event(item)

    def _skipped(self, symbol: str) -> bool:
        marks = self.skip.get(symbol)
        if not marks:
            return False
        left = [m - 1 for m in marks if m > 0]
        if left:
            self.skip[symbol] = left
        else:
            del self.skip[symbol]
        return 0 in marks


class LocalVenue:
    """``async with LocalVenue(["binance", "gateio"]) as venue:`` serves every named exchange on a free port."""

    def __init__(
        self,
        exchanges: list[str] | tuple[str, ...] = ("binance",),
        seed: int = 7,
        update_interval: float = 0.05,
        host: str = "127.0.0.1",
        port: int = 0,
        history: int = 512,
        market: Any = None,
    ) -> None:
        """``market``: anything with SimulatedMarket's interface (e.g. a recording's ReplayMarket) to serve instead."""
        self.exchanges = [str(e).lower() for e in exchanges]
        classes = {name: load_protocol(name) for name in self.exchanges}
        self.update_interval = update_interval
        self.host = host
        self.port = port
        self.market = market if market is not None else SimulatedMarket(self.exchanges, seed=seed, history=history)
        self.paused = False
        self._pumps: dict[str, _Pump] = {}
        for name in self.exchanges:
            insts = instruments(name)
            engine = MatchingEngine(name, self.market.books(name), insts)
            api_key, secret = make_credentials(name)
            engine.add_account(api_key)
            ctx = ExchangeContext(name, insts, self.market, engine, Hub(name), api_key, secret)
            pump = _Pump(ctx, classes[name](ctx))
            engine.listeners.append(lambda event, name=name: self._on_engine_event(name, event))
            self._pumps[name] = pump
        self._runner: web.AppRunner | None = None
        self._market_task: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> LocalVenue:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        app = web.Application()
        for name, pump in self._pumps.items():
            sub = web.Application(middlewares=[clock_middleware(lambda ctx=pump.ctx: ctx.clock_skew_ms)])
            sub.add_routes(pump.protocol.routes())
            app.add_subapp(f"/{name}", sub)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        for pump in self._pumps.values():
            pump.task = asyncio.create_task(pump.run(), name=f"venue-pump-{pump.ctx.name}")
        self._market_task = asyncio.create_task(self._market_loop(), name="venue-market")

    async def close(self) -> None:
        tasks = [self._market_task, *(p.task for p in self._pumps.values())]
        for task in tasks:
            if task is not None:
                task.cancel()
        for task in tasks:
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        for pump in self._pumps.values():
            await pump.ctx.engine.faults.close()
            close_protocol = getattr(pump.protocol, "close", None)  # e.g. disarm dead-man switch countdowns
            if close_protocol is not None:
                close_protocol()
            await pump.ctx.hub.drop_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    # ------------------------------------------------------------------ access

    def context(self, name: str) -> ExchangeContext:
        try:
            return self._pumps[name.lower()].ctx
        except KeyError:
            raise ValueError(
                f"local venue: exchange {name!r} is not served (serving: {', '.join(self._pumps)})"
            ) from None

    def protocol(self, name: str) -> VenueProtocol:
        """The protocol object serving ``name`` (for protocol-specific faults such as kraken's checksum)."""
        return self._pumps[self.context(name).name].protocol

    def engine(self, name: str) -> MatchingEngine:
        return self.context(name).engine

    def credentials(self, name: str) -> tuple[str, str]:
        ctx = self.context(name)
        return ctx.api_key, ctx.secret

    def exchange_config(self, name: str) -> ExchangeConfig:
        """An ExchangeConfig pointing arbkit (and so ccxt) at this venue, with its test credentials."""
        ctx = self.context(name)
        urls = self._pumps[ctx.name].protocol.urls(self.origin)
        settings = {"private_websocket_url": urls["private_websocket_url"]} if urls.get("private_websocket_url") else {}
        return ExchangeConfig(
            name=ctx.name,
            base_url=urls["base_url"],
            websocket_url=urls.get("websocket_url"),
            api_key=ctx.api_key,
            secret_key=ctx.secret,
            settings=settings,
        )

    def book(self, name: str, symbol: str) -> BookSnapshot:
        return self.context(name).book(symbol).snapshot()

    def book_at(self, name: str, symbol: str, seq: int) -> BookSnapshot | None:
        return self.context(name).book(symbol).at(seq)

    # ------------------------------------------------------------------ stepping

    def pause(self) -> None:
        """Stop the market task from stepping (use ``await step()`` for deterministic tests)."""
        self.paused = True

    def resume(self) -> None:
        self.paused = False

    async def step(self, n: int = 1) -> None:
        """Step the market ``n`` times and wait until every resulting message has been handed to the protocols."""
        for _ in range(n):
            self._step_once()
        await self.settle()

    async def settle(self) -> None:
        """Wait until every queued event has been delivered."""
        for pump in self._pumps.values():
            await pump.queue.join()

    def _step_once(self) -> None:
        touched: dict[str, set[str]] = {}
        for exchange, symbol, delta in self.market.step():
            pump = self._pumps[exchange]
            pump.put((symbol, delta))
            touched.setdefault(exchange, set()).add(symbol)
        for exchange, symbols in touched.items():
            engine = self._pumps[exchange].ctx.engine
            for symbol in sorted(symbols):
                engine.match_resting(symbol)
        self._drain_trades()

    async def _market_loop(self) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while True:
            next_at += self.update_interval
            if not self.paused:
                try:
                    self._step_once()
                except Exception:
                    log.exception("local venue: market step failed")
            await asyncio.sleep(max(0.0, next_at - loop.time()))
            if loop.time() - next_at > 1.0:  # fell far behind (e.g. a debugger): do not burst
                next_at = loop.time()

    def _on_engine_event(self, name: str, event: EngineEvent) -> None:
        pump = self._pumps[name]
        if isinstance(event, BookChange):
            pump.put((event.symbol, event.delta))
            return
        pump.put(event)
        if isinstance(event, OrderEvent) and event.fill is not None and not event.fill.maker:
            fill = event.fill
            self.market.record_trade(name, fill.symbol, fill.price, fill.qty, str(fill.side), fill.timestamp)
            self._drain_trades()

    def _drain_trades(self) -> None:
        for exchange, symbol, trade in self.market.drain_trades():
            pump = self._pumps.get(exchange)
            if pump is not None:
                pump.put((symbol, trade))

    # ------------------------------------------------------------------ faults

    def skip_sequence(self, name: str, symbol: str, after: int = 0) -> None:
        """A delta of ``symbol`` (the next one, or the one after ``after`` more) is applied to the venue book but not
        sent: clients see a gap (on Kraken, a lost update whose checksum then fails)."""
        self.context(name).book(symbol)
        self._pumps[self.context(name).name].skip.setdefault(symbol, []).append(max(0, after))

    def burst(self, name: str, symbol: str, seconds: float, faulty: tuple[int, ...] = (2, 4)) -> None:
        """A burst after a stall: hold ``name``'s market data for ``seconds``, then send it back to back, up to
        ``_RELEASE_BATCH`` frames per loop turn (one TCP read each for the client), with the deltas of ``symbol`` at
        positions ``faulty`` of the burst skipped."""
        self.stall(name, seconds)
        for position in faulty:
            self.skip_sequence(name, symbol, position)

    def close_on_connect(self, name: str, count: int = 1) -> None:
        """The next ``count`` public websockets of ``name`` are closed right after the handshake, so the client's
        subscribe is sent on a connection already closed (ccxt then fails with a builtin ConnectionError)."""
        self.context(name).hub.faults.close_on_connect += max(0, count)

    def close_on_subscribe(self, name: str, count: int = 1) -> None:
        """The next ``count`` subscribe requests to ``name`` get a close frame (1011) instead of an ack."""
        self.context(name).hub.faults.close_on_subscribe += max(0, count)

    def on_sent(self, callback: Any) -> None:
        """Call ``callback(exchange, symbol, delta, sent)`` as every book delta takes its turn in the outgoing stream,
        just before it is sent (``sent`` False for a skipped one): a fault campaign's clock and book mirror."""
        for pump in self._pumps.values():
            pump.on_sent = callback

    async def drop_connections(self, name: str, graceful: bool = False) -> int:
        """Cut every websocket of exchange ``name`` (TCP abort, or a close frame if ``graceful``); returns how many."""
        return await self.context(name).hub.drop_all(graceful)

    def stall(self, name: str, seconds: float) -> None:
        """Keep the sockets of ``name`` open but send no market data for ``seconds`` (held, then released)."""
        pump = self._pumps[self.context(name).name]
        pump.ctx.hub.stall(seconds)
        asyncio.get_running_loop().call_later(seconds + 0.001, pump.put, _FLUSH)

    def inject_dislocation(self, name: str, symbol: str, bps: float, seconds: float) -> None:
        """Shift that venue's quotes of ``symbol`` by ``bps`` for ``seconds`` (as market steps)."""
        ctx = self.context(name)
        ctx.book(symbol)
        steps = max(1, round(seconds / self.update_interval)) if self.update_interval > 0 else 1
        self.market.inject_dislocation(ctx.name, symbol, bps, steps)

    # ------------------------------------------------------------------ execution faults (orders, private stream)

    def set_order_latency(self, name: str, seconds: float) -> None:
        """Every new order of ``name`` waits ``seconds`` before the exchange acts on it (0 = none); the answer comes
        after acting, so a client that times out meanwhile still leaves an order that exists."""
        self.engine(name).faults.set_latency(seconds)

    def drop_next_ack(self, name: str, mode: AckDrop | str = AckDrop.RESET) -> None:
        """The next order ``name`` accepts is placed, but its answer is lost: the connection is reset (``reset``) or
        no answer comes until the client gives up (``silence``)."""
        self.engine(name).faults.drop_next_ack(mode)

    def reject_next_order(self, name: str, reason: str = "insufficient_funds") -> None:
        """The next new order of ``name``, a validate-only test order included, is refused with the exchange's own
        error for ``reason`` (one of REJECT_REASONS: insufficient_funds, rate_limit, invalid, min_notional,
        precision, post_only)."""
        kind = REJECT_REASONS.get(reason)
        if kind is None:
            raise ValueError(f"local venue: reject reason {reason!r} unknown (known: {', '.join(REJECT_REASONS)})")
        self.engine(name).faults.reject_next(kind)

    def partial_fill_next(self, name: str, fraction: float) -> None:
        """The next IOC (or market) order of ``name`` fills only ``fraction`` of what the book would give (rounded
        down to the step); the rest expires as an IOC remainder does."""
        self.engine(name).faults.partial_next(fraction)

    def set_clock_skew(self, name: str, seconds: float) -> None:
        """The clock of ``name`` runs ``seconds`` ahead (negative: behind): its server time and its request timestamp
        checks (recvWindow, Timestamp, deadline) use it, as an exchange whose clock is off would (0 = none)."""
        self.context(name).clock_skew_ms = round(seconds * 1000)

    def revoke_key(self, name: str, revoked: bool = True) -> None:
        """The test api key of ``name`` is revoked (``False``: restored): the exchange answers every signed call with
        its invalid-key error, as it does for a deleted key."""
        self.context(name).key_revoked = revoked

    def set_balance(self, name: str, asset: str, free: float) -> None:
        """Set the free balance of ``asset`` in the test account of ``name`` (pushed as a balance event)."""
        engine = self.engine(name)
        account = engine.account(self.context(name).api_key)
        account.move(asset, free=free - account.balance(asset).free)
        engine._emit_balances(account)

    def clear_order_faults(self, name: str) -> None:
        """Disarm every execution fault of ``name`` (latency back to 0)."""
        self.engine(name).faults.clear()

    async def disconnect_private(self, name: str) -> int:
        """Cut (TCP abort) every websocket of ``name`` that carries a private stream; returns how many.

        On Gate.io one connection carries public and private channels, so its books drop with it."""
        hub = self.context(name).hub
        cut = [c for c in hub.connections if c.state.get("private")]
        for conn in cut:
            if conn.transport is not None:
                conn.transport.abort()
            else:
                await conn.ws.close(code=1001, message=b"venue dropped connection")
        hub.connections.difference_update(cut)
        await asyncio.sleep(0)
        return len(cut)


async def serve(
    exchanges: list[str] | tuple[str, ...],
    seed: int = 7,
    port: int = 0,
    update_interval: float = 0.05,
    host: str = "127.0.0.1",
) -> None:
    """Run a LocalVenue until cancelled, printing one line per exchange with its URLs."""
    async with LocalVenue(exchanges, seed=seed, update_interval=update_interval, host=host, port=port) as venue:
        for name in venue.exchanges:
            cfg = venue.exchange_config(name)
            private = cfg.settings.get("private_websocket_url")
            extra = f" private_ws={private}" if private else ""
            print(f"{name}: rest={cfg.base_url} ws={cfg.websocket_url}{extra}", flush=True)
        await asyncio.Event().wait()
