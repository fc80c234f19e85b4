"""Kraken's names and JSON shapes built from the venue's structs (asset and pair ids, txids, asset pairs, tickers,
order infos, websocket executions) and its error form, shared by the REST handlers and the websocket."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from arbkit.structs import OrderStatus, Side
from arbkit.venue.book import BookSnapshot
from arbkit.venue.engine import Fill, VenueOrder
from arbkit.venue.instruments import Instrument, kraken_assets
from arbkit.venue.market import PublicTrade

__all__ = [
    "ASSETS",
    "KrakenError",
    "KrakenPairs",
    "asset_pair",
    "descr_text",
    "execution",
    "fee_tier",
    "fixed",
    "from_txid",
    "iso_time",
    "order_info",
    "pair_ids",
    "ticker",
    "to_txid",
    "trade_info",
]

# unified asset -> (Kraken asset id, altname), with Kraken's quirks (XXBT/XBT, XXDG/XDG, ZUSD, ...)
ASSETS: dict[str, tuple[str, str]] = kraken_assets()
_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_TXID = re.compile(r"^[OT][A-Z2-7]{5}-[A-Z2-7]{5}-[A-Z2-7]{6}$")
_REST_STATUS = {
    OrderStatus.FILLED: "closed",
    OrderStatus.CANCELED: "canceled",
    OrderStatus.EXPIRED: "expired",
    OrderStatus.REJECTED: "canceled",
}
_WS_STATUS = {
    OrderStatus.OPEN: "new",
    OrderStatus.PARTIALLY_FILLED: "partially_filled",
    OrderStatus.FILLED: "filled",
    OrderStatus.CANCELED: "canceled",
    OrderStatus.EXPIRED: "expired",
    OrderStatus.REJECTED: "canceled",
}


class KrakenError(Exception):
    """A refusal in Kraken's form: HTTP 200 with ``{"error": [code], "result": {}}``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def to_txid(prefix: str, number: int) -> str:
    """A Kraken-style id (``OABCDE-FGHIJ-KLMNOP``) that encodes a venue number, so it decodes back."""
    chars = "".join(_B32[(number >> (5 * i)) & 31] for i in range(15, -1, -1))
    return f"{prefix}{chars[:5]}-{chars[5:10]}-{chars[10:]}"


def from_txid(txid: str) -> int:
    """The venue number of an order or trade txid; KrakenError for anything else."""
    if not _TXID.match(txid):
        raise KrakenError("EOrder:Invalid order")
    number = 0
    for ch in txid[1:].replace("-", ""):
        number = number * 32 + _B32.index(ch)
    return number


def iso_time(ms: int | float) -> str:
    """Kraken's websocket time format for epoch milliseconds."""
    return datetime.fromtimestamp(ms / 1000.0, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def fixed(value: float | None, decimals: int) -> str:
    """A fixed-point decimal string, as Kraken's REST sends numbers (None as zero)."""
    return f"{value or 0.0:.{decimals}f}"


def pair_ids(inst: Instrument) -> tuple[str, str, str]:
    """(pair id, altname, wsname) as Kraken names them: XXBTZUSD / XBTUSD / XBT/USD, XBTUSDT / XBTUSDT / XBT/USDT."""
    (base_id, base_alt), (quote_id, quote_alt) = ASSETS[inst.base], ASSETS[inst.quote]
    legacy = len(base_id) == 4 and base_id[0] == "X" and len(quote_id) == 4 and quote_id[0] == "Z"
    return (base_id + quote_id if legacy else base_alt + quote_alt), base_alt + quote_alt, f"{base_alt}/{quote_alt}"


class KrakenPairs:
    """The instruments under every name Kraken accepts for a pair (pair id, altname, wsname)."""

    def __init__(self, instruments: dict[str, Instrument]) -> None:
        self.by_pair: dict[str, Instrument] = {}
        for inst in instruments.values():
            pid, alt, ws = pair_ids(inst)
            self.by_pair.update({pid: inst, alt: inst, ws: inst})

    def inst(self, pair: str | None) -> Instrument:
        inst = self.by_pair.get(pair or "")
        if inst is None:
            raise KrakenError("EQuery:Unknown asset pair")
        return inst


def asset_pair(inst: Instrument) -> tuple[str, dict[str, Any]]:
    """One ``AssetPairs`` entry: (pair id, its description)."""
    pid, alt, ws = pair_ids(inst)
    quote_decimals = 5 if inst.quote == "USD" else 8
    return pid, {
        "altname": alt,
        "wsname": ws,
        "aclass_base": "currency",
        "base": ASSETS[inst.base][0],
        "aclass_quote": "currency",
        "quote": ASSETS[inst.quote][0],
        "lot": "unit",
        "cost_decimals": quote_decimals,
        "pair_decimals": inst.price_decimals,
        "lot_decimals": inst.qty_decimals,
        "lot_multiplier": 1,
        "leverage_buy": [],
        "leverage_sell": [],
        "fees": [[0, round(inst.taker_fee * 100, 4)]],
        "fees_maker": [[0, round(inst.maker_fee * 100, 4)]],
        "fee_volume_currency": "ZUSD",
        "margin_call": 80,
        "margin_stop": 40,
        "ordermin": fixed(inst.min_qty, inst.qty_decimals),
        "costmin": fixed(inst.min_notional, 2),
        "tick_size": fixed(inst.tick_size, inst.price_decimals),
        "status": "online",
    }


def ticker(inst: Instrument, snap: BookSnapshot, tape: list[PublicTrade]) -> dict[str, Any]:
    """One ``Ticker`` entry: the touch from the book, the day's stats from the recent tape (oldest first)."""
    pd, qd = inst.price_decimals, inst.qty_decimals
    prices = [t.price for t in tape] or [((snap.best_bid or 0.0) + (snap.best_ask or 0.0)) / 2]
    volume = sum(t.qty for t in tape)
    vwap = sum(t.qty * t.price for t in tape) / volume if volume else prices[-1]
    bid, ask = (snap.bids or [(0.0, 0.0)])[0], (snap.asks or [(0.0, 0.0)])[0]
    last_qty = tape[-1].qty if tape else 0.0
    return {
        "a": [fixed(ask[0], pd), str(max(1, round(ask[1]))), fixed(ask[1], qd)],
        "b": [fixed(bid[0], pd), str(max(1, round(bid[1]))), fixed(bid[1], qd)],
        "c": [fixed(prices[-1], pd), fixed(last_qty, qd)],
        "v": [fixed(volume, qd), fixed(volume, qd)],
        "p": [fixed(vwap, pd)] * 2,
        "t": [len(tape)] * 2,
        "l": [fixed(min(prices), pd)] * 2,
        "h": [fixed(max(prices), pd)] * 2,
        "o": fixed(prices[0], pd),
    }


def descr_text(inst: Instrument, side: str, volume: float, kind: str, price: float | None) -> str:
    """Kraken's one-line order description, e.g. ``buy 0.10000000 XBTUSD @ limit 50000.0``."""
    tail = f"limit {fixed(price, inst.price_decimals)}" if kind == "limit" else "market"
    return f"{side} {volume:.8f} {pair_ids(inst)[1]} @ {tail}"


def order_info(inst: Instrument, order: VenueOrder, trade_ids: list[str] | None = None) -> dict[str, Any]:
    """An order as ``QueryOrders`` / ``OpenOrders`` / ``ClosedOrders`` return it; ``trades`` only when given."""
    pd, side = inst.price_decimals, order.side.value
    status = _REST_STATUS.get(order.status, "open")
    out: dict[str, Any] = {
        "refid": None,
        "userref": 0,
        "cl_ord_id": order.client_order_id,
        "status": status,
        "opentm": order.created / 1000.0,
        "starttm": 0,
        "expiretm": 0,
        "descr": {
            "pair": pair_ids(inst)[1],
            "type": side,
            "ordertype": order.type.value,
            "price": fixed(order.price, pd),
            "price2": "0",
            "leverage": "none",
            "order": descr_text(inst, side, order.quantity, order.type.value, order.price),
            "close": "",
        },
        "vol": f"{order.quantity:.8f}",
        "vol_exec": f"{order.filled:.8f}",
        "cost": fixed(order.quote_filled, 8),
        "fee": fixed(order.fee, 8),
        "price": fixed(order.average, pd + 4),
        "stopprice": "0.00000",
        "limitprice": "0.00000",
        "misc": "",
        "oflags": ("fcib" if order.side is Side.BUY else "fciq") + (",post" if order.post_only else ""),
    }
    if status != "open":
        out["closetm"] = order.updated / 1000.0
        out["reason"] = "User requested" if status == "canceled" else None
    if trade_ids is not None:
        out["trades"] = trade_ids
    return out


def trade_info(inst: Instrument, fill: Fill, order_txid: str) -> dict[str, Any]:
    """One fill as ``TradesHistory`` returns it (keyed by its trade txid); ``fee`` is in the quote currency, as
    Kraken charges it, so a base-currency fee is converted at the fill price."""
    fee = fill.fee * fill.price if fill.fee_asset == inst.base else fill.fee
    return {
        "ordertxid": order_txid,
        "postxid": to_txid("T", fill.trade_id + (1 << 40)),
        "pair": pair_ids(inst)[0],
        "time": fill.timestamp / 1000.0,
        "type": fill.side.value,
        "ordertype": "limit",
        "price": fixed(fill.price, inst.price_decimals),
        "cost": fixed(fill.quote_qty, 8),
        "fee": fixed(fee, 8),
        "vol": fixed(fill.qty, 8),
        "margin": "0.00000",
        "leverage": "0",
        "misc": "",
        "trade_id": fill.trade_id,
        "maker": fill.maker,
    }


def execution(inst: Instrument, order: VenueOrder, exec_type: str) -> dict[str, Any]:
    """One item of the websocket ``executions`` channel for an order."""
    fee_quote = order.fee * (order.average or 0.0) if order.fee_asset == inst.base else order.fee
    out: dict[str, Any] = {
        "order_id": to_txid("O", order.order_id),
        "order_userref": 0,
        "cl_ord_id": order.client_order_id,
        "symbol": order.symbol,
        "side": order.side.value,
        "order_type": order.type.value,
        "order_qty": order.quantity,
        "time_in_force": order.time_in_force.value,
        "exec_type": exec_type,
        "order_status": _WS_STATUS[order.status],
        "cum_qty": order.filled,
        "cum_cost": order.quote_filled,
        "avg_price": order.average or 0.0,
        "fee_usd_equiv": fee_quote,
        "fee_ccy_pref": "fcib" if order.side is Side.BUY else "fciq",
        "timestamp": iso_time(order.updated),
    }
    if order.price is not None:
        out.update(limit_price=order.price, limit_price_type="static")
    if exec_type == "canceled":
        out["reason"] = out["cancel_reason"] = "User requested"
    return out


def fee_tier(rate: float) -> dict[str, Any]:
    """A ``TradeVolume`` fee entry for a flat rate."""
    pct = f"{rate * 100:.4f}"
    return {"fee": pct, "minfee": "0.1000", "maxfee": pct, "nextfee": None, "tiervolume": "0.0000", "nextvolume": None}
