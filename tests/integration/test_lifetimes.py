"""How long things live, on the application's clock: emailed links and logged-in sessions.

The app runs on the test's FixedClock, so every lifetime is checked on both sides of its end:
a verification link lives 48 hours, a password reset link 1 hour, an invitation 7 days; a
session ends after 2 hours without a request (idle timeout) and 12 hours after the login
whatever the activity (absolute timeout). The figures are the product's, written out here
rather than read from the code, so a changed constant or setting fails a test.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar
from redis.asyncio import Redis

from app.accounts.tables import Membership, User
from app.clock import Clock, FixedClock
from app.settings import Settings
from tests.conftest import make_client
from tests.factories import PASSWORD, link_in, log_in, make_creditor, make_user, post_form

Client = httpx.AsyncClient

VERIFICATION_LINK = timedelta(hours=48)
RESET_LINK = timedelta(hours=1)
INVITATION = timedelta(days=7)
IDLE_TIMEOUT = timedelta(hours=2)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
MARGIN = timedelta(seconds=1)


@pytest.fixture
def app_clock(clock: FixedClock) -> Clock:
    """The app and the worker run on the test's clock."""
    return clock


async def emailed_links(run_worker: Any, outbox: Any, prefix: str, *emails: str) -> list[str]:
    """Deliver the queued mail, then the link starting with `prefix` sent to each address."""
    await run_worker()
    links = []
    for email in emails:
        [message] = outbox(email)
        links.append(link_in(message.text, prefix))
    return links


async def is_logged_in(client: Client) -> bool:
    response = await client.get("/app", follow_redirects=False)
    assert response.status_code in (200, 303), response.text[:300]
    return response.status_code == 200


def session_key(settings: Settings, client: Client) -> str:
    """The Redis key of the client's server-side session."""
    return f"{settings.redis_prefix}:session:{client.cookies.get('session')}"


async def test_a_verification_link_works_until_48_hours_and_not_from_then_on(
    client: Client, clock: FixedClock, run_worker, outbox
) -> None:
    on_time = await make_user(email="on-time@example.com", verified=False)
    late = await make_user(email="late@example.com", verified=False)
    for user in (on_time, late):  # logging in unverified sends a fresh link
        await post_form(client, "/login", {"email": user.email, "password": PASSWORD})
    on_time_link, late_link = await emailed_links(
        run_worker, outbox, "/verify/", on_time.email, late.email
    )

    clock.advance(VERIFICATION_LINK - MARGIN)
    confirmed = await post_form(client, on_time_link, {})
    assert confirmed.status_code == 200 and "Vous pouvez vous connecter" in confirmed.text

    clock.advance(MARGIN)  # the very instant it expires
    refused = await post_form(client, late_link, {})
    assert refused.status_code == 400 and "plus valable" in refused.text
    verified = {
        row["email"]: row["email_verified_at"] is not None
        for row in await User.select(User.email, User.email_verified_at)
    }
    assert verified == {"on-time@example.com": True, "late@example.com": False}


async def test_a_signup_link_works_until_48_hours_and_not_from_that_instant(
    app: Litestar, client: Client, clock: FixedClock, run_worker: Any, outbox: Any
) -> None:
    for email, siren in (("on-time@example.com", "732829320"), ("late@example.com", "130025265")):
        form = {
            "full_name": "Claire Dupont",
            "email": email,
            "organisation_name": "Dupont Menuiserie",
            "siren": siren,
            "password": PASSWORD,
        }
        await post_form(client, "/signup", form)
    on_time_link, late_link = await emailed_links(
        run_worker, outbox, "/verify/", "on-time@example.com", "late@example.com"
    )

    clock.advance(VERIFICATION_LINK - MARGIN)
    async with make_client(app) as on_time:  # confirming logs in: another browser
        confirmed = await post_form(on_time, on_time_link, {})
    assert str(confirmed.url).endswith("/app")

    clock.advance(MARGIN)  # exactly 48 hours
    refused = await post_form(client, late_link, {})
    assert refused.status_code == 400 and "plus valable" in refused.text
    assert [row["email"] for row in await User.select(User.email)] == ["on-time@example.com"]


async def test_a_reset_link_works_until_one_hour_and_not_from_then_on(
    client: Client, clock: FixedClock, run_worker, outbox
) -> None:
    await make_creditor(email="on-time@example.com")
    late, _ = await make_creditor(email="late@example.com")
    for email in ("on-time@example.com", "late@example.com"):
        await post_form(client, "/password/forgot", {"email": email})
    on_time_link, late_link = await emailed_links(
        run_worker, outbox, "/password/reset/", "on-time@example.com", "late@example.com"
    )
    passphrase = "a brand new passphrase"
    new_password = {"password": passphrase, "password_confirm": passphrase}

    clock.advance(RESET_LINK - MARGIN)
    assert (await client.get(on_time_link)).status_code == 200
    done = await post_form(client, on_time_link, new_password)
    assert done.status_code == 200 and "Votre mot de passe a été modifié" in done.text

    clock.advance(MARGIN)  # the very instant it expires
    page = await client.get(late_link)
    assert page.status_code == 400 and "plus valable" in page.text
    refused = await post_form(client, late_link, new_password)
    assert refused.status_code == 422 and "plus valable" in refused.text
    unchanged = await User.objects().get(User.id == late.id)
    assert unchanged is not None and unchanged.password_hash == late.password_hash


async def test_an_invitation_works_until_seven_days_and_not_from_then_on(
    app: Litestar, client: Client, clock: FixedClock, run_worker, outbox
) -> None:
    _, org = await make_creditor(email="owner@example.com")
    await log_in(client, "owner@example.com")
    for email in ("on-time@example.com", "late@example.com"):
        await post_form(client, "/app/members/invitations", {"email": email, "role": "member"})
    on_time_link, late_link = await emailed_links(
        run_worker, outbox, "/invitations/", "on-time@example.com", "late@example.com"
    )
    joining = {"full_name": "Nouvelle Collègue", "password": PASSWORD}

    clock.advance(INVITATION - MARGIN)
    async with make_client(app) as invitee:
        joined = await post_form(invitee, on_time_link, joining)
        assert joined.status_code == 200 and "Bienvenue" in joined.text

    clock.advance(MARGIN)  # the very instant it expires
    async with make_client(app) as invitee:
        page = await invitee.get(late_link)
        assert page.status_code == 400 and "plus valable" in page.text
        refused = await post_form(invitee, late_link, joining)
        assert refused.status_code == 400 and "plus valable" in refused.text
    members = await Membership.select(Membership.user.email).where(
        Membership.organisation == org.id
    )
    assert sorted(row["user.email"] for row in members) == [
        "on-time@example.com",
        "owner@example.com",
    ]
    assert not await User.exists().where(User.email == "late@example.com")


async def test_a_session_left_idle_for_two_hours_is_over_and_its_redis_key_goes_too(
    client: Client, clock: FixedClock, settings: Settings, redis: Redis
) -> None:
    await make_creditor(email="owner@example.com")
    await log_in(client, "owner@example.com")
    key = session_key(settings, client)
    ttl = await redis.ttl(key)
    assert IDLE_TIMEOUT.total_seconds() - 60 <= ttl <= IDLE_TIMEOUT.total_seconds(), (
        "the Redis key outlives an idle session by no more than the idle timeout"
    )

    clock.advance(IDLE_TIMEOUT - MARGIN)
    assert await is_logged_in(client), "a user back just in time is still logged in"
    clock.advance(IDLE_TIMEOUT + MARGIN)
    response = await client.get("/app", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert not await redis.exists(key), "the expired session is deleted, not only refused"


async def test_an_active_session_outlives_the_idle_timeout_but_not_the_absolute_one(
    client: Client, clock: FixedClock
) -> None:
    await make_creditor(email="owner@example.com")
    await log_in(client, "owner@example.com")
    step = IDLE_TIMEOUT - timedelta(minutes=1)
    elapsed = timedelta(0)
    while elapsed + step < ABSOLUTE_TIMEOUT:
        clock.advance(step)
        elapsed += step
        assert await is_logged_in(client), f"still active after {elapsed}"
    clock.advance(ABSOLUTE_TIMEOUT - elapsed - MARGIN)
    assert await is_logged_in(client), "still in just before the absolute lifetime"
    clock.advance(MARGIN)
    assert not await is_logged_in(client), "out at the very instant, however active"


async def test_an_idle_session_ends_at_the_very_instant_its_idle_time_is_up(
    client: Client, clock: FixedClock
) -> None:
    await make_creditor(email="owner@example.com")
    await log_in(client, "owner@example.com")
    clock.advance(IDLE_TIMEOUT)
    assert not await is_logged_in(client)


async def test_a_session_that_no_login_wrote_is_refused(
    client: Client, settings: Settings, redis: Redis
) -> None:
    """A stored session without its login instant (none of ours lacks it) logs nobody in."""
    await make_creditor(email="owner@example.com")
    await log_in(client, "owner@example.com")
    key = session_key(settings, client)
    stored = json.loads(await redis.get(key))
    del stored["auth_at"]
    await redis.set(key, json.dumps(stored), keepttl=True)
    assert not await is_logged_in(client)


async def test_a_request_exactly_a_minute_after_the_last_one_does_not_move_the_idle_start(
    client: Client, clock: FixedClock
) -> None:
    """The last-seen instant moves once more than a minute has passed, never sooner."""
    await make_creditor(email="owner@example.com")
    await log_in(client, "owner@example.com")
    clock.advance(timedelta(minutes=1))
    assert await is_logged_in(client)
    clock.advance(IDLE_TIMEOUT - timedelta(minutes=1))
    assert not await is_logged_in(client), "idle since the login: the minute did not count"


async def test_a_request_more_than_a_minute_later_restarts_the_idle_time(
    client: Client, clock: FixedClock
) -> None:
    await make_creditor(email="owner@example.com")
    await log_in(client, "owner@example.com")
    clock.advance(timedelta(seconds=90))
    assert await is_logged_in(client)
    clock.advance(IDLE_TIMEOUT - timedelta(seconds=60))  # idle time since the login is over
    assert await is_logged_in(client), "idle only since the request 90 s after the login"
