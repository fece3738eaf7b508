"""The dashboard of a new organisation lists its first steps, in order, as they become possible."""

from __future__ import annotations

import re

import httpx
import pytest

from app.clock import Clock, FixedClock
from tests.factories import log_in, make_creditor, make_user, post_form
from tests.integration.test_totp import enable_totp

Client = httpx.AsyncClient
TWO_FACTOR = '<a href="/account/2fa/setup">Activer la double authentification</a>'
STEP = re.compile(
    r'<li class="step step-(?P<state>\w+)"[^>]*>.*?<p class="step-title">(?P<title>.*?)</p>', re.S
)


def first_steps(html: str) -> list[tuple[str, str]]:
    """(state, title as HTML) of each step of the dashboard's first-steps panel."""
    if 'data-testid="first-steps"' not in html:
        return []
    panel = html.split('data-testid="first-steps"', 1)[1].split("</section>", 1)[0]
    return [(m["state"], m["title"]) for m in STEP.finditer(panel)]


async def test_a_new_owner_sees_the_steps_in_order_with_only_existing_pages_linked(
    client: Client,
) -> None:
    await make_creditor(email="owner@example.com")
    await log_in(client, "owner@example.com")
    page = await client.get("/app")
    assert first_steps(page.text) == [
        ("later", "Ajouter un débiteur"),
        ("later", "Importer vos factures"),
        ("later", "Choisir un scénario de relance"),
        ("later", "Connecter votre compte Mollie"),
        ("current", '<a href="/app/members">Inviter vos collègues</a>'),
        ("todo", TWO_FACTOR),
    ]
    assert page.text.count("Bientôt disponible") == 4


async def test_an_invitation_sent_marks_its_step_done_and_the_next_one_comes_up(
    client: Client,
) -> None:
    await make_creditor(email="owner@example.com")
    await log_in(client, "owner@example.com")
    await post_form(
        client, "/app/members/invitations", {"email": "c@example.com", "role": "member"}
    )
    steps = first_steps((await client.get("/app")).text)
    assert steps[4] == ("done", "Inviter vos collègues")
    assert steps[5] == (
        "current",
        '<a href="/account/2fa/setup">Activer la double authentification</a>',
    )


async def test_a_colleague_already_in_the_organisation_counts_as_invited(client: Client) -> None:
    _, organisation = await make_creditor(email="owner@example.com")
    await make_creditor(email="colleague@example.com", organisation=organisation, role="member")
    await log_in(client, "colleague@example.com")
    steps = first_steps((await client.get("/app")).text)
    assert steps[4] == ("done", "Inviter vos collègues")


async def test_a_user_without_an_organisation_is_asked_to_create_one_not_to_add_debtors(
    client: Client,
) -> None:
    await make_user(email="alone@example.com")
    await log_in(client, "alone@example.com")
    page = await client.get("/app")
    assert "Créer votre entreprise" in page.text
    assert "Contester l'inscription" not in page.text, "only once a SIREN proved taken"
    assert first_steps(page.text) == []


@pytest.fixture
def app_clock(clock: FixedClock) -> Clock:
    return clock  # one instant for the app and for the codes the test computes


async def test_two_factor_turned_on_marks_its_step_done(client: Client, clock: FixedClock) -> None:
    await make_creditor(email="owner@example.com")
    await log_in(client, "owner@example.com")
    await enable_totp(client, clock)

    steps = first_steps((await client.get("/app")).text)

    assert steps[5] == ("done", "Activer la double authentification")
