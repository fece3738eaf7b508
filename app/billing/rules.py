"""Pure rules of the token price (no I/O)."""

from __future__ import annotations

from decimal import Decimal


def invoice_price_cents(
    *, pack_price_cents: int, pack_size: int, tokens_per_invoice: int
) -> Decimal:
    """What one processed invoice costs, in cents excluding VAT, when tokens come in packs.

    The result may hold fractions of a cent (4 900 cents for 300 tokens): it is a unit price
    to show, never an amount to charge.
    """
    if pack_size < 1 or tokens_per_invoice < 1 or pack_price_cents < 0:
        raise ValueError("a pack holds tokens, an invoice costs tokens, and a price is positive")
    return Decimal(pack_price_cents) * tokens_per_invoice / pack_size
