"""The dashboard's first steps: their order, what is linked, and which one comes next."""

from __future__ import annotations

from app.accounts.onboarding import FIRST_STEPS, is_finished, onboarding

EVERY_ROUTE = {route for _, route in FIRST_STEPS}
KEYS = [key for key, _ in FIRST_STEPS]


def test_the_steps_come_in_the_order_a_creditor_takes_them() -> None:
    assert KEYS[:4] == ["add_debtor", "import_invoices", "choose_scenario", "connect_mollie"]


def test_a_step_is_linked_only_once_its_page_exists() -> None:
    steps = onboarding(done=(), routes={"accounts.members", "accounts.totp_setup"})
    assert [step.key for step in steps if step.available] == ["invite_colleagues", "secure_account"]


def test_the_next_step_is_the_first_one_available_and_not_done() -> None:
    steps = onboarding(done={"add_debtor"}, routes=EVERY_ROUTE)
    assert [step.key for step in steps if step.current] == ["import_invoices"]
    unavailable = onboarding(done=(), routes={"accounts.members", "accounts.totp_setup"})
    assert [step.key for step in unavailable if step.current] == ["invite_colleagues"]


def test_a_done_step_stays_done_even_without_its_page() -> None:
    steps = onboarding(done={"add_debtor"}, routes=set())
    assert steps[0].done and not steps[0].available and not steps[0].current
    assert not any(step.current for step in steps)


def test_onboarding_is_finished_when_every_step_is_done() -> None:
    assert is_finished(onboarding(done=KEYS, routes=EVERY_ROUTE))
    assert not is_finished(onboarding(done=KEYS[:-1], routes=EVERY_ROUTE))
