"""Log in and sign up with an OpenID Connect provider: the real app against the real sandbox.

The app calls the sandbox over HTTP on a real port; the browser's trip to the provider is made
with a plain HTTP client, and the provider's redirect back is handed to the app's client.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from litestar import Litestar
from redis.asyncio import Redis

from app import limits
from app.accounts.oidc import clear_cache
from app.accounts.service.oidc import PENDING_LOGIN_PURPOSE
from app.accounts.tables import AuditEvent, ExternalIdentity, Membership, Organisation, Role, User
from app.clock import Clock, FixedClock
from app.security import DataKeys
from app.settings import Settings
from tests.conftest import BROWSER_AGENT, BROWSER_IP, make_client
from tests.factories import audit_trail, flash_items, make_creditor, make_user, post_form
from tests.oidc_sandbox import (
    PENDING_COOKIE,
    app_with_sandbox,
    callback_from_provider,
    is_logged_in,
    link_row,
    sandbox_provider,
    served_sandbox,
)

Client = httpx.AsyncClient

COMPANY = {
    "full_name": "Claire Dupont",
    "organisation_name": "Dupont Menuiserie",
    "siren": "732829320",
}


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    clear_cache()


@pytest.fixture
def app_clock(clock: FixedClock) -> Clock:
    """The app and the provider share the test's clock, so a test can let time pass."""
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


def pending_cookie_of(response: httpx.Response, name: str) -> str:
    """The Set-Cookie header of the pending login (the CSRF cookie has its own header)."""
    [cookie] = [
        value
        for header, value in response.headers.multi_items()
        if header == "set-cookie" and value.startswith(f"{name}=")
    ]
    return cookie


async def failure_reasons() -> list[str]:
    rows = await AuditEvent.select(AuditEvent.target).where(AuditEvent.action == "login_failed")
    return [row["target"] for row in rows]


async def test_a_newcomer_signs_up_through_the_provider_and_lands_on_the_dashboard(
    client: Client, sandbox_issuer: str
) -> None:
    callback = await callback_from_provider(client, "claire@example.com")
    form_page = await client.get(callback)
    assert form_page.status_code == 200
    assert str(form_page.url).endswith("/auth/complete")
    assert "Sandbox a confirmé votre adresse claire@example.com." in form_page.text
    assert 'value="Claire Dupont"' in form_page.text
    assert not await User.exists().where(User.email == "claire@example.com")

    dashboard = await post_form(client, "/auth/complete", COMPANY)

    assert dashboard.status_code == 200
    assert str(dashboard.url).endswith("/app")
    assert "Dupont Menuiserie" in dashboard.text
    user = await User.objects().get(User.email == "claire@example.com")
    assert user is not None
    assert user.password_hash is None and user.email_verified_at is not None
    org = await Organisation.objects().get(Organisation.siren == "732829320")
    assert org is not None and org.vat_number == "FR44732829320"
    membership = await Membership.objects().get(Membership.user == user.id)
    assert membership is not None and membership.role == Role.OWNER
    link = await ExternalIdentity.objects().get(ExternalIdentity.user == user.id)
    assert link is not None
    assert (link.provider, link.subject, link.issuer, link.email) == (
        "sandbox",
        "sandbox-claire",
        sandbox_issuer,
        "claire@example.com",
    )
    assert link.created_at == user.created_at, "linked at signup, on the app's clock"
    signup = await AuditEvent.objects().get(AuditEvent.action == "signup")
    assert signup is not None and signup.target == "oidc:sandbox"
    login = await AuditEvent.objects().get(AuditEvent.action == "login")
    assert login is not None and login.target == "oidc:sandbox"


async def test_a_newcomer_lands_where_they_were_going_once_signed_up(client: Client) -> None:
    callback = await callback_from_provider(client, "claire@example.com", next_url="/account")
    await client.get(callback)

    landed = await post_form(client, "/auth/complete", COMPANY)

    assert landed.status_code == 200 and landed.url.path == "/account"


async def test_the_signup_form_refuses_an_invalid_siren_in_french(client: Client) -> None:
    await client.get(await callback_from_provider(client, "claire@example.com"))

    response = await post_form(client, "/auth/complete", {**COMPANY, "siren": "123"})

    assert response.status_code == 422
    assert "numéro SIREN n'est pas valide" in response.text
    assert not await User.exists().where(User.email == "claire@example.com")


async def test_a_newcomer_whose_siren_is_taken_gets_an_account_and_is_told_so(
    client: Client,
) -> None:
    await make_creditor(email="other@example.com")
    taken = await Organisation.select(Organisation.id, Organisation.siren).first()
    assert taken is not None
    await client.get(await callback_from_provider(client, "claire@example.com"))

    dashboard = await post_form(client, "/auth/complete", {**COMPANY, "siren": taken["siren"]})

    assert dashboard.status_code == 200 and str(dashboard.url).endswith("/app")
    assert "est déjà utilisé" in dashboard.text
    assert "Contester l'inscription" in dashboard.text
    user = await User.objects().get(User.email == "claire@example.com")
    assert user is not None and user.email_verified_at is not None
    assert not await Membership.exists().where(Membership.user == user.id)
    assert await Organisation.count().where(Organisation.siren == taken["siren"]) == 1
    assert await Membership.exists().where(Membership.organisation == taken["id"])


async def test_the_signup_form_refuses_a_siren_insee_never_attributes(client: Client) -> None:
    await client.get(await callback_from_provider(client, "claire@example.com"))

    response = await post_form(client, "/auth/complete", {**COMPANY, "siren": "000000000"})

    assert response.status_code == 422
    assert "l'INSEE ne l'attribue à aucune entreprise" in response.text
    assert not await User.exists().where(User.email == "claire@example.com")


async def test_the_signup_form_without_a_provider_login_sends_back_to_the_login_page(
    client: Client,
) -> None:
    expired = [("warning", "Votre inscription a expiré : recommencez la connexion.")]
    page = await client.get("/auth/complete")
    assert str(page.url).endswith("/login")
    assert flash_items(page.text) == expired

    response = await post_form(client, "/auth/complete", COMPANY)

    assert str(response.url).endswith("/login")
    assert flash_items(response.text) == expired
    assert not await Organisation.exists().where(Organisation.siren == "732829320")


async def test_a_second_login_with_the_provider_goes_straight_to_the_dashboard(
    app: Litestar, client: Client
) -> None:
    await client.get(await callback_from_provider(client, "claire@example.com"))
    await post_form(client, "/auth/complete", COMPANY)

    async with make_client(app) as other_browser:
        response = await other_browser.get(
            await callback_from_provider(other_browser, "claire@example.com", next_url="/account")
        )

        assert response.status_code == 200
        assert str(response.url).endswith("/account")
        assert await is_logged_in(other_browser)
    assert await User.count().where(User.email == "claire@example.com") == 1
    assert await ExternalIdentity.count() == 1


async def test_an_unconfirmed_password_account_is_not_linked_by_email(client: Client) -> None:
    await make_user(email="paul@example.com", verified=False)

    response = await client.get(await callback_from_provider(client, "paul@example.com"))

    assert response.status_code == 400
    assert "lien de confirmation" in response.text
    assert await ExternalIdentity.count() == 0
    assert not await is_logged_in(client)
    assert await audit_trail("login_failed") == [
        {
            "user": None,
            "organisation": None,
            "actor_email": "paul@example.com",
            "target": "oidc:account_not_verified",
            "ip": BROWSER_IP,
            "user_agent": BROWSER_AGENT,
            "is_success": False,
        }
    ]


async def test_an_address_the_provider_does_not_vouch_for_neither_links_nor_signs_up(
    client: Client,
) -> None:
    await make_creditor(email="eve@example.com")

    response = await client.get(await callback_from_provider(client, "eve@example.com"))

    assert response.status_code == 400
    assert "Sandbox ne confirme pas votre adresse e-mail" in response.text
    assert await ExternalIdentity.count() == 0
    assert not await is_logged_in(client)
    failed = await AuditEvent.objects().get(AuditEvent.action == "login_failed")
    assert failed is not None and failed.target == "oidc:email_not_verified"


async def test_a_callback_with_a_wrong_state_is_refused_and_logs_nobody_in(
    app: Litestar, client: Client
) -> None:
    user, _ = await make_creditor(email="paul@example.com")
    await link_row(app, user, "sandbox-paul")
    callback = await callback_from_provider(client, "paul@example.com")
    path, query = callback.split("?", 1)
    params = dict(parse_qsl(query))
    params["state"] = "forged-state"

    response = await client.get(f"{path}?{urlencode(params)}")

    assert response.status_code == 400
    assert "La connexion avec Sandbox a échoué. Réessayez." in response.text
    assert '<a class="button" href="/login">Revenir à la connexion</a>' in response.text
    assert not await is_logged_in(client)
    assert await failure_reasons() == ["oidc:state_mismatch"]


async def test_replaying_a_callback_url_is_refused_and_opens_no_session(
    app: Litestar, client: Client
) -> None:
    user, _ = await make_creditor(email="paul@example.com")
    await link_row(app, user, "sandbox-paul")
    callback = await callback_from_provider(client, "paul@example.com")
    first = await client.get(callback)
    assert first.status_code == 200 and str(first.url).endswith("/app")

    again = await client.get(callback)
    assert again.status_code == 400

    async with make_client(app) as attacker:
        stolen = await attacker.get(callback)
        assert stolen.status_code == 400
        assert "La connexion avec Sandbox a échoué" in stolen.text
        assert not await is_logged_in(attacker)
    assert await failure_reasons() == ["oidc:no_pending_login"] * 2


async def test_a_copied_pending_cookie_does_not_let_a_callback_be_replayed(
    app: Litestar, client: Client
) -> None:
    user, _ = await make_creditor(email="paul@example.com")
    await link_row(app, user, "sandbox-paul")
    callback = await callback_from_provider(client, "paul@example.com")
    copied = client.cookies.get(PENDING_COOKIE)
    assert copied
    assert (await client.get(callback)).status_code == 200
    assert client.cookies.get(PENDING_COOKIE) is None, "the callback deletes the cookie"

    async with make_client(app) as attacker:
        attacker.cookies.set(PENDING_COOKIE, copied)
        replay = await attacker.get(callback)

        assert replay.status_code == 400
        assert "La connexion avec Sandbox a échoué" in replay.text
        assert not await is_logged_in(attacker)
    assert await failure_reasons() == ["oidc:state_reused"]


async def test_a_pending_login_cookie_that_was_tampered_with_or_not_made_here_is_refused(
    app: Litestar, client: Client, settings: Settings
) -> None:
    user, _ = await make_creditor(email="paul@example.com")
    await link_row(app, user, "sandbox-paul")
    keys: DataKeys = app.state.data_keys
    other_keys = DataKeys((("dev", b"k" * 32),))

    def forgeries(sealed: str) -> list[str]:
        plain = keys.decrypt(sealed, purpose=PENDING_LOGIN_PURPOSE)
        flipped = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
        return [
            flipped,  # one character changed
            plain,  # the same content, unsealed
            other_keys.encrypt(plain, purpose=PENDING_LOGIN_PURPOSE),  # another key
            keys.encrypt(plain, purpose="totp-secret"),  # sealed for another use
        ]

    callback = await callback_from_provider(client, "paul@example.com")
    sealed = client.cookies.get(PENDING_COOKIE)
    assert sealed
    for forged in forgeries(sealed):
        async with make_client(app) as browser:
            browser.cookies.set(PENDING_COOKIE, forged)
            response = await browser.get(callback)
            assert response.status_code == 400, forged[:20]
            assert not await is_logged_in(browser)
    assert await failure_reasons() == ["oidc:no_pending_login"] * 4
    assert (await client.get(callback)).status_code == 200, "the genuine cookie still works"


async def test_a_pending_login_older_than_ten_minutes_is_refused(
    client: Client, clock: FixedClock, app: Litestar
) -> None:
    user, _ = await make_creditor(email="paul@example.com")
    await link_row(app, user, "sandbox-paul")
    callback = await callback_from_provider(client, "paul@example.com")
    clock.advance(timedelta(minutes=10, seconds=5))

    response = await client.get(callback)

    assert response.status_code == 400
    assert not await is_logged_in(client)
    assert await failure_reasons() == ["oidc:no_pending_login"]
    deleted = pending_cookie_of(response, PENDING_COOKIE)
    attributes = {part.strip().lower() for part in deleted.split(";")}
    assert deleted.startswith(f'{PENDING_COOKIE}="";') or deleted.startswith(f"{PENDING_COOKIE}=;")
    assert {"httponly", "samesite=lax", "path=/", "max-age=0"} <= attributes, "and it is gone"


async def test_starting_provider_logins_without_cookies_stores_nothing_on_the_server(
    app: Litestar, redis: Redis, settings: Settings
) -> None:
    for _ in range(5):
        async with make_client(app) as visitor:
            start = await visitor.get("/auth/sandbox/start", follow_redirects=False)
            assert start.status_code == 303
            assert start.headers["location"].startswith(
                str(app.state.oidc_providers["sandbox"].discovery_url).split("/.well-known")[0]
            )
            cookie = pending_cookie_of(start, PENDING_COOKIE)
            attributes = {part.strip().lower() for part in cookie.split(";")}
            assert {"httponly", "samesite=lax", "path=/", "max-age=600"} <= attributes
            state = dict(parse_qsl(urlsplit(start.headers["location"]).query))["state"]
            assert state not in cookie, "the pending login is sealed, not readable"

    session_keys = [key async for key in redis.scan_iter(match=f"{settings.redis_prefix}:session*")]
    assert session_keys == []


async def test_over_https_the_pending_login_cookie_is_secure_and_host_only(
    settings: Settings, clock: FixedClock, sandbox_issuer: str
) -> None:
    secure = {"base_url": "https://ponctuel.example.fr"}
    async with (
        app_with_sandbox(settings, clock, sandbox_issuer, **secure) as app,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="https://ponctuel.example.fr"
        ) as visitor,
    ):
        start = await visitor.get("/auth/sandbox/start")
        answer = await visitor.get("/auth/sandbox/callback?state=not-this-one&code=x")

    cookie = pending_cookie_of(start, "__Host-oidc-pending")
    attributes = {part.strip().lower() for part in cookie.split(";")}
    assert {"secure", "httponly", "samesite=lax", "path=/"} <= attributes
    # The answer deletes it; a browser ignores a __Host- cookie set without Secure.
    deletion = pending_cookie_of(answer, "__Host-oidc-pending")
    attributes = {part.strip().lower() for part in deletion.split(";")}
    assert {"max-age=0", "secure", "httponly", "samesite=lax", "path=/"} <= attributes
    assert "__Host-oidc-pending" not in visitor.cookies


async def test_logins_started_within_the_hour_fetch_the_discovery_document_once(
    settings: Settings, clock: FixedClock
) -> None:
    async with (
        served_sandbox(clock) as (issuer, sandbox),
        app_with_sandbox(settings, clock, issuer) as app,
        make_client(app) as visitor,
    ):
        for _ in range(3):
            start = await visitor.get("/auth/sandbox/start", follow_redirects=False)
            assert start.status_code == 303
        assert sandbox.state.served["discovery"] == 1


async def test_provider_logins_started_beyond_the_limit_are_refused_with_429(
    settings: Settings, clock: FixedClock, sandbox_issuer: str
) -> None:
    async with (
        app_with_sandbox(settings, clock, sandbox_issuer, oidc_rate_limit=3) as app,
        make_client(app) as visitor,
    ):
        answers = [
            (await visitor.get("/auth/sandbox/start", follow_redirects=False)).status_code
            for _ in range(4)
        ]

    assert answers == [303, 303, 303, 429]


async def test_provider_answers_beyond_the_limit_are_refused_with_429(
    settings: Settings, clock: FixedClock, sandbox_issuer: str
) -> None:
    async with (
        app_with_sandbox(settings, clock, sandbox_issuer, oidc_rate_limit=3) as app,
        make_client(app) as visitor,
    ):
        answers = [
            (await visitor.get("/auth/sandbox/callback?code=x&state=y")).status_code
            for _ in range(4)
        ]

    assert answers == [400, 400, 400, 429]
    assert await failure_reasons() == ["oidc:no_pending_login"] * 3


async def test_an_unknown_provider_is_not_found(client: Client) -> None:
    start = await client.get("/auth/nowhere/start", follow_redirects=False)
    callback = await client.get("/auth/nowhere/callback?code=x&state=y", follow_redirects=False)

    assert start.status_code == 404
    assert callback.status_code == 404


async def test_the_login_and_signup_pages_offer_the_configured_provider(client: Client) -> None:
    login = await client.get("/login?next=/account")
    signup = await client.get("/signup")

    assert "Continuer avec Sandbox" in login.text
    assert 'href="/auth/sandbox/start?next=/account"' in login.text
    assert 'href="/auth/sandbox/start"' in signup.text


async def test_an_offsite_destination_after_a_provider_login_falls_back_to_the_dashboard(
    app: Litestar, client: Client
) -> None:
    user, _ = await make_creditor(email="paul@example.com")
    await link_row(app, user, "sandbox-paul")
    callback = await callback_from_provider(
        client, "paul@example.com", next_url="//evil.example.com/"
    )

    response = await client.get(callback, follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/app"


async def test_a_user_with_two_factor_authentication_is_sent_to_the_second_step(
    app: Litestar, client: Client
) -> None:
    second_step = app.route_reverse("accounts.login_totp")  # a renamed route fails here
    user, _ = await make_creditor(email="paul@example.com")
    await link_row(app, user, "sandbox-paul")
    await User.update(
        {
            User.totp_secret: "JBSWY3DPEHPK3PXP",
            User.totp_enabled_at: datetime(2026, 1, 2, tzinfo=UTC),
        }
    ).where(User.id == user.id)

    response = await client.get(
        await callback_from_provider(client, "paul@example.com"), follow_redirects=False
    )

    assert response.status_code == 303
    assert response.headers["location"] == second_step
    assert not await is_logged_in(client)


async def test_an_identity_is_matched_by_issuer_and_subject_together(
    app: Litestar, client: Client
) -> None:
    await client.get(await callback_from_provider(client, "claire@example.com"))
    await post_form(client, "/auth/complete", COMPANY)
    # The same subject at another issuer is another person's identity.
    await ExternalIdentity.update(
        {ExternalIdentity.issuer: "https://other-provider.example"}
    ).where(ExternalIdentity.id > 0)

    async with make_client(app) as other_browser:
        await other_browser.get(await callback_from_provider(other_browser, "claire@example.com"))
        assert not await is_logged_in(other_browser)


@pytest.mark.parametrize(("extra", "lands_on"), [(0, "/account"), (1, "/app")])
async def test_a_destination_too_long_to_keep_is_dropped_for_the_dashboard(
    app: Litestar, client: Client, extra: int, lands_on: str
) -> None:
    user, _ = await make_creditor(email="paul@example.com")
    await link_row(app, user, "sandbox-paul")
    destination = "/account?q="
    destination += "x" * (limits.URL_PATH - len(destination) + extra)

    landed = await client.get(
        await callback_from_provider(client, "paul@example.com", next_url=destination)
    )

    assert landed.status_code == 200 and landed.url.path == lands_on
