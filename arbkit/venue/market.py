"""SimulatedMarket: one seeded reference random walk per asset, and every venue quoting its own book around it.

Each venue follows the reference with its own lag (an EMA), basis, spread and size noise, so cross-venue spreads
move like real ones. Now and then (seeded) a venue stops following for a while, a book goes thin, or a
fat-finger level prices through the mid. Levels sit on a fixed price grid, so a step changes only a few levels.

The core pairs (``CORE_LISTINGS``) are quoted on every step from one seeded generator, as always. The wider
universe (about 55 more pairs per venue) costs nothing until a client asks for a book (``book()``, or an order
reaching the engine's books): from then on it is quoted too, from its own generator seeded by (seed, venue,
symbol), so activating it never changes the core pairs' path.
"""

from __future__ import annotations

import math
import random
import time
from collections import deque
from typing import Any

import msgspec

from arbkit.venue.book import BookDelta, Level, VenueBook
from arbkit.venue.instruments import CORE_LISTINGS, REFERENCE_PRICES, Instrument, instruments

__all__ = ["PublicTrade", "SimulatedMarket", "VenueProfile"]


class VenueProfile(msgspec.Struct, frozen=True):
    """How one venue quotes: EMA weight toward the reference, half spread and level spacing in bps."""

    alpha: float = 0.5
    half_spread_bps: float = 1.0
    spacing_bps: float = 0.5
    levels: int = 30
    size_usd: float = 8000.0
    refresh: float = 0.15  # chance a level's size is re-drawn on a step


PROFILES: dict[str, VenueProfile] = {
    "binance": VenueProfile(alpha=0.8, half_spread_bps=0.5, spacing_bps=0.5, levels=40, size_usd=20000.0),
    "gateio": VenueProfile(alpha=0.35, half_spread_bps=2.0, spacing_bps=1.0, levels=30, size_usd=6000.0),
    "mexc": VenueProfile(alpha=0.5, half_spread_bps=1.5, spacing_bps=0.8, levels=30, size_usd=8000.0),
    "kraken": VenueProfile(alpha=0.25, half_spread_bps=2.5, spacing_bps=1.2, levels=25, size_usd=7000.0),
}

SIGMA = 0.00006  # per-step relative volatility of the reference
JUMP_RATE = 0.002  # per asset per step
EVENT_RATE = 0.0015  # per book per step: lag, thin book or fat finger
TRADE_RATE = 0.2  # per book per step: a synthetic public trade


class PublicTrade(msgspec.Struct, frozen=True):
    """A public trade on one venue book (synthetic or from a fill); ``side`` is the taker's side."""

    trade_id: int
    price: float
    qty: float
    side: str
    timestamp: int


class _Quoter:
    """Quoting state of one venue book."""

    __slots__ = (
        "active",
        "basis",
        "book",
        "exchange",
        "fat_bps",
        "fat_left",
        "grid",
        "inst",
        "lag_left",
        "mid",
        "prices",
        "profile",
        "rng",
        "shift_bps",
        "shift_left",
        "thin_left",
        "trade_id",
        "unit",
    )

    def __init__(self, exchange: str, inst: Instrument, profile: VenueProfile, ref: float, history: int) -> None:
        self.exchange = exchange
        self.inst = inst
        self.profile = profile
        self.book = VenueBook(inst.symbol, inst.price_decimals, inst.qty_decimals, history)
        self.mid = ref
        self.basis = 0.0
        ticks = max(1, round(ref * profile.spacing_bps / 1e4 / inst.tick_size))
        self.grid = ticks * inst.tick_size
        self.prices: dict[int, float] = {}  # grid index -> its rounded price (the same few hundred, step after step)
        self.unit = profile.size_usd / ref
        self.lag_left = self.thin_left = self.fat_left = self.shift_left = 0
        self.fat_bps = self.shift_bps = 0.0
        self.trade_id = 0
        self.active = True
        self.rng: random.Random | None = None  # None: the market's shared generator (core pairs)


class _Books(dict[str, VenueBook]):
    """An exchange's books for the matching engine: looking one up wakes it (an order means someone trades it)."""

    def __init__(self, market: SimulatedMarket, exchange: str, books: dict[str, VenueBook]) -> None:
        super().__init__(books)
        self._market, self._exchange = market, exchange

    def __getitem__(self, symbol: str) -> VenueBook:
        return self._market.book(self._exchange, symbol)


class SimulatedMarket:
    """Deterministic for a given seed and step count (given the same orders in between)."""

    def __init__(self, exchanges: list[str], seed: int = 7, history: int = 512) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.steps = 0
        self.reference: dict[str, float] = {}
        self._quoters: dict[tuple[str, str], _Quoter] = {}
        self._tapes: dict[tuple[str, str], deque[PublicTrade]] = {}
        self._pending: list[tuple[str, str, PublicTrade]] = []
        core = {(e, s) for e in exchanges for s in CORE_LISTINGS.get(e, ())}
        core_assets = {s.split("/")[0] for _, s in core}
        self._lazy_walks: dict[str, list[Any]] = {}  # asset -> [its generator, steps applied]
        for exchange in exchanges:
            profile = PROFILES.get(exchange, VenueProfile())
            for symbol, inst in instruments(exchange).items():
                ref = self.reference.setdefault(inst.base, REFERENCE_PRICES[inst.base])
                quoter = _Quoter(exchange, inst, profile, ref, history)
                if (exchange, symbol) not in core:
                    quoter.active = False
                    quoter.rng = random.Random(f"{seed}/{exchange}/{symbol}")
                    if inst.base not in core_assets:
                        self._lazy_walks.setdefault(inst.base, [random.Random(f"{seed}/{inst.base}"), 0])
                self._quoters[(exchange, symbol)] = quoter
                self._tapes[(exchange, symbol)] = deque(maxlen=500)
        self._walked = [a for a in self.reference if a in core_assets]  # the shared walk, in listing order
        now = time.time_ns() // 1_000_000
        for quoter in self._quoters.values():
            if quoter.active:
                self._seed_book(quoter, now)
        self._pending.clear()

    def _seed_book(self, quoter: _Quoter, now: int) -> None:
        self._quote(quoter, now)
        for k in range(20):  # a short tape so public trade endpoints are not empty at start
            self._synthetic_trade(quoter, now - (20 - k) * 1500)

    def _activate(self, quoter: _Quoter) -> None:
        """Start quoting a book of the wider universe, at the reference price of this step."""
        quoter.active = True
        self._walk_lazy(quoter.inst.base)
        quoter.mid = self.reference[quoter.inst.base]
        pending = len(self._pending)
        self._seed_book(quoter, time.time_ns() // 1_000_000)
        del self._pending[pending:]  # the seeded tape is history, not news for the trade streams

    def _walk_lazy(self, asset: str) -> None:
        """Bring a lazily walked asset's reference up to this step (its own generator: the path is the same)."""
        walk = self._lazy_walks.get(asset)
        if walk is None:
            return
        rng, done = walk
        price = self.reference[asset]
        for _ in range(self.steps - done):
            price = _move(price, rng)
        self.reference[asset] = price
        walk[1] = self.steps

    def book(self, exchange: str, symbol: str) -> VenueBook:
        quoter = self._quoters[(exchange, symbol)]
        if not quoter.active:
            self._activate(quoter)
        return quoter.book

    def books(self, exchange: str) -> dict[str, VenueBook]:
        books = {sym: q.book for (ex, sym), q in self._quoters.items() if ex == exchange}
        return _Books(self, exchange, books)

    @property
    def active_books(self) -> int:
        """Books quoted on every step."""
        return sum(q.active for q in self._quoters.values())

    def step(self) -> list[tuple[str, str, BookDelta]]:
        """Move every reference price, re-quote every venue book; the non-empty deltas produced."""
        self.steps += 1
        for asset in self._walked:
            self.reference[asset] = _move(self.reference[asset], self.rng)
        now = time.time_ns() // 1_000_000
        out: list[tuple[str, str, BookDelta]] = []
        for (exchange, symbol), quoter in self._quoters.items():
            if not quoter.active:
                continue
            if quoter.rng is not None:
                self._walk_lazy(quoter.inst.base)
            self._maybe_event(quoter)
            delta = self._quote(quoter, now)
            if not delta.is_empty:
                out.append((exchange, symbol, delta))
            if (quoter.rng or self.rng).random() < TRADE_RATE:
                self._synthetic_trade(quoter, now)
        return out

    def inject_dislocation(self, exchange: str, symbol: str, bps: float, steps: int) -> None:
        """Shift that venue's quotes by ``bps`` for ``steps`` market steps."""
        quoter = self._quoters[(exchange, symbol)]
        quoter.shift_bps, quoter.shift_left = bps, max(1, steps)

    def trades(self, exchange: str, symbol: str, limit: int = 500) -> list[PublicTrade]:
        """Recent public trades, oldest first."""
        tape = self._tapes[(exchange, symbol)]
        return list(tape)[-limit:] if limit > 0 else []

    def record_trade(self, exchange: str, symbol: str, price: float, qty: float, side: str, ts: int) -> PublicTrade:
        quoter = self._quoters[(exchange, symbol)]
        quoter.trade_id += 1
        trade = PublicTrade(quoter.trade_id, price, qty, side, ts)
        self._tapes[(exchange, symbol)].append(trade)
        self._pending.append((exchange, symbol, trade))
        return trade

    def drain_trades(self) -> list[tuple[str, str, PublicTrade]]:
        """Trades recorded since the last drain (for the public trade streams)."""
        pending, self._pending = self._pending, []
        return pending

    def _maybe_event(self, q: _Quoter) -> None:
        rng = q.rng or self.rng
        q.lag_left = max(0, q.lag_left - 1)
        q.thin_left = max(0, q.thin_left - 1)
        q.fat_left = max(0, q.fat_left - 1)
        q.shift_left = max(0, q.shift_left - 1)
        u = rng.random()
        if u < EVENT_RATE:
            kind = rng.randrange(3)
            if kind == 0:
                q.lag_left = rng.randint(20, 80)
            elif kind == 1:
                q.thin_left = rng.randint(20, 60)
            else:
                q.fat_left = rng.randint(5, 30)
                q.fat_bps = rng.choice((-1.0, 1.0)) * rng.uniform(8.0, 45.0)
        q.basis = q.basis * 0.98 + rng.gauss(0.0, 0.15)

    def _quote(self, q: _Quoter, now: int) -> BookDelta:
        rng, p, inst = q.rng or self.rng, q.profile, q.inst
        ref = self.reference[inst.base]
        if q.lag_left == 0:
            q.mid += p.alpha * (ref - q.mid)
        shift = q.basis + (q.shift_bps if q.shift_left else 0.0)
        mid = q.mid * (1.0 + shift / 1e4)
        grid, pd = q.grid, inst.price_decimals
        bid_idx = math.floor(mid * (1.0 - p.half_spread_bps / 1e4) / grid)
        ask_idx = max(math.ceil(mid * (1.0 + p.half_spread_bps / 1e4) / grid), bid_idx + 1)
        extra_bid: Level | None = None
        extra_ask: Level | None = None
        if q.fat_left:
            # On the grid like every other level, so the opposite side is placed by integer index, never by a
            # float division that can land exactly on the fat level and cross the book.
            fat_idx = round(mid * (1.0 + q.fat_bps / 1e4) / grid)
            fat_price = round(fat_idx * grid, pd)
            if q.fat_bps > 0:
                extra_bid = (fat_price, q.unit * 0.5)
                ask_idx = max(ask_idx, fat_idx + 1)
            else:
                extra_ask = (fat_price, q.unit * 0.5)
                bid_idx = min(bid_idx, fat_idx - 1)
        scale = q.unit * (0.08 if q.thin_left else 1.0)
        if len(q.prices) > 4096:  # the price walked far: forget the grid points left behind
            q.prices.clear()
        bids = self._side(q.book.bids, bid_idx, -1, grid, pd, scale, p, rng, q.prices)
        asks = self._side(q.book.asks, ask_idx, 1, grid, pd, scale, p, rng, q.prices)
        if extra_bid is not None:
            bids[extra_bid[0]] = extra_bid[1]
        if extra_ask is not None:
            asks[extra_ask[0]] = extra_ask[1]
        step = inst.step_size
        return q.book.apply(_diff(q.book.bids, bids, step), _diff(q.book.asks, asks, step), now)

    @staticmethod
    def _side(
        current: dict[float, float],
        top: int,
        direction: int,
        grid: float,
        pd: int,
        scale: float,
        p: VenueProfile,
        rng: random.Random,
        prices: dict[int, float],
    ) -> dict[float, float]:
        out: dict[float, float] = {}
        refresh = p.refresh
        random_ = rng.random
        get = current.get
        for k in range(p.levels):
            idx = top + direction * k
            price = prices.get(idx)
            if price is None:
                price = prices[idx] = round(idx * grid, pd)
            u = random_()
            existing = get(price)
            if existing is not None and u >= refresh:
                out[price] = existing
                continue
            noise = u / refresh if existing is not None else u
            out[price] = scale * (1.0 + 0.15 * k) * (0.5 + noise)
        return out

    def _synthetic_trade(self, q: _Quoter, now: int) -> None:
        rng = q.rng or self.rng
        buy = rng.random() < 0.5
        size = q.inst.round_qty(q.unit * rng.uniform(0.01, 0.2))
        price = q.book.best_ask if buy else q.book.best_bid
        if price is None or size < q.inst.step_size:
            return
        self.record_trade(q.exchange, q.inst.symbol, price, size, "buy" if buy else "sell", now)


def _move(price: float, rng: random.Random) -> float:
    """One step of a reference random walk: Gaussian noise plus a rare jump."""
    move = SIGMA * rng.gauss(0.0, 1.0)
    if rng.random() < JUMP_RATE:
        move += rng.choice((-1.0, 1.0)) * rng.uniform(0.002, 0.005)
    return price * (1.0 + move)


def _diff(current: dict[float, float], target: dict[float, float], step: float) -> list[Level]:
    """Levels to send so ``current`` becomes ``target`` (quantities floored at one step)."""
    changes: list[Level] = [(price, 0.0) for price in current if price not in target]
    get = current.get
    for price, qty in target.items():
        if qty < step:
            qty = step
        if get(price) != qty:
            changes.append((price, qty))
    return changes
