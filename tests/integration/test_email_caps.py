"""One address gets at most EMAILS_PER_ADDRESS_PER_HOUR emails an hour, whatever sends them, and
what the requester sees does not change when a message is dropped."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta

import httpx
import pytest
from arq import Retry
from asgi_lifespan import LifespanManager
from redis.asyncio import Redis

from app.clock import Clock, FixedClock
from app.main import create_app
from app.messaging.email import QueuedEmail
from app.messaging.outbox import free_port
from app.ratelimit import RateLimiter
from app.settings import Settings
from app.web import make_environment
from tests.conftest import make_client
from tests.factories import PASSWORD, make_user, post_form
from workers.email import send_email

Client = httpx.AsyncClient


def signup(email: str) -> dict[str, str]:
    return {
        "full_name": "Victor Ime",
        "email": email,
        "organisation_name": "Entreprise Victor",
        "siren": "552 100 554",
        "password": PASSWORD,
    }


def page_text(response: httpx.Response) -> str:
    """The page as the requester reads it (the CSRF token differs from one page to the next)."""
    return re.sub(r'name="_csrf_token" value="[^"]*"', "", response.text)


@pytest.fixture
def app_clock(clock: FixedClock) -> Clock:
    return clock


async def test_signing_up_with_someones_address_again_and_again_mails_them_the_cap(
    client: Client, clock: FixedClock, settings: Settings, run_worker, outbox
) -> None:
    victim = "victim.signup@example.com"
    pages = []
    for _ in range(8):
        clock.advance(timedelta(minutes=10))  # past the signup form's own limit per address
        response = await post_form(client, "/signup", signup(victim))
        assert str(response.url).endswith("/signup/sent")
        pages.append(page_text(response))
    login = await post_form(client, "/login", {"email": victim, "password": PASSWORD})
    assert login.status_code == 422, "a signup nobody confirmed is no account to log in to"
    await run_worker()
    received = outbox(victim)
    assert len(received) == settings.emails_per_address_per_hour
    assert {message.subject for message in received} == {"Confirmez votre adresse e-mail"}
    assert len(set(pages)) == 1, "a dropped message changes nothing on the page"


async def test_logging_in_to_an_unconfirmed_account_sends_at_most_one_new_link_per_ten_minutes(
    client: Client, clock: FixedClock, run_worker, outbox
) -> None:
    await make_user(email="unconfirmed@example.com", verified=False)
    login = {"email": "unconfirmed@example.com", "password": PASSWORD}
    first = await post_form(client, "/login", login)
    again = [await post_form(client, "/login", login) for _ in range(3)]
    await run_worker()
    assert len(outbox("unconfirmed@example.com")) == 1
    assert {page_text(response) for response in again} == {page_text(first)}

    clock.advance(timedelta(minutes=9))
    await post_form(client, "/login", login)
    await run_worker()
    assert len(outbox("unconfirmed@example.com")) == 1
    clock.advance(timedelta(minutes=1))
    await post_form(client, "/login", login)
    await run_worker()
    assert len(outbox("unconfirmed@example.com")) == 2


async def test_repeated_password_reset_requests_mail_the_cap_and_all_look_the_same(
    settings: Settings, clock: FixedClock, run_worker, outbox
) -> None:
    """From many addresses, so that only the cap can hold them."""
    victim = "victim.reset@example.com"
    await make_user(email=victim)
    app = create_app(dataclasses.replace(settings, trust_fly_client_ip=True), clock=clock)
    async with LifespanManager(app), make_client(app) as client:
        pages = []
        for n in range(12):
            response = await post_form(
                client,
                "/password/forgot",
                {"email": victim},
                headers={"fly-client-ip": f"203.0.113.{n + 1}"},
            )
            assert response.status_code == 200
            pages.append(page_text(response))
        unknown = await post_form(
            client,
            "/password/forgot",
            {"email": "nobody.here@example.com"},
            headers={"fly-client-ip": "203.0.113.99"},
        )
    await run_worker()
    received = outbox(victim)
    assert len(received) == settings.emails_per_address_per_hour
    assert {message.subject for message in received} == {"Réinitialisez votre mot de passe"}
    assert len(set(pages)) == 1
    assert page_text(unknown).replace("nobody.here@example.com", victim) == pages[0]


async def test_the_cap_counts_every_route_to_one_address_together(
    settings: Settings, clock: FixedClock, run_worker, outbox
) -> None:
    victim = "victim.mixed@example.com"
    await make_user(email=victim)
    app = create_app(dataclasses.replace(settings, trust_fly_client_ip=True), clock=clock)
    async with LifespanManager(app), make_client(app) as client:
        for n in range(3):
            ip = {"fly-client-ip": f"198.51.100.{n + 1}"}
            await post_form(client, "/signup", signup(victim), headers=ip)
            await post_form(client, "/password/forgot", {"email": victim}, headers=ip)
    await run_worker()
    subjects = [message.subject for message in outbox(victim)]
    assert len(subjects) == settings.emails_per_address_per_hour
    assert set(subjects) == {
        "Vous avez déjà un compte Ponctuel",
        "Réinitialisez votre mot de passe",
    }


def _job(settings: Settings, redis: Redis, *, job_try: int) -> dict[str, object]:
    return {
        "settings": settings,
        "job_try": job_try,
        "templates": make_environment(),
        "limiter": RateLimiter(redis, prefix=settings.redis_prefix),
    }


def _reset_email(to: str, link: str) -> dict[str, object]:
    email = QueuedEmail(
        template="password_reset",
        to=to,
        subject="Réinitialisez votre mot de passe",
        locale="fr",
        context={"link": link},
    )
    return dataclasses.asdict(email)


async def test_an_smtp_retry_of_one_message_counts_once_against_the_cap(
    settings: Settings, redis: Redis, outbox
) -> None:
    to = "victim.retry@example.com"
    capped = dataclasses.replace(settings, emails_per_address_per_hour=2)
    smtp_down = dataclasses.replace(capped, smtp_port=free_port())
    first = _reset_email(to, "http://testserver.local/password/reset/first")
    with pytest.raises(Retry):
        await send_email(_job(smtp_down, redis, job_try=1), first)
    await send_email(_job(capped, redis, job_try=2), first)
    await send_email(
        _job(capped, redis, job_try=1), _reset_email(to, "http://testserver.local/second")
    )
    await send_email(
        _job(capped, redis, job_try=1), _reset_email(to, "http://testserver.local/third")
    )
    links = sorted(re.findall(r"http://testserver\.local/\S+", m.text)[0] for m in outbox(to))
    assert links == [
        "http://testserver.local/password/reset/first",
        "http://testserver.local/second",
    ]
