"""What execution asks of an exchange beyond placing orders, through ccxt's own calls: lookup by client order id,
cancel-all, trade history, the dead-man switch, the validate-only order path and orders with a staleness guard.

Each exchange does these its own way; ``ExecutionDialect`` says which (declarative, one entry per ccxt id), and
``CcxtExecutionCalls`` turns the differences into one behaviour. Exchanges without a feature raise NotSupportedError
(or, for the dead-man switch, answer False) rather than pretending.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import msgspec

from arbkit.errors import BaseExchangeError, InvalidOrderError, NotSupportedError, OrderNotFoundError
from arbkit.exchanges import convert
from arbkit.exchanges.order_checks import check_order_id
from arbkit.exchanges.order_wire import prepare, submit, wire_values
from arbkit.structs import Fill, Order, OrderType, Side, Symbol, TimeInForce

__all__ = ["DIALECTS", "CcxtExecutionCalls", "ExecutionDialect", "dialect_of"]


class ExecutionDialect(msgspec.Struct, frozen=True, kw_only=True):
    """How one exchange does the execution calls (defaults: what ccxt's unified API offers any exchange)."""

    # prefix the exchange requires on client order ids (Gate.io ``text`` must start ``t-``; ccxt adds it on create)
    client_id_prefix: str = ""
    # False: ccxt's fetch_order cannot look up by client id (Kraken), search open then closed orders by cl_ord_id
    fetch_by_client_id: bool = True
    # the params that turn create_order into the validate-only path; None = the exchange has none
    validate_params: dict[str, Any] | None = None
    # "kraken": CancelAllOrdersAfter; "gate": spot countdown_cancel_all; "ccxt": unified cancel_all_orders_after
    dead_man: str | None = None
    dead_man_min_s: int = 1
    # "recvWindow" (Binance, MEXC) or "deadline" (Kraken): how a new order carries its staleness guard
    staleness: str | None = None
    staleness_min_ms: int = 1
    staleness_max_ms: int = 60_000
    # False: cancel_all_orders ignores the symbol and cancels every pair (Kraken CancelAll)
    cancel_all_per_symbol: bool = True
    # the page size to ask of fetch_my_trades (the exchange's maximum)
    trades_page: int = 500
    # Kraken pages TradesHistory by offset (50 rows), not by time
    trades_by_offset: bool = False


DIALECTS: dict[str, ExecutionDialect] = {
    "binance": ExecutionDialect(validate_params={"test": True}, staleness="recvWindow", trades_page=1000),
    # MEXC has recvWindow on the wire, but ccxt 4.5.90 always signs it from options["recvWindow"] (one value per
    # client), so a per-order guard cannot be sent through ccxt: no staleness guard here.
    "mexc": ExecutionDialect(validate_params={"test": True}, trades_page=100),
    "gate": ExecutionDialect(client_id_prefix="t-", dead_man="gate", dead_man_min_s=5, trades_page=1000),
    "kraken": ExecutionDialect(
        fetch_by_client_id=False,
        validate_params={"validate": True},
        dead_man="kraken",
        staleness="deadline",
        staleness_max_ms=60_000,
        cancel_all_per_symbol=False,
        trades_page=50,
        trades_by_offset=True,
    ),
}


def dialect_of(ccxt_id: str, client: Any) -> ExecutionDialect:
    """The dialect of a ccxt id; for any other exchange, what ccxt's ``has`` says it supports."""
    known = DIALECTS.get(ccxt_id)
    if known is not None:
        return known
    return ExecutionDialect(dead_man="ccxt" if client.has.get("cancelAllOrdersAfter") else None)


class CcxtExecutionCalls:
    """The execution calls over one ``CcxtHandle`` (the private REST component's)."""

    def __init__(self, handle: Any) -> None:
        self.h = handle
        self.dialect = dialect_of(handle.spec.ccxt_id, handle.client)

    def _fail(self, error: type[Exception], message: str) -> Exception:
        return error(None, message, exchange=self.h.name)

    def wire_client_id(self, client_order_id: str) -> str:
        """The client order id as the exchange stores it (Gate.io: with its ``t-`` prefix)."""
        prefix = self.dialect.client_id_prefix
        return client_order_id if client_order_id.startswith(prefix) else prefix + client_order_id

    async def order_by_client_id(self, symbol: Symbol, client_order_id: str) -> Order:
        """The order with this client id (the latest when the exchange allows reuse); OrderNotFoundError if none."""
        await self.h.market(symbol)
        cid = self.wire_client_id(client_order_id)
        client, action = self.h.client, f"fetch order by client id {cid} {symbol}"
        if self.dialect.fetch_by_client_id:
            raw = await self.h.call(action, client.fetch_order(None, str(symbol), {"clientOrderId": cid}))
            return convert.order(self.h.name, raw)
        for fetch in (client.fetch_open_orders, client.fetch_closed_orders):
            rows = await self.h.call(action, fetch(str(symbol), None, None, {"clientOrderId": cid}))
            found = [r for r in rows if r.get("clientOrderId") == cid and r.get("symbol") == str(symbol)]
            if found:
                return convert.order(self.h.name, found[0])
        raise self._fail(OrderNotFoundError, f"{action} failed: no order with client id {cid}")

    async def cancel_all(self, symbol: Symbol | None) -> int:
        """Cancel every open order (of ``symbol`` only, when given); returns how many were cancelled."""
        client = self.h.client
        if not self.dialect.cancel_all_per_symbol:
            if symbol is None:
                raw = await self.h.call("cancel all orders", client.cancel_all_orders())
                result = ((raw[0] if raw else {}).get("info") or {}).get("result") or {}
                return int(result.get("count") or 0)
            await self.h.market(symbol)  # the exchange's cancel-all spans every pair: cancel this one's one by one
            open_orders = await self.h.call(f"open orders {symbol}", client.fetch_open_orders(str(symbol)))
            for row in open_orders:
                await self.h.call(f"cancel {row['id']} {symbol}", client.cancel_order(row["id"], str(symbol)))
            return len(open_orders)
        symbols = [str(symbol)] if symbol is not None else await self._symbols_with_open_orders()
        count = 0
        for name in symbols:
            try:
                count += len(await self.h.call(f"cancel all orders {name}", client.cancel_all_orders(name)))
            except OrderNotFoundError:  # Binance answers a symbol without open orders with -2011
                continue
        return count

    async def _symbols_with_open_orders(self) -> list[str]:
        client = self.h.client
        client.options["warnOnFetchOpenOrdersWithoutSymbol"] = False  # Binance: an explicit all-symbols query
        rows = await self.h.call("open orders all", client.fetch_open_orders())
        return sorted({str(r["symbol"]) for r in rows})

    async def my_trades(self, symbol: Symbol, since: int | None) -> list[Fill]:
        """The account's fills of ``symbol`` since ``since`` (epoch ms), oldest first, fees per fill."""
        await self.h.market(symbol)
        client, page, action = self.h.client, self.dialect.trades_page, f"trade history {symbol}"
        rows: list[dict[str, Any]] = []
        if self.dialect.trades_by_offset:  # newest first, all pairs, 50 a page: walk every page, then filter
            offset = 0
            while True:
                got = await self.h.call(action, client.fetch_my_trades(None, since, None, {"ofs": offset}))
                rows.extend(got)
                offset += len(got)
                if len(got) < page:
                    break
        else:
            cursor = since
            while True:
                got = await self.h.call(action, client.fetch_my_trades(str(symbol), cursor, page))
                rows.extend(got)
                if len(got) < page or cursor is None:
                    break
                cursor = int(got[-1]["timestamp"]) + 1
        fills = {f.trade_id: f for f in (convert.fill(self.h.name, r) for r in rows) if f.symbol == symbol}
        return sorted(fills.values(), key=lambda f: (f.timestamp, f.trade_id))

    async def arm_dead_man_switch(self, seconds: float) -> bool:
        """Arm (or with 0 disarm) the exchange's cancel-all countdown; False when the exchange has none."""
        kind = self.dialect.dead_man
        if kind is None:
            return False
        if seconds < 0 or seconds != int(seconds) or 0 < seconds < self.dialect.dead_man_min_s:
            raise self._fail(
                InvalidOrderError,
                f"dead-man switch: timeout must be 0 or whole seconds >= {self.dialect.dead_man_min_s}, got {seconds}",
            )
        client, action = self.h.client, f"dead-man switch {int(seconds)} s"
        if kind == "gate":
            await self.h.call(action, client.private_spot_post_countdown_cancel_all({"timeout": int(seconds)}))
        else:
            await self.h.call(action, client.cancel_all_orders_after(int(seconds) * 1000))
        return True

    async def validate(
        self, symbol: Symbol, side: Side, quantity: float, price: float, time_in_force: TimeInForce
    ) -> None:
        """Run the exchange's validate-only path (nothing placed); raises what placing the order would raise."""
        checked = await prepare(self.h, symbol, side, OrderType.LIMIT, quantity, price, None)
        if self.dialect.validate_params is None:
            raise self._fail(NotSupportedError, f"validate {side} {quantity} {symbol}: the exchange has no test orders")
        params = dict(self.dialect.validate_params)
        if time_in_force is not TimeInForce.GTC:
            params["timeInForce"] = time_in_force.value
        amount, price_sent = wire_values(self.h.name, self.h.client, checked)
        action = f"validate limit {side} {quantity} {symbol} @ {price}"
        create = self.h.client.create_order(str(checked.symbol), "limit", str(side), amount, price_sent, params)
        await self.h.call(action, create)

    def staleness_params(self, valid_for_ms: int) -> dict[str, Any]:
        """The request params that make the exchange refuse the order if it acts later than ``valid_for_ms``."""
        d = self.dialect
        if d.staleness is None:
            raise self._fail(NotSupportedError, "orders with a staleness guard: the exchange has none")
        if not d.staleness_min_ms <= valid_for_ms <= d.staleness_max_ms:
            raise self._fail(
                InvalidOrderError,
                f"staleness guard {valid_for_ms} ms out of range [{d.staleness_min_ms}, {d.staleness_max_ms}]",
            )
        if d.staleness == "recvWindow":
            return {"recvWindow": int(valid_for_ms)}
        deadline = datetime.fromtimestamp(time.time() + valid_for_ms / 1000.0, UTC)
        return {"deadline": deadline.isoformat(timespec="milliseconds").replace("+00:00", "Z")}

    async def place_within(
        self,
        symbol: Symbol,
        side: Side,
        quantity: float,
        price: float,
        valid_for_ms: int,
        time_in_force: TimeInForce,
        client_order_id: str | None,
    ) -> Order:
        """A limit order carrying the exchange's staleness guard, sent once with exactly the checked values (see
        ``order_wire``); an order the exchange refuses as stale raises InvalidOrderError."""
        checked = await prepare(self.h, symbol, side, OrderType.LIMIT, quantity, price, None)
        params = self.staleness_params(valid_for_ms)
        if time_in_force is not TimeInForce.GTC:
            params["timeInForce"] = time_in_force.value
        if client_order_id is not None:
            params["clientOrderId"] = check_order_id(self.h.name, checked.symbol, client_order_id, "client_order_id")
        try:
            return await submit(self.h, checked, params)
        except BaseExchangeError as exc:  # Binance -1021 comes as ccxt InvalidNonce, Kraken's as a plain error
            if "InvalidNonce" not in exc.message and "Deadline elapsed" not in exc.message:
                raise
            stale = f"refused as stale ({valid_for_ms} ms guard): {exc.message}"
            raise self._fail(InvalidOrderError, stale) from None
