"""Property: any order input either fails with an arbkit error naming the field, or reaches the venue with exactly
the validated values (hypothesis over prices and quantities on and off the grid, float noise, NaN/inf, wrong types)."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arbkit.errors import ArbkitError
from arbkit.exchanges import factory
from arbkit.exchanges.composite_private import CompositePrivateSpotExchange
from arbkit.structs import Symbol
from arbkit.venue import LocalVenue
from tests.conftest import PRIVATE_EXCHANGES

BTC = Symbol.parse("BTC/USDT")
TICK, STEP = Decimal("0.01"), Decimal("0.00001")  # the venue's BTC/USDT grid on every exchange
_MODES = {"down": ROUND_FLOOR, "up": ROUND_CEILING, "nearest": ROUND_HALF_EVEN}


class Value:
    """One generated input: what is passed, and the decimal it stands for (None when it is not a number)."""

    def __init__(self, passed: object, meant: Decimal | None) -> None:
        self.passed, self.meant = passed, meant

    def __repr__(self) -> str:
        return f"Value({self.passed!r})"


def numbers(unit: Decimal, low: int, high: int) -> st.SearchStrategy[Value]:
    """Multiples of ``unit`` (exact, or with float noise from summing), some a tenth-unit off, and bad values."""

    def on_grid(k: int, tenths: int, noisy: bool) -> Value:
        meant = unit * k + unit * tenths / 10
        if noisy:  # the same decimal reached through float arithmetic: k*unit plus a float fraction
            passed: object = float(unit) * k + float(unit * tenths / 10)
            if Decimal(f"{passed:.15g}") != meant:  # noise beyond what a float carries: not this case's point
                passed = float(meant)
        else:
            passed = float(meant)
        return Value(passed, meant)

    good = st.builds(on_grid, st.integers(low, high), st.sampled_from([0, 0, 0, 1, 5, 9]), st.booleans())
    not_numbers = [Value(math.nan, None), Value(math.inf, None), Value(-math.inf, None), Value("1", None)]
    not_positive = [Value(None, None), Value(True, None), Value(0.0, Decimal(0)), Value(-float(unit), -unit)]
    bad = st.sampled_from([*not_numbers, *not_positive])
    return st.one_of(good, good, good, bad)


@pytest.fixture(params=PRIVATE_EXCHANGES)
async def private(venue: LocalVenue, request: pytest.FixtureRequest) -> AsyncIterator[CompositePrivateSpotExchange]:
    venue.pause()  # books hold still, so the far prices below stay far
    async with factory.get_composite_implementation(venue.exchange_config(request.param), is_private=True) as opened:
        yield await opened.init([BTC])


def _expected(value: Value, unit: Decimal, rounding: str | None) -> Decimal | None:
    """The decimal that should be sent, or None when the input must be refused."""
    if value.meant is None or value.meant <= 0:
        return None
    units = value.meant / unit
    if units == units.to_integral_value():
        return value.meant
    if rounding is None:
        return None
    return units.to_integral_value(_MODES[rounding]) * unit


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    side=st.sampled_from(["buy", "sell"]),
    quantity=numbers(STEP, 20, 5000),  # 0.0002 .. 0.05 BTC: above every minimum notional, within the balances
    price_offset=numbers(TICK, 0, 100_000),  # up to 1000 USDT away from the far anchor
    rounding=st.sampled_from([None, None, None, "down", "up", "nearest"]),
)
async def test_an_order_is_refused_naming_the_field_or_sent_exactly(
    venue: LocalVenue,
    private: CompositePrivateSpotExchange,
    side: str,
    quantity: Value,
    price_offset: Value,
    rounding: str | None,
) -> None:
    name = private.name
    book = venue.book(name, str(BTC))
    # a resting price: 20% below the bid for a buy, 20% above the ask for a sell, plus the generated offset
    anchor = Decimal(math.floor(book.bids[0][0] * 0.8)) if side == "buy" else Decimal(math.ceil(book.asks[0][0] * 1.2))
    if price_offset.meant is None or isinstance(price_offset.passed, bool):
        price = Value(price_offset.passed, None)
    else:
        meant = anchor + price_offset.meant
        price = Value(float(anchor) + float(price_offset.passed), meant)  # type: ignore[arg-type]
    want_qty = _expected(quantity, STEP, rounding)
    want_price = _expected(price, TICK, rounding)
    api_key, _ = venue.credentials(name)
    orders = venue.engine(name).account(api_key).orders
    before = set(orders)
    kwargs: dict[str, Any] = {"rounding": rounding}
    try:
        placed = await private.place_limit_order(BTC, side, quantity.passed, price.passed, **kwargs)  # type: ignore[arg-type]
    except ArbkitError as exc:
        message = str(exc)
        assert set(orders) == before, f"refused, yet the venue got an order: {message}"
        bad = [f for f, want in (("quantity", want_qty), ("price", want_price)) if want is None]
        assert bad, f"a valid order was refused: {message}"
        assert message.startswith(f"{name}: BTC/USDT"), message
        assert any(field in message for field in bad), f"the error names none of {bad}: {message}"
        if want_qty is not None and price.meant is not None and price.meant > 0:  # a finite price off the tick
            assert f"price {price.meant.normalize():f} is not a multiple of the tick size 0.01" in message, message
        return
    assert want_qty is not None and want_price is not None, f"an invalid order was sent: {placed}"
    (new,) = [orders[k] for k in set(orders) - before]
    assert (new.quantity, new.price) == (float(want_qty), float(want_price)), "the wire carried other values"
    assert (placed.quantity, placed.price) == (float(want_qty), float(want_price)), "the Order shows what was placed"
    await private.cancel_order(BTC, placed.order_id)
