"""What a confirmed signup stores: the person, their company or their request for a taken
SIREN, each with what the form said (names trimmed), the browser's language and the instant
of confirmation on the app's clock."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from litestar import Litestar

from app.accounts.tables import Membership, Organisation, Role, SignupRequest, User
from app.clock import Clock, FixedClock
from tests.conftest import make_client
from tests.factories import PASSWORD, link_in, make_creditor, post_form

Client = httpx.AsyncClient
ENGLISH = {"accept-language": "en-GB,en;q=0.9"}


@pytest.fixture
def app_clock(clock: FixedClock) -> Clock:
    return clock


async def sign_up_and_confirm(
    app: Litestar, run_worker: Any, outbox: Any, *, email: str, siren: str
) -> httpx.Response:
    async with make_client(app) as browser:
        browser.headers.update(ENGLISH)
        sent = await post_form(
            browser,
            "/signup",
            {
                "full_name": "  Claire Dupont ",
                "email": email,
                "organisation_name": " Dupont Menuiserie  ",
                "siren": siren,
                "password": PASSWORD,
            },
            follow_redirects=False,
        )
        assert sent.status_code == 303
        await run_worker()
        [message] = outbox(email)
        return await post_form(browser, link_in(message.text, "/verify/"), {})


async def test_a_confirmed_signup_stores_the_person_and_opens_their_company(
    app: Litestar, clock: FixedClock, run_worker: Any, outbox: Any
) -> None:
    landed = await sign_up_and_confirm(
        app, run_worker, outbox, email="claire@records.example", siren="732829320"
    )
    assert landed.status_code == 200 and landed.url.path == "/app"

    user = await User.objects().get(User.email == "claire@records.example")
    assert user is not None
    assert (user.full_name, user.locale) == ("Claire Dupont", "en")
    assert user.created_at == user.email_verified_at == clock.now()
    assert user.password_hash and PASSWORD not in user.password_hash
    company = await Organisation.objects().get(Organisation.siren == "732829320")
    assert company is not None
    assert (company.name, company.vat_number) == ("Dupont Menuiserie", "FR44732829320")
    assert company.created_at == clock.now() and user.last_organisation_id == company.id
    ownership = await Membership.select(Membership.role, Membership.created_at).where(
        Membership.user == user.id
    )
    assert ownership == [{"role": Role.OWNER, "created_at": clock.now()}]


async def test_a_confirmed_signup_for_a_taken_siren_keeps_what_was_asked_for(
    app: Litestar, clock: FixedClock, run_worker: Any, outbox: Any
) -> None:
    _, holder = await make_creditor(email="holder@records.example")
    landed = await sign_up_and_confirm(
        app, run_worker, outbox, email="late@records.example", siren=holder.siren
    )
    assert landed.url.path == "/signup/siren-taken"

    user = await User.objects().get(User.email == "late@records.example")
    assert user is not None and (user.full_name, user.locale) == ("Claire Dupont", "en")
    assert user.created_at == clock.now() and user.last_organisation_id is None
    kept = await SignupRequest.select(
        SignupRequest.email,
        SignupRequest.full_name,
        SignupRequest.locale,
        SignupRequest.organisation_name,
        SignupRequest.siren,
        SignupRequest.user,
        SignupRequest.expires_at,
        SignupRequest.verified_at,
        SignupRequest.created_at,
    ).where(SignupRequest.user == user.id)
    assert kept == [
        {
            "email": "late@records.example",
            "full_name": "Claire Dupont",
            "locale": "en",
            "organisation_name": "Dupont Menuiserie",
            "siren": holder.siren,
            "user": user.id,
            "expires_at": clock.now(),
            "verified_at": clock.now(),
            "created_at": clock.now(),
        }
    ]


async def test_a_signup_waiting_for_its_link_keeps_what_the_form_said(
    client: Client, clock: FixedClock
) -> None:
    client.headers.update(ENGLISH)
    form = {
        "full_name": "  Claire Dupont ",
        "email": "Waiting@Records.example",
        "organisation_name": " Dupont Menuiserie  ",
        "siren": "732 829 320",
        "password": PASSWORD,
    }
    assert (await post_form(client, "/signup", form, follow_redirects=False)).status_code == 303

    waiting = await SignupRequest.objects().get(SignupRequest.email == "waiting@records.example")
    assert waiting is not None
    assert (waiting.full_name, waiting.locale, waiting.organisation_name, waiting.siren) == (
        "Claire Dupont",
        "en",
        "Dupont Menuiserie",
        "732829320",
    )
    assert waiting.created_at == clock.now() and waiting.verified_at is None
    assert waiting.password_hash and PASSWORD not in waiting.password_hash
