"""Gate.io spot API v4 on the local venue: REST under ``/api/v4`` and the websocket ``/ws/v4/``, as ccxt's ``gate``
and ccxt.pro's ``gate`` speak them (signed REST and websocket auth verified exactly as Gate computes them).

Books go out on ``spot.obu``: a ``full`` snapshot, then deltas whose ``U``/``u`` are the venue book's sequence ids,
so a skipped sequence (a core fault) shows as a gap. Private channels: ``spot.orders``, ``spot.balances``,
``spot.usertrades``. Layout: ``gateio_auth`` (signing), ``gateio_payloads`` (JSON shapes, errors),
``gateio_rest`` (REST handlers), ``gateio_ws`` (websocket channels); this module wires them together.
"""

from __future__ import annotations

from aiohttp import web

from arbkit.venue.book import BookDelta
from arbkit.venue.engine import BalanceEvent, OrderEvent
from arbkit.venue.market import PublicTrade
from arbkit.venue.protocols import ExchangeContext
from arbkit.venue.protocols.gateio_auth import MAX_CLOCK_SKEW_S, rest_signature, ws_signature
from arbkit.venue.protocols.gateio_payloads import GatePayloads
from arbkit.venue.protocols.gateio_rest import GatePrivateRest, GatePublicRest
from arbkit.venue.protocols.gateio_ws import GateStream

__all__ = ["MAX_CLOCK_SKEW_S", "GateioProtocol", "rest_signature", "ws_signature"]


class GateioProtocol:
    """The Gate.io spot protocol object the venue server mounts under ``/gateio``."""

    name = "gateio"

    def __init__(self, ctx: ExchangeContext) -> None:
        self.ctx = ctx
        payloads = GatePayloads(ctx.instruments)
        self.public = GatePublicRest(ctx, payloads)
        self.private = GatePrivateRest(ctx, payloads)
        self.stream = GateStream(ctx, payloads)

    @property
    def credentials(self) -> tuple[str, str]:
        return self.ctx.api_key, self.ctx.secret

    def routes(self) -> list[web.RouteDef]:
        ws = [web.get(path, self.stream.handle) for path in ("/ws/v4/", "/ws/v4")]
        return [*self.public.routes(), *self.private.routes(), *ws]

    def urls(self, origin: str) -> dict[str, str]:
        base = f"{origin.rstrip('/')}/{self.name}"
        ws = "ws" + base.removeprefix("http") + "/ws/v4/"
        return {"base_url": base, "websocket_url": ws, "private_websocket_url": ws}

    def close(self) -> None:
        """Disarm the dead-man switch countdowns (the venue is shutting down)."""
        self.private.timers.close()

    async def on_book_delta(self, symbol: str, delta: BookDelta) -> None:
        await self.stream.on_book_delta(symbol, delta)

    async def on_trade(self, symbol: str, trade: PublicTrade) -> None:
        await self.stream.on_trade(symbol, trade)

    async def on_order_event(self, event: OrderEvent) -> None:
        await self.stream.on_order_event(event)

    async def on_balance_event(self, event: BalanceEvent) -> None:
        await self.stream.on_balance_event(event)
