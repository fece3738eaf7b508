"""Linking and unlinking sign-in providers: never without the account's password (or a recent
login), never before the second factor, always told by email; the real app against the sandbox.
"""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pyotp
import pytest
from litestar import Litestar

from app.accounts.oidc import clear_cache
from app.accounts.service.providers import LAST_SIGN_IN_METHOD, LOG_IN_AGAIN, unlink_identity
from app.accounts.service.totp import TOTP_PURPOSE
from app.accounts.tables import AuditEvent, ExternalIdentity, User
from app.clock import Clock, FixedClock
from app.errors import DomainError
from app.messaging.outbox import OutboxMessage
from app.security import DataKeys
from app.settings import Settings
from tests.conftest import BROWSER_AGENT, BROWSER_IP, make_client
from tests.factories import (
    PASSWORD,
    audit_trail,
    field_error,
    flash_items,
    form_error,
    log_in,
    make_creditor,
    make_user,
    post_form,
    table_rows,
)
from tests.oidc_sandbox import (
    app_with_sandbox,
    callback_from_provider,
    is_logged_in,
    link_row,
    provider_redirect,
    sandbox_provider,
)

Client = httpx.AsyncClient
Outbox = Callable[..., list[OutboxMessage]]

# A sandbox user whose address the tests give to a Ponctuel account too, and the owner of the
# account that links providers.
LINA = "lina.link@example.com"
OWNER = "linker@example.com"
LINKED_SUBJECT = "Un fournisseur de connexion a été relié à votre compte Ponctuel"
OLDER = datetime(2026, 2, 3, tzinfo=UTC)
UNLINKED_SUBJECT = "Un fournisseur de connexion a été retiré de votre compte Ponctuel"


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    clear_cache()


@pytest.fixture
def app_clock(clock: FixedClock) -> Clock:
    return clock


@pytest.fixture
async def sandbox_issuer(clock: FixedClock) -> AsyncIterator[str]:
    async with sandbox_provider(clock) as issuer:
        yield issuer


@pytest.fixture
async def app(
    settings: Settings, clock: FixedClock, sandbox_issuer: str
) -> AsyncIterator[Litestar]:
    async with app_with_sandbox(settings, clock, sandbox_issuer) as application:
        yield application


class Mail:
    """The messages an address receives from now on (the outbox outlives each test)."""

    def __init__(self, outbox: Outbox, run_worker: Any) -> None:
        self.outbox = outbox
        self.run_worker = run_worker
        self.seen: dict[str, int] = {}

    def watch(self, address: str) -> None:
        self.seen[address] = len(self.outbox(address))

    async def new(self, address: str) -> list[OutboxMessage]:
        await self.run_worker()
        messages = self.outbox(address)
        return messages[: len(messages) - self.seen.get(address, 0)]


@pytest.fixture
def mail(outbox: Outbox, run_worker: Any) -> Mail:
    return Mail(outbox, run_worker)


def text_of(response: httpx.Response) -> str:
    """The page's text as a reader sees it (entities decoded)."""
    return html.unescape(response.text)


async def links_of(user: User) -> list[str]:
    rows = await ExternalIdentity.select(ExternalIdentity.subject).where(
        ExternalIdentity.user == user.id
    )
    return sorted(row["subject"] for row in rows)


async def actions_of(user: User) -> list[str]:
    rows = await AuditEvent.select(AuditEvent.action).where(AuditEvent.user == user.id)
    return [row["action"] for row in rows]


async def start_link_from_account(
    client: Client, password: str = PASSWORD, provider: str = "sandbox"
) -> httpx.Response:
    await client.get(f"/account/providers/{provider}/link")
    return await post_form(
        client,
        f"/account/providers/{provider}/link",
        {"password": password},
        follow_redirects=False,
    )


async def without_password(user: User) -> None:
    await User.update({User.password_hash: None}).where(User.id == user.id)


async def with_two_factor(app: Litestar, user: User, clock: Clock) -> str:
    """Two-factor turned on for the user, as the setup page stores it; returns the secret."""
    keys: DataKeys = app.state.data_keys
    secret = pyotp.random_base32()
    await User.update(
        {
            User.totp_secret: keys.encrypt(secret, purpose=TOTP_PURPOSE),
            User.totp_enabled_at: clock.now(),
        }
    ).where(User.id == user.id)
    return secret


# --- a provider login that finds an account with the same address -----------------------------


async def test_a_provider_login_matching_a_password_account_links_only_after_its_password(
    client: Client, mail: Mail
) -> None:
    user, org = await make_creditor(email=LINA)
    mail.watch(LINA)

    page = await client.get(await callback_from_provider(client, LINA))

    assert page.status_code == 200 and str(page.url).endswith("/auth/link")
    assert "Un compte Ponctuel utilise déjà l'adresse lina.link@example.com" in text_of(page)
    assert "Saisissez son mot de passe pour relier Sandbox" in text_of(page)
    assert await links_of(user) == []
    assert not await is_logged_in(client)

    wrong = await post_form(client, "/auth/link", {"password": "not the password at all"})
    assert wrong.status_code == 422
    assert field_error(wrong.text, "password") == "Le mot de passe est incorrect."
    assert await links_of(user) == []
    assert not await is_logged_in(client)

    dashboard = await post_form(client, "/auth/link", {"password": PASSWORD})

    assert str(dashboard.url).endswith("/app")
    assert org.name in dashboard.text
    assert await links_of(user) == ["sandbox-lina"]
    linked = await AuditEvent.objects().get(AuditEvent.action == "oidc_linked")
    assert linked is not None and linked.user == user.id and linked.target == "oidc:sandbox"
    assert linked.organisation == org.id
    [notice] = await mail.new(LINA)
    assert notice.subject == LINKED_SUBJECT
    assert "Sandbox a été relié à votre compte Ponctuel" in notice.text
    assert "http://testserver.local/account" in notice.text

    await post_form(client, "/logout", {})
    again = await client.get(await callback_from_provider(client, LINA))
    assert str(again.url).endswith("/app"), "the next provider login goes straight in"


async def test_after_the_password_step_the_user_lands_where_they_were_going(
    client: Client,
) -> None:
    user, _ = await make_creditor(email=LINA)
    await client.get(await callback_from_provider(client, LINA, next_url="/account"))

    landed = await post_form(client, "/auth/link", {"password": PASSWORD})

    assert landed.status_code == 200 and landed.url.path == "/account"
    assert await links_of(user) == ["sandbox-lina"]


async def test_with_two_factor_on_the_link_is_saved_only_once_the_code_is_accepted(
    app: Litestar, client: Client, clock: FixedClock, mail: Mail
) -> None:
    user, _ = await make_creditor(email=LINA)
    secret = await with_two_factor(app, user, clock)
    mail.watch(LINA)
    await client.get(await callback_from_provider(client, LINA))

    second_step = await post_form(client, "/auth/link", {"password": PASSWORD})

    assert str(second_step.url).endswith("/login/2fa")
    assert await links_of(user) == []
    refused = await post_form(client, "/login/2fa", {"code": "000000"})
    assert refused.status_code == 422
    assert await links_of(user) == []
    assert not await is_logged_in(client)

    dashboard = await post_form(client, "/login/2fa", {"code": pyotp.TOTP(secret).at(clock.now())})

    assert str(dashboard.url).endswith("/app")
    assert await links_of(user) == ["sandbox-lina"]
    assert [m.subject for m in await mail.new(LINA)] == [LINKED_SUBJECT]


async def test_a_link_lives_from_the_password_as_long_as_the_code_step_does(
    app: Litestar, client: Client, clock: FixedClock
) -> None:
    """The provider's answer is 9 minutes old when the password is given: the link is restamped
    then, so a code given 4 minutes later (13 after the provider) still links the provider."""
    user, _ = await make_creditor(email=LINA)
    secret = await with_two_factor(app, user, clock)
    await client.get(await callback_from_provider(client, LINA))
    clock.advance(timedelta(minutes=9))
    second_step = await post_form(client, "/auth/link", {"password": PASSWORD})
    assert str(second_step.url).endswith("/login/2fa")
    clock.advance(timedelta(minutes=4))

    dashboard = await post_form(client, "/login/2fa", {"code": pyotp.TOTP(secret).at(clock.now())})

    assert str(dashboard.url).endswith("/app")
    assert await links_of(user) == ["sandbox-lina"]


async def test_a_link_left_at_the_second_step_is_not_saved_by_a_later_password_login(
    app: Litestar, client: Client, clock: FixedClock
) -> None:
    user, _ = await make_creditor(email=LINA)
    await with_two_factor(app, user, clock)
    await client.get(await callback_from_provider(client, LINA))
    second_step = await post_form(client, "/auth/link", {"password": PASSWORD})
    assert str(second_step.url).endswith("/login/2fa")
    # The user gives up there, turns two-factor off from another device, then comes back to
    # this browser and logs in with the password alone: nothing asked to link a provider.
    await User.update({User.totp_secret: None, User.totp_enabled_at: None}).where(
        User.id == user.id
    )

    dashboard = await post_form(client, "/login", {"email": LINA, "password": PASSWORD})

    assert str(dashboard.url).endswith("/app")
    assert await links_of(user) == []


async def test_an_account_without_a_password_is_told_to_log_in_as_usual_and_is_not_linked(
    client: Client,
) -> None:
    user, _ = await make_creditor(email=LINA)
    await without_password(user)

    response = await client.get(await callback_from_provider(client, LINA))

    assert response.status_code == 400
    assert "Connectez-vous comme d'habitude, puis reliez Sandbox depuis « Mon compte »" in (
        text_of(response)
    )
    assert await links_of(user) == []
    assert not await is_logged_in(client)
    no_password_step = await client.get("/auth/link")
    assert str(no_password_step.url).endswith("/login")
    assert await audit_trail("login_failed") == [
        {
            "user": None,
            "organisation": None,
            "actor_email": LINA,
            "target": "oidc:account_without_password",
            "ip": BROWSER_IP,
            "user_agent": BROWSER_AGENT,
            "is_success": False,
        }
    ]


async def test_the_password_step_of_a_provider_login_expires_after_ten_minutes(
    client: Client, clock: FixedClock
) -> None:
    user, _ = await make_creditor(email=LINA)
    await client.get(await callback_from_provider(client, LINA))
    clock.advance(timedelta(minutes=11))

    response = await post_form(client, "/auth/link", {"password": PASSWORD})

    assert str(response.url).endswith("/login")
    expired = ("warning", "La liaison a expiré : recommencez la connexion.")
    assert flash_items(response.text) == [expired]
    assert await links_of(user) == []
    assert not await is_logged_in(client)


async def test_wrong_passwords_on_the_link_step_are_limited_per_address(
    client: Client, settings: Settings
) -> None:
    user, _ = await make_creditor(email=LINA)
    await client.get(await callback_from_provider(client, LINA))

    answers = [
        (await post_form(client, "/auth/link", {"password": "wrong password"})).status_code
        for _ in range(settings.login_rate_limit + 1)
    ]

    assert answers == [422] * settings.login_rate_limit + [429]
    assert await links_of(user) == []


# --- the account page ---------------------------------------------------------------------------


async def test_the_account_page_lists_linked_providers_and_offers_to_link_the_others(
    settings: Settings, clock: FixedClock, sandbox_issuer: str
) -> None:
    async with (
        app_with_sandbox(settings, clock, sandbox_issuer, names=("sandbox", "other")) as app,
        make_client(app) as client,
    ):
        user, _ = await make_creditor(email=OWNER)
        await link_row(app, user, "sandbox-claire", email="claire@example.com")
        await log_in(client, OWNER)

        page = await client.get("/account")

    section = page.text.split('id="providers"', 1)[1].split("</section>", 1)[0]
    assert "Connexion avec un fournisseur" in section
    assert "Sandbox" in section and "claire@example.com" in section
    assert "3 février 2026" in section
    [row] = await ExternalIdentity.select(ExternalIdentity.id).where(
        ExternalIdentity.user == user.id
    )
    assert f'href="/account/providers/{row["id"]}/unlink"' in section
    assert ">Dissocier<" in section
    assert 'href="/account/providers/other/link"' in section
    assert "Relier Other" in section
    assert "Relier Sandbox" not in section


async def test_the_account_page_lists_linked_providers_oldest_first(
    app: Litestar, client: Client
) -> None:
    user, _ = await make_creditor(email=OWNER)
    for name, linked_on in (("sandbox", datetime(2026, 5, 1, tzinfo=UTC)), ("other", OLDER)):
        await ExternalIdentity(
            user=user.id,
            provider=name,
            issuer=f"https://{name}.example.test",
            subject=f"subject-{name}",
            created_at=linked_on,
        ).save()
    await log_in(client, OWNER)

    account = await client.get("/account")

    providers = account.text.split('id="providers"', 1)[1].split("</section>", 1)[0]
    assert [row[0] for row in table_rows(providers)] == ["Other", "Sandbox"]


async def test_linking_from_the_account_page_asks_for_the_password_then_links_that_identity(
    client: Client, mail: Mail, clock: FixedClock
) -> None:
    user, _ = await make_creditor(email=OWNER)
    await log_in(client, OWNER)
    mail.watch(OWNER)
    mail.watch("claire@example.com")

    form = await client.get("/account/providers/sandbox/link")
    assert form.status_code == 200
    assert 'name="password"' in form.text and "Continuer vers Sandbox" in form.text
    refused = await start_link_from_account(client, password="not the password")
    assert refused.status_code == 422
    assert field_error(refused.text, "password") == "Le mot de passe est incorrect."
    assert form_error(refused.text) is None

    start = await start_link_from_account(client)
    account = await client.get(await provider_redirect(client, start, "claire@example.com"))

    assert str(account.url).endswith("/account")
    assert flash_items(account.text) == [
        ("success", "Sandbox est maintenant relié à votre compte.")
    ]
    assert await links_of(user) == ["sandbox-claire"]
    stored = await ExternalIdentity.objects().get(ExternalIdentity.user == user.id)
    assert stored is not None and stored.email == "claire@example.com"
    assert (stored.provider, stored.created_at) == ("sandbox", clock.now())
    assert "oidc_linked" in await actions_of(user)
    [notice] = await mail.new(OWNER)
    assert notice.subject == LINKED_SUBJECT
    assert notice.text.splitlines()[-3:] == ["", "-- ", "Ponctuel"]
    assert notice.text.splitlines()[-4].endswith(
        "dissociez Sandbox depuis « Mon compte » et changez votre mot de passe : "
        "http://testserver.local/password/forgot"
    )
    assert await mail.new("claire@example.com") == [], "the provider's address is not written to"


async def test_a_link_finished_twice_links_once_and_says_so_the_second_time(
    app: Litestar, client: Client, mail: Mail
) -> None:
    # Two tabs: the link started in this one was finished in the other meanwhile.
    user, _ = await make_creditor(email=OWNER)
    await log_in(client, OWNER)
    start = await start_link_from_account(client)
    callback = await provider_redirect(client, start, "claire@example.com")
    await link_row(app, user, "sandbox-claire", email="claire@example.com")
    mail.watch(OWNER)

    account = await client.get(callback)

    assert str(account.url).endswith("/account")
    assert flash_items(account.text) == [("info", "Sandbox est déjà relié à votre compte.")]
    assert await links_of(user) == ["sandbox-claire"]
    assert "oidc_linked" not in await actions_of(user)
    assert await mail.new(OWNER) == [], "nothing changed: no notice"


async def test_without_a_password_linking_needs_a_login_of_the_last_fifteen_minutes(
    settings: Settings, clock: FixedClock, sandbox_issuer: str
) -> None:
    async with (
        app_with_sandbox(settings, clock, sandbox_issuer, names=("sandbox", "other")) as app,
        make_client(app) as client,
    ):
        user, _ = await make_creditor(email=LINA)
        await link_row(app, user, "sandbox-lina", provider="other")
        await without_password(user)
        await client.get(await callback_from_provider(client, LINA, provider="other"))
        assert await is_logged_in(client)

        clock.advance(timedelta(minutes=14))
        page = await client.get("/account/providers/sandbox/link")
        assert 'name="password"' not in page.text
        assert "Continuer vers Sandbox" in page.text and "reconnectez-vous" not in page.text
        assert (await start_link_from_account(client, password="")).status_code == 303

        clock.advance(timedelta(minutes=2))
        page = await client.get("/account/providers/sandbox/link")
        refused = await start_link_from_account(client, password="")

        assert form_error(page.text) == LOG_IN_AGAIN
        assert 'href="/auth/other/start?next=/account/providers/sandbox/link"' in page.text
        assert refused.status_code == 422
        assert form_error(refused.text) == LOG_IN_AGAIN
    assert await links_of(user) == ["sandbox-lina"]


async def test_an_identity_already_linked_to_another_account_cannot_be_linked(
    app: Litestar, client: Client
) -> None:
    other, _ = await make_creditor(email="other.link@example.com")
    await link_row(app, other, "sandbox-claire")
    user, _ = await make_creditor(email=OWNER)
    await log_in(client, OWNER)

    start = await start_link_from_account(client)
    response = await client.get(await provider_redirect(client, start, "claire@example.com"))

    assert response.status_code == 409
    assert "Cette identité est déjà reliée à un autre compte Ponctuel" in response.text
    assert 'href="/account"' in response.text
    assert await links_of(user) == []
    assert await links_of(other) == ["sandbox-claire"]


async def test_a_link_started_by_one_account_cannot_be_finished_by_another(
    client: Client,
) -> None:
    first, _ = await make_creditor(email="first.link@example.com")
    second, _ = await make_creditor(email="second.link@example.com")
    await log_in(client, "first.link@example.com")
    start = await start_link_from_account(client)
    await post_form(client, "/logout", {})
    await log_in(client, "second.link@example.com")

    response = await client.get(await provider_redirect(client, start, "claire@example.com"))

    assert response.status_code == 400
    assert "La liaison avec Sandbox a expiré" in response.text
    assert await links_of(first) == [] and await links_of(second) == []


# --- unlinking ----------------------------------------------------------------------------------


async def test_unlinking_asks_for_confirmation_then_removes_the_identity_and_emails_the_user(
    app: Litestar, client: Client, mail: Mail
) -> None:
    user, _ = await make_creditor(email=OWNER)
    row = await link_row(app, user, "sandbox-claire", email="claire@example.com")
    await log_in(client, OWNER)
    mail.watch(OWNER)

    confirm = await client.get(f"/account/providers/{row.id}/unlink")
    assert confirm.status_code == 200
    assert re.search(
        rf'<form method="post" action="/account/providers/{row.id}/unlink">', confirm.text
    )
    assert await links_of(user) == ["sandbox-claire"], "showing the question changes nothing"

    done = await post_form(client, f"/account/providers/{row.id}/unlink", {})

    assert str(done.url).endswith("/account")
    assert "Sandbox est dissocié de votre compte." in done.text
    assert "Relier Sandbox" in done.text
    assert await links_of(user) == []
    assert "oidc_unlinked" in await actions_of(user)
    [notice] = await mail.new(OWNER)
    assert notice.subject == UNLINKED_SUBJECT
    assert "Sandbox a été dissocié de votre compte Ponctuel" in notice.text


async def test_unlinking_the_only_way_to_log_in_is_refused(app: Litestar, client: Client) -> None:
    user, _ = await make_creditor(email=LINA)
    row = await link_row(app, user, "sandbox-lina")
    await without_password(user)
    await client.get(await callback_from_provider(client, LINA))
    assert await is_logged_in(client)

    account = await client.get("/account")
    confirm = await client.get(f"/account/providers/{row.id}/unlink")
    refused = await post_form(client, f"/account/providers/{row.id}/unlink", {})

    assert "Seul moyen de connexion" in account.text
    assert f'href="/account/providers/{row.id}/unlink"' not in account.text
    assert "C'est votre seul moyen de vous connecter" in text_of(confirm)
    assert 'action="/account/providers/' not in confirm.text
    assert refused.status_code == 400
    assert "C'est votre seul moyen de vous connecter" in text_of(refused)
    assert await links_of(user) == ["sandbox-lina"]
    assert await is_logged_in(client)


async def test_an_account_with_two_providers_and_no_password_may_unlink_one_of_them(
    settings: Settings, clock: FixedClock, sandbox_issuer: str
) -> None:
    async with (
        app_with_sandbox(settings, clock, sandbox_issuer, names=("sandbox", "other")) as app,
        make_client(app) as client,
    ):
        user, _ = await make_creditor(email=LINA)
        await link_row(app, user, "sandbox-lina")
        second = await link_row(app, user, "sandbox-claire", provider="other")
        await without_password(user)
        await client.get(await callback_from_provider(client, LINA))

        done = await post_form(client, f"/account/providers/{second.id}/unlink", {})

        assert str(done.url).endswith("/account")
        assert "Seul moyen de connexion" in done.text
    assert await links_of(user) == ["sandbox-lina"]


async def test_two_removals_at_once_cannot_take_away_the_last_way_to_log_in(
    db: Litestar, clock: FixedClock
) -> None:
    # Without a password and with two providers, either may go, not both. Both removals start
    # while another transaction holds the account's rows: they must wait for it, then run one
    # after the other, so the second sees the last way to log in. (Holding the identities too
    # makes removals that do not wait count both of them, whatever the timing.)
    user, _ = await make_creditor(email=LINA)
    rows = [
        ExternalIdentity(
            user=user.id,
            provider=name,
            issuer="https://id.example.test",
            subject=f"subject-{name}",
            created_at=clock.now(),
        )
        for name in ("sandbox", "other")
    ]
    for row in rows:
        await row.save()
    await without_password(user)
    locked = asyncio.Event()

    async def hold_the_account() -> None:
        async with User._meta.db.transaction():
            await User.update({User.locale: "fr"}).where(User.id == user.id)
            await ExternalIdentity.update({ExternalIdentity.email: ""}).where(
                ExternalIdentity.user == user.id
            )
            locked.set()
            await asyncio.sleep(0.5)

    async def remove(row: ExternalIdentity) -> object:
        await locked.wait()
        return await unlink_identity(
            user_id=user.id, identity_id=row.id, clock=clock, ip="203.0.113.9", user_agent="t"
        )

    _, *outcomes = await asyncio.gather(
        hold_the_account(), *(remove(row) for row in rows), return_exceptions=True
    )

    refusals = [o.message for o in outcomes if isinstance(o, DomainError)]
    assert refusals == [LAST_SIGN_IN_METHOD], outcomes
    assert len(await links_of(user)) == 1


async def test_another_accounts_identity_cannot_be_unlinked(app: Litestar, client: Client) -> None:
    other = await make_user(email="other.link@example.com")
    theirs = await link_row(app, other, "sandbox-claire")
    await make_creditor(email=OWNER)
    await log_in(client, OWNER)

    confirm = await client.get(f"/account/providers/{theirs.id}/unlink")
    response = await post_form(client, f"/account/providers/{theirs.id}/unlink", {})

    assert confirm.status_code == 404
    assert response.status_code == 404
    assert await links_of(other) == ["sandbox-claire"]


async def test_passwords_tried_to_link_a_provider_count_against_the_account_from_any_address(
    settings: Settings, clock: FixedClock, sandbox_issuer: str, mail: Mail
) -> None:
    """From six addresses, the sixth wrong password pauses the account's password checks."""
    async with (
        app_with_sandbox(settings, clock, sandbox_issuer, trust_fly_client_ip=True) as app,
        make_client(app) as client,
    ):
        user, _ = await make_creditor(email=OWNER)
        await post_form(client, "/login", {"email": OWNER, "password": PASSWORD}, headers=_from(0))
        mail.watch(OWNER)
        statuses = []
        for n in range(1, settings.account_attempt_limit + 2):
            await client.get("/account/providers/sandbox/link", headers=_from(n))
            answer = await post_form(
                client,
                "/account/providers/sandbox/link",
                {"password": "not the password"},
                headers=_from(n),
                follow_redirects=False,
            )
            statuses.append(answer.status_code)
        assert statuses == [422] * settings.account_attempt_limit + [429]
        assert "account_locked" in await actions_of(user)
        [notice] = await mail.new(OWNER)
        assert "suspendues" in notice.subject
        right = await start_link_from_account(client)
        assert right.status_code == 429, "while paused, even the right password is refused"
        assert await links_of(user) == []


def _from(n: int) -> dict[str, str]:
    return {"fly-client-ip": f"203.0.113.{n + 10}"}


async def test_with_a_password_linking_is_offered_however_old_the_login(
    client: Client, clock: FixedClock
) -> None:
    await make_creditor(email=OWNER)
    await log_in(client, OWNER)
    clock.advance(timedelta(minutes=119))  # a login long past, in a session still open

    page = await client.get("/account/providers/sandbox/link")

    assert 'name="password"' in page.text and "Continuer vers Sandbox" in page.text
    assert "reconnectez-vous" not in page.text, "the password itself proves the user"
