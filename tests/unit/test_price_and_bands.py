"""The token price shown to creditors, and the bands a score is shown in."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.billing.rules import invoice_price_cents
from app.scores.rules import Band, band_for


def test_one_token_per_invoice_from_a_pack_of_a_hundred_at_49_euros_costs_49_cents() -> None:
    price = invoice_price_cents(pack_price_cents=4900, pack_size=100, tokens_per_invoice=1)
    assert price == Decimal(49)


def test_an_invoice_costing_two_tokens_costs_twice_as_much_and_keeps_its_fractions() -> None:
    price = invoice_price_cents(pack_price_cents=4900, pack_size=300, tokens_per_invoice=2)
    assert price == Decimal(9800) / 300
    assert round(price, 2) == Decimal("32.67")


@pytest.mark.parametrize(
    ("pack_price_cents", "pack_size", "tokens_per_invoice"),
    [(4900, 0, 1), (4900, 10, 0), (-1, 10, 1)],
)
def test_an_impossible_price_is_refused(
    pack_price_cents: int, pack_size: int, tokens_per_invoice: int
) -> None:
    with pytest.raises(ValueError):
        invoice_price_cents(
            pack_price_cents=pack_price_cents,
            pack_size=pack_size,
            tokens_per_invoice=tokens_per_invoice,
        )


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (100, Band.ON_TIME),
        (80, Band.ON_TIME),
        (79, Band.SLIGHT),
        (60, Band.SLIGHT),
        (59, Band.FREQUENT),
        (40, Band.FREQUENT),
        (39, Band.SEVERE),
        (0, Band.SEVERE),
    ],
)
def test_each_band_starts_where_the_rules_say(value: int, band: Band) -> None:
    assert band_for(value) is band


@given(st.integers(0, 99))
def test_a_higher_score_is_never_in_a_worse_band(value: int) -> None:
    order = list(Band)
    assert order.index(band_for(value + 1)) <= order.index(band_for(value))


@pytest.mark.parametrize("value", [-1, 101])
def test_a_score_outside_0_to_100_has_no_band(value: int) -> None:
    with pytest.raises(ValueError):
        band_for(value)
