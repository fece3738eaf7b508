"""Money is stored as integer cents and computed with Decimal, in euros."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def to_cents(amount: Decimal) -> int:
    """Round a euro amount to the nearest cent (half up, as invoices do)."""
    return int((amount / CENT).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) * CENT).quantize(CENT)


def mollie_amount(cents: int) -> dict[str, str]:
    """Mollie wants a string with exactly two decimals."""
    return {"currency": "EUR", "value": f"{from_cents(cents):.2f}"}
