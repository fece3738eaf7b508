"""Signup reserves nothing before the address is confirmed: not the address, not the SIREN.

Through the real app: the form stores a request, the emailed link creates the account and,
when its SIREN is still free, the organisation; a SIREN taken by then leads to the page that
says so. The worker's cleanup job deletes what was never confirmed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar

from app.accounts.rules import secret_hash
from app.accounts.service.auth import issue_token
from app.accounts.service.signup import UNVERIFIED_ACCOUNT_TTL
from app.accounts.tables import (
    AccountToken,
    AuditEvent,
    Membership,
    Organisation,
    SignupRequest,
    TokenPurpose,
    User,
)
from app.clock import FixedClock, SystemClock
from tests.conftest import make_client
from tests.factories import (
    PASSWORD,
    link_in,
    log_in,
    make_creditor,
    make_user,
    post_form,
    printed_siren,
)
from workers.accounts import delete_expired_signups
from workers.main import CRON_JOBS

Client = httpx.AsyncClient
FREE_SIREN = "552100554"
TAKEN_SIREN = "732829320"


CSRF_VALUE = re.compile(r'(csrf[^"]*"[^"]*")[^"]*"')


def without_csrf(html: str) -> str:
    """The page without its CSRF token, which differs from one browser to another."""
    return CSRF_VALUE.sub(r'\1"', html)


def signup_form(email: str, siren: str, **fields: str) -> dict[str, str]:
    return {
        "full_name": "Claire Dupont",
        "email": email,
        "organisation_name": "Dupont Menuiserie",
        "siren": siren,
        "password": PASSWORD,
        **fields,
    }


async def sign_up(client: Client, email: str, siren: str, **fields: str) -> httpx.Response:
    return await post_form(
        client, "/signup", signup_form(email, siren, **fields), follow_redirects=False
    )


async def confirmation_link(run_worker: Any, outbox: Any, email: str) -> str:
    """The newest confirmation link emailed to `email`."""
    await run_worker()
    messages = [m for m in outbox(email) if "/verify/" in m.text]
    assert messages, f"no confirmation email to {email}"
    return link_in(messages[0].text, "/verify/")


async def test_known_and_unknown_emails_get_the_same_answer_whatever_the_siren(
    app: Litestar,
) -> None:
    await make_creditor(email="known@signup.example", organisation=None)
    await Organisation.update({Organisation.siren: TAKEN_SIREN}).where(Organisation.id > 0)
    assert await Organisation.exists().where(Organisation.siren == TAKEN_SIREN)
    answers = {}
    for email in ("known@signup.example", "unknown@signup.example"):
        for siren in (FREE_SIREN, TAKEN_SIREN):
            async with make_client(app) as browser:
                response = await sign_up(browser, email, siren)
                page = await browser.get(response.headers.get("location", "/"))
            answers[(email, siren)] = (response.status_code, response.headers.get("location"))
            answers[(email, siren, "page")] = (page.status_code, without_csrf(page.text))

    first = answers[("known@signup.example", FREE_SIREN)]
    assert first == (303, "/signup/sent")
    for email in ("known@signup.example", "unknown@signup.example"):
        for siren in (FREE_SIREN, TAKEN_SIREN):
            assert answers[(email, siren)] == first, (email, siren)
            assert (
                answers[(email, siren, "page")]
                == answers[("known@signup.example", FREE_SIREN, "page")]
            ), (email, siren)
    assert answers[("unknown@signup.example", TAKEN_SIREN, "page")][0] == 200


async def test_two_signups_for_one_siren_reserve_it_for_neither_until_one_confirms(
    app: Litestar, client: Client, run_worker: Any, outbox: Any
) -> None:
    for email in ("first@signup.example", "second@signup.example"):
        response = await sign_up(client, email, FREE_SIREN, organisation_name=f"Org of {email}")
        assert response.status_code == 303
    assert not await Organisation.exists().where(Organisation.siren == FREE_SIREN)
    assert not await User.exists()

    second_link = await confirmation_link(run_worker, outbox, "second@signup.example")
    first_link = await confirmation_link(run_worker, outbox, "first@signup.example")
    async with make_client(app) as second:
        await post_form(second, second_link, {})
    org = await Organisation.objects().get(Organisation.siren == FREE_SIREN)
    assert org is not None and org.name == "Org of second@signup.example"

    landed = await post_form(client, first_link, {})
    assert landed.status_code == 200 and str(landed.url).endswith("/signup/siren-taken")
    assert printed_siren("552100554") in landed.text
    assert "Contester l'inscription" in landed.text and "vous inviter" in landed.text
    assert "first@signup.example" in landed.text
    first = await User.objects().get(User.email == "first@signup.example")
    assert first is not None and first.email_verified_at is not None
    assert not await Membership.exists().where(Membership.user == first.id)
    assert await Organisation.count().where(Organisation.siren == FREE_SIREN) == 1
    taken = await AuditEvent.objects().get(
        (AuditEvent.action == "signup") & (AuditEvent.user == first.id)
    )
    assert taken is not None and taken.target == f"siren_taken:{FREE_SIREN}"

    dashboard = await client.get("/app")
    assert "est déjà utilisé" in dashboard.text, "the dashboard keeps telling them"


async def test_a_siren_held_only_by_unconfirmed_accounts_is_free_at_confirmation(
    client: Client, run_worker: Any, outbox: Any
) -> None:
    squatter = await make_user(email="squatter@signup.example", verified=False)
    _, org = await make_creditor(email="other@signup.example", organisation=None)
    await Organisation.update({Organisation.siren: FREE_SIREN}).where(Organisation.id == org.id)
    await Membership.update({Membership.user: squatter.id}).where(Membership.organisation == org.id)

    await sign_up(client, "real@signup.example", FREE_SIREN)
    confirmed = await post_form(
        client, await confirmation_link(run_worker, outbox, "real@signup.example"), {}
    )

    assert str(confirmed.url).endswith("/app")
    holder = await Organisation.objects().get(Organisation.siren == FREE_SIREN)
    real = await User.objects().get(User.email == "real@signup.example")
    assert holder is not None and real is not None
    assert holder.name == "Dupont Menuiserie" and holder.name != org.name
    assert await Membership.exists().where(
        (Membership.organisation == holder.id) & (Membership.user == real.id)
    )


async def test_a_second_signup_with_the_same_email_keeps_both_links_until_one_is_used(
    app: Litestar, client: Client, run_worker: Any, outbox: Any
) -> None:
    email = "twice@signup.example"
    await sign_up(client, email, FREE_SIREN, password="first passphrase of mine")
    first_link = await confirmation_link(run_worker, outbox, email)
    await sign_up(client, email, TAKEN_SIREN, password="second passphrase of mine")
    second_link = await confirmation_link(run_worker, outbox, email)
    assert first_link != second_link
    assert await SignupRequest.count().where(SignupRequest.email == email) == 2

    confirmed = await post_form(client, second_link, {})
    assert str(confirmed.url).endswith("/app")
    assert await Organisation.exists().where(Organisation.siren == TAKEN_SIREN)
    assert not await SignupRequest.exists().where(SignupRequest.email == email)

    async with make_client(app) as other:
        stale = await post_form(other, first_link, {})
        assert stale.status_code == 400 and "plus valable" in stale.text
        await log_in(other, email, "second passphrase of mine")
    assert await User.count().where(User.email == email) == 1
    assert not await Organisation.exists().where(Organisation.siren == FREE_SIREN)


async def test_the_fourth_pending_signup_of_an_address_retires_the_oldest_link(
    client: Client, run_worker: Any, outbox: Any
) -> None:
    email = "many@signup.example"
    await sign_up(client, "bystander@signup.example", FREE_SIREN)
    links = []
    for _ in range(4):
        await sign_up(client, email, FREE_SIREN)
        links.append(await confirmation_link(run_worker, outbox, email))
    assert await SignupRequest.count().where(SignupRequest.email == email) == 3
    assert (
        await SignupRequest.count().where(SignupRequest.email == "bystander@signup.example") == 1
    ), "another address's pending signup is not counted nor retired"

    oldest = await post_form(client, links[0], {})
    assert oldest.status_code == 400
    newest = await post_form(client, links[-1], {})
    assert str(newest.url).endswith("/app")


async def test_an_expired_signup_link_is_refused_and_never_blocks_a_new_signup(
    client: Client, run_worker: Any, outbox: Any
) -> None:
    email = "late@signup.example"
    await sign_up(client, email, FREE_SIREN)
    expired_link = await confirmation_link(run_worker, outbox, email)
    await SignupRequest.update(
        {SignupRequest.expires_at: SystemClock().now() - timedelta(seconds=1)}
    ).where(SignupRequest.email == email)

    refused = await post_form(client, expired_link, {})
    assert refused.status_code == 400 and "plus valable" in refused.text
    assert not await User.exists().where(User.email == email)
    assert not await Organisation.exists().where(Organisation.siren == FREE_SIREN)

    again = await sign_up(client, email, FREE_SIREN)
    assert again.headers["location"] == "/signup/sent"
    confirmed = await post_form(client, await confirmation_link(run_worker, outbox, email), {})
    assert str(confirmed.url).endswith("/app")
    assert await Organisation.exists().where(Organisation.siren == FREE_SIREN)


async def test_an_unconfirmed_account_with_the_address_is_replaced_by_the_confirmed_signup(
    client: Client, run_worker: Any, outbox: Any
) -> None:
    email = "stale@signup.example"
    stale = await make_user(email=email, verified=False, password="someone else's passphrase")
    await sign_up(client, email, FREE_SIREN)

    confirmed = await post_form(client, await confirmation_link(run_worker, outbox, email), {})

    assert str(confirmed.url).endswith("/app")
    user = await User.objects().get(User.email == email)
    assert user is not None and user.email_verified_at is not None
    assert user.password_hash != stale.password_hash
    assert await Organisation.exists().where(Organisation.siren == FREE_SIREN)


async def test_the_link_of_an_account_made_before_confirmation_still_confirms_it(
    client: Client,
) -> None:
    user = await make_user(email="older@signup.example", verified=False)
    secret = await issue_token(
        user_id=user.id, purpose=TokenPurpose.VERIFY_EMAIL, clock=SystemClock()
    )

    confirmed = await post_form(client, f"/verify/{secret}", {})

    assert str(confirmed.url).endswith("/login")
    assert "Vous pouvez vous connecter" in confirmed.text
    refreshed = await User.objects().get(User.id == user.id)
    assert refreshed is not None and refreshed.email_verified_at is not None


@pytest.mark.parametrize("siren", ["000000000", "000 000 000"])
async def test_signup_refuses_a_siren_insee_never_attributes(client: Client, siren: str) -> None:
    response = await sign_up(client, "zero@signup.example", siren)

    assert response.status_code == 422
    assert "l'INSEE ne l'attribue à aucune entreprise" in response.text
    assert not await SignupRequest.exists()


async def test_signup_accepts_real_sirens_that_look_odd(client: Client) -> None:
    for siren in ("356000000", "005520135"):
        response = await sign_up(client, f"odd{siren}@signup.example", siren)
        assert response.status_code == 303, siren
    assert await SignupRequest.count() == 2


async def test_the_cleanup_deletes_expired_requests_and_unconfirmed_accounts_only(
    db: Litestar,
) -> None:
    now = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    day = timedelta(days=1)

    async def request(email: str, expires_at: datetime) -> None:
        await SignupRequest(
            email=email,
            organisation_name="Org",
            siren=FREE_SIREN,
            token_hash=secret_hash(email),
            expires_at=expires_at,
            created_at=expires_at - 2 * day,
        ).save()

    await request("expired@signup.example", now - timedelta(seconds=1))
    await request("expiring-now@signup.example", now)  # its link is dead from this instant
    await request("fresh@signup.example", now + timedelta(hours=1))
    stale, lone_org = await make_creditor(email="stale@signup.example", verified=False)
    await issue_token(user_id=stale.id, purpose=TokenPurpose.VERIFY_EMAIL, clock=FixedClock(now))
    recent, _ = await make_creditor(email="recent@signup.example", verified=False)
    await User.update({User.created_at: now - timedelta(hours=1)}).where(User.id == recent.id)
    shared_user, shared_org = await make_creditor(email="shared@signup.example", verified=False)
    await make_creditor(email="colleague@signup.example", organisation=shared_org)
    confirmed, kept_org = await make_creditor(email="old@signup.example")
    for user in (stale, shared_user, confirmed):
        await User.update({User.created_at: now - 3 * day}).where(User.id == user.id)
    just_expired, _ = await make_creditor(email="just-expired@signup.example", verified=False)
    await User.update({User.created_at: now - UNVERIFIED_ACCOUNT_TTL}).where(
        User.id == just_expired.id
    )

    await delete_expired_signups({"clock": FixedClock(now)})

    emails = {row["email"] for row in await SignupRequest.select(SignupRequest.email)}
    assert emails == {"fresh@signup.example"}
    users = {row["email"] for row in await User.select(User.email)}
    assert users == {
        "recent@signup.example",
        "colleague@signup.example",
        "old@signup.example",
    }
    organisations = {row["id"] for row in await Organisation.select(Organisation.id)}
    assert lone_org.id not in organisations
    assert {shared_org.id, kept_org.id} <= organisations
    assert not await AccountToken.exists().where(AccountToken.user == stale.id)


def test_the_cleanup_runs_as_a_cron_job_of_the_worker() -> None:
    names = {job.name for job in CRON_JOBS}
    assert "cron:delete_expired_signups" in names
