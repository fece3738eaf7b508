"""The first steps of a new organisation, in order, as its dashboard lists them (no I/O).

A step links to the page where it is done once a route of that name exists: the areas that
build debtors, imports, scenarios and the Mollie connection name their page as below, and the
dashboard starts linking it with no other change.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

# (step, the route of the page where it is done), in the order a creditor should take them.
FIRST_STEPS = (
    ("add_debtor", "companies.debtor_new"),
    ("import_invoices", "invoices.import"),
    ("choose_scenario", "scenarios.index"),
    ("connect_mollie", "payments.connect"),
    ("invite_colleagues", "accounts.members"),
    ("secure_account", "accounts.totp_setup"),
)


@dataclass(frozen=True)
class Step:
    key: str
    route: str
    done: bool
    available: bool  # its page exists in this version of the product
    current: bool  # the first step that is available and not done yet


def onboarding(*, done: Collection[str], routes: Collection[str]) -> list[Step]:
    """Every first step with its state, given the steps done and the names of the routes."""
    current = next((key for key, route in FIRST_STEPS if key not in done and route in routes), None)
    return [
        Step(key, route, done=key in done, available=route in routes, current=key == current)
        for key, route in FIRST_STEPS
    ]


def is_finished(steps: Collection[Step]) -> bool:
    return all(step.done for step in steps)
