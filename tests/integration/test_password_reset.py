"""Password reset: the request leaks nothing, the worker mails known addresses only, and a new
password kills every other reset link."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from arq.jobs import deserialize_job
from litestar import Litestar
from redis.asyncio import Redis

from app.accounts import paths
from app.accounts.tables import AccountToken, TokenPurpose, User
from app.piccolo_app import ALL_TABLES
from app.settings import Settings
from tests.conftest import BROWSER_AGENT, BROWSER_IP, make_client
from tests.factories import (
    PASSWORD,
    audit_trail,
    link_in,
    log_in,
    make_creditor,
    make_user,
    post_form,
)
from workers.accounts import send_password_reset

Client = httpx.AsyncClient
NEW_PASSWORD = "a brand new passphrase"
CSRF_VALUE = re.compile(r'(csrf[^"]*"[^"]*")[^"]*"')


async def queued_jobs(redis: Redis, settings: Settings) -> list[tuple[str, tuple[Any, ...]]]:
    """The jobs waiting in the app's queue: (function name, arguments)."""
    jobs = []
    for job_id in await redis.zrange(settings.queue_name, 0, -1):
        raw = await redis.get(b"arq:job:" + job_id)
        job = deserialize_job(raw)
        jobs.append((job.function, tuple(job.args)))
    return jobs


async def database_state() -> dict[str, list[dict[str, Any]]]:
    return {table._meta.tablename: await table.select() for table in ALL_TABLES}


async def reset_links(run_worker: Any, outbox: Any, email: str) -> list[str]:
    await run_worker()
    return [
        link_in(message.text, "/password/reset/")
        for message in outbox(email)
        if "/password/reset/" in message.text
    ]


async def test_the_forgot_password_request_does_the_same_work_for_known_and_unknown_addresses(
    app: Litestar, redis: Redis, settings: Settings
) -> None:
    await make_creditor(email="known@reset.example")
    before = await database_state()
    answers = {}
    for email in ("known@reset.example", "ghost@reset.example"):
        async with make_client(app) as browser:
            response = await post_form(browser, "/password/forgot", {"email": email})
        answers[email] = (
            response.status_code,
            CSRF_VALUE.sub(r'\1"', response.text).replace(email, "ADDRESS"),
            await queued_jobs(redis, settings),
        )
        await redis.delete(settings.queue_name)

    known, unknown = answers["known@reset.example"], answers["ghost@reset.example"]
    assert known[:2] == unknown[:2] and known[0] == 200
    origin = (BROWSER_IP, BROWSER_AGENT)  # for the audit log, when the account exists
    assert known[2] == [("send_password_reset", ("known@reset.example", "fr", *origin))]
    assert unknown[2] == [("send_password_reset", ("ghost@reset.example", "fr", *origin))]
    assert await database_state() == before, "the request itself writes nothing"


async def test_the_reset_job_mails_a_known_address_once_and_drops_an_unknown_one(
    client: Client, run_worker: Any, outbox: Any
) -> None:
    user, _ = await make_creditor(email="known2@reset.example")
    for email in ("known2@reset.example", "ghost2@reset.example"):
        await post_form(client, "/password/forgot", {"email": email})

    await run_worker()

    [message] = outbox("known2@reset.example")
    assert message.subject == "Réinitialisez votre mot de passe"
    assert link_in(message.text, "/password/reset/").startswith("/password/reset/")
    assert "http://testserver.local/password/reset/" in message.text, "built from BASE_URL"
    assert outbox("ghost2@reset.example") == []
    assert await AccountToken.count().where(AccountToken.user == user.id) == 1
    assert await AccountToken.count() == 1
    assert await audit_trail("password_reset_requested") == [
        {
            "user": user.id,
            "organisation": None,
            "actor_email": "known2@reset.example",
            "target": "",
            "ip": BROWSER_IP,
            "user_agent": BROWSER_AGENT,
            "is_success": True,
        }
    ]


async def test_resetting_the_password_kills_every_other_reset_link(
    client: Client, run_worker: Any, outbox: Any
) -> None:
    user, _ = await make_creditor(email="twice@reset.example")
    await post_form(client, "/password/forgot", {"email": "twice@reset.example"})
    await post_form(client, "/password/forgot", {"email": "twice@reset.example"})
    second, first = await reset_links(run_worker, outbox, "twice@reset.example")
    assert first != second
    assert (await client.get(second)).status_code == 200, "both links work until one is used"

    done = await post_form(
        client, first, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
    )
    assert done.status_code == 200 and "Votre mot de passe a été modifié" in done.text
    assert await audit_trail("password_reset") == [
        {
            "user": user.id,
            "organisation": None,
            "actor_email": "twice@reset.example",
            "target": "",
            "ip": BROWSER_IP,
            "user_agent": BROWSER_AGENT,
            "is_success": True,
        }
    ]

    dead = await client.get(second)
    assert dead.status_code == 400
    refused = await post_form(
        client,
        second,
        {"password": "yet another passphrase", "password_confirm": "yet another passphrase"},
    )
    assert refused.status_code == 422 and "plus valable" in refused.text
    assert not await AccountToken.exists().where(
        (AccountToken.purpose == TokenPurpose.RESET_PASSWORD) & AccountToken.used_at.is_null()
    )
    await log_in(client, "twice@reset.example", NEW_PASSWORD)


async def test_changing_the_password_also_kills_pending_reset_links(
    app: Litestar, client: Client, run_worker: Any, outbox: Any
) -> None:
    user, org = await make_creditor(email="change@reset.example")
    async with make_client(app) as anonymous:
        await post_form(anonymous, "/password/forgot", {"email": "change@reset.example"})
    [link] = await reset_links(run_worker, outbox, "change@reset.example")
    await log_in(client, "change@reset.example")

    changed = await post_form(
        client,
        "/account/password",
        {"current_password": PASSWORD, "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
    )

    assert changed.status_code == 200 and "Votre mot de passe a été modifié" in changed.text
    assert (await client.get(link)).status_code == 400
    [changed_event] = await audit_trail("password_changed")
    assert changed_event == {
        "user": user.id,
        "organisation": org.id,
        "actor_email": "change@reset.example",
        "target": "",
        "ip": BROWSER_IP,
        "user_agent": BROWSER_AGENT,
        "is_success": True,
    }


@pytest.mark.parametrize(
    ("path", "route", "params"),
    [
        (paths.LOGIN, "accounts.login", {}),
        (paths.FORGOT_PASSWORD, "accounts.forgot_password", {}),
        (paths.VERIFY_EMAIL, "accounts.verify", {"token": "abc-DEF_123"}),
        (paths.RESET_PASSWORD, "accounts.reset_password", {"token": "abc-DEF_123"}),
        (paths.DASHBOARD, "accounts.dashboard", {}),
        (paths.SIREN_TAKEN, "accounts.siren_taken", {}),
        (paths.CLAIM, "accounts.claim", {"claim_id": 42}),
        (paths.ADMIN_CLAIM, "admin.claim", {"claim_id": 42}),
    ],
)
async def test_links_built_for_emails_lead_to_the_routes(
    app: Litestar, path: str, route: str, params: dict[str, Any]
) -> None:
    base = "https://ponctuel.example/"
    assert paths.link(base, path, **params) == "https://ponctuel.example" + app.route_reverse(
        route, **params
    )


def test_a_link_needs_exactly_the_parameters_of_its_path() -> None:
    with pytest.raises(ValueError, match="takes"):
        paths.link("https://ponctuel.example", paths.RESET_PASSWORD)
    with pytest.raises(ValueError, match="takes"):
        paths.link("https://ponctuel.example", paths.LOGIN, token="x")
    assert paths.link("https://p.example", paths.VERIFY_EMAIL, token="a/b?c") == (
        "https://p.example/verify/a%2Fb%3Fc"
    )


async def test_a_reset_refuses_the_address_as_password_and_confirms_only_its_own_account(
    client: Client, run_worker: Any, outbox: Any
) -> None:
    email = "claire.dupont.compta@reset.example"
    user = await make_user(email=email, verified=False)
    bystander = await make_user(email="someone.else@reset.example", verified=False)
    await post_form(client, "/password/forgot", {"email": email})
    [link] = await reset_links(run_worker, outbox, email)

    refused = await post_form(
        client,
        link,
        {"password": "claire.dupont.compta", "password_confirm": "claire.dupont.compta"},
    )
    assert refused.status_code == 422
    assert "Ce mot de passe est trop courant" in refused.text

    done = await post_form(
        client, link, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
    )
    assert done.status_code == 200 and "Votre mot de passe a été modifié" in done.text
    verified = {
        row["email"]: row["email_verified_at"]
        for row in await User.select(User.email, User.email_verified_at).where(
            User.id.is_in([user.id, bystander.id])
        )
    }
    assert verified[email] is not None, "the link proved the address"
    assert verified["someone.else@reset.example"] is None, "no other account is confirmed"


async def test_the_reset_email_speaks_the_account_language_and_the_job_says_what_it_did(
    app: Litestar, client: Client, run_worker: Any, outbox: Any
) -> None:
    await make_user(email="english@reset.example", locale="en")
    await post_form(client, "/password/forgot", {"email": "english@reset.example"})  # French page
    await run_worker()
    [message] = outbox("english@reset.example")
    assert message.subject == "Reset your password"

    queue, clock = app.state.queue, app.state.clock
    job = {"redis": queue, "settings": app.state.settings, "clock": clock}
    assert await send_password_reset(job, "english@reset.example", "fr") is True
    assert await send_password_reset(job, "ghost@reset.example", "fr") is False


async def test_a_reset_kills_only_that_accounts_reset_links(
    app: Litestar, client: Client, run_worker: Any, outbox: Any
) -> None:
    await make_creditor(email="first@reset.example")
    await make_creditor(email="second@reset.example")
    for email in ("first@reset.example", "second@reset.example"):
        await post_form(client, "/password/forgot", {"email": email})
    [first] = await reset_links(run_worker, outbox, "first@reset.example")
    [second] = await reset_links(run_worker, outbox, "second@reset.example")

    new = {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
    assert (await post_form(client, first, new)).status_code == 200
    async with make_client(app) as other:
        assert (await other.get(second)).status_code == 200, "another account's link still works"
