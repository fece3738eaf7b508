"""Platform administration forms: a decision's reason, the claims list filter."""

from __future__ import annotations

from collections.abc import Mapping

from app import limits
from app.accounts.rules import ClaimStatus
from app.errors import N_
from app.forms import Field, Form, read_form

REASON = Field(
    "reason",
    limits.LONG_TEXT,
    required=N_("Expliquez la décision : le texte est envoyé aux personnes concernées."),
    multiline=True,
)
STATUS = Field("status", limits.CLAIM_STATUS)
STATUSES = tuple(ClaimStatus)


def parse_decision(data: Mapping[str, str]) -> Form:
    return read_form(data, (REASON,))


def parse_status_filter(data: Mapping[str, str]) -> str | None:
    """The claim status to list (pending when absent); None lists every claim."""
    status = read_form(data, (STATUS,)).get("status") or ClaimStatus.PENDING
    return status if status in STATUSES else None
