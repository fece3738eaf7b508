"""Log in and sign up with an OpenID Connect provider: the real app against the real sandbox.

The app calls the sandbox over HTTP on a real port; the browser's trip to the provider is made
with a plain HTTP client, and the provider's redirect back is handed to the app's client.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from asgi_lifespan import LifespanManager
from litestar import Litestar

from app.accounts.oidc import clear_cache
from app.accounts.tables import AuditEvent, ExternalIdentity, Membership, Organisation, Role, User
from app.clock import Clock
from app.main import create_app
from app.sandbox.oidc import SandboxClient, SandboxUser, create_oidc_sandbox
from app.settings import Settings
from tests.conftest import make_client
from tests.factories import make_creditor, make_user, post_form
from tests.servers import listening_socket, serve_asgi, url_of

Client = httpx.AsyncClient

APP_URL = "http://testserver.local"
USERS = (
    SandboxUser("sandbox-claire", "claire@example.com", "Claire Dupont"),
    SandboxUser("sandbox-paul", "paul@example.com", "Paul Martin"),
    SandboxUser("sandbox-eve", "eve@example.com", "Eve Morel", email_verified=False),
)
COMPANY = {
    "full_name": "Claire Dupont",
    "organisation_name": "Dupont Menuiserie",
    "siren": "732829320",
}


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    clear_cache()


@pytest.fixture
async def sandbox_issuer() -> AsyncIterator[str]:
    """A sandbox provider on a real port that accepts the test app's callback URL."""
    sock = listening_socket()
    issuer = url_of(sock)
    client = SandboxClient(
        "ponctuel-dev", "ponctuel-dev-secret", redirect_uri_prefixes=(f"{APP_URL}/",)
    )
    async with serve_asgi(create_oidc_sandbox(issuer, USERS, clients=(client,)), sock=sock):
        yield issuer


@pytest.fixture
async def app(settings: Settings, app_clock: Clock, sandbox_issuer: str) -> AsyncIterator[Litestar]:
    """The application configured with the sandbox as its `sandbox` provider."""
    provider = (
        "sandbox",
        f"{sandbox_issuer}/.well-known/openid-configuration",
        "ponctuel-dev",
        "ponctuel-dev-secret",
    )
    configured = dataclasses.replace(settings, oidc_providers=(provider,))
    application = create_app(configured, clock=app_clock)
    async with LifespanManager(application):
        yield application


async def callback_from_provider(client: Client, email: str, *, next_url: str = "") -> str:
    """Start a login in the app, let the provider pick `email`, return the callback path."""
    start_url = "/auth/sandbox/start" + (f"?{urlencode({'next': next_url})}" if next_url else "")
    start = await client.get(start_url, follow_redirects=False)
    assert start.status_code == 303, start.text[:500]
    async with httpx.AsyncClient(timeout=10) as browser:
        answer = await browser.get(
            f"{start.headers['location']}&{urlencode({'login_hint': email})}"
        )
    assert answer.status_code == 302, answer.text[:500]
    callback = urlsplit(answer.headers["location"])
    assert f"{callback.scheme}://{callback.netloc}" == APP_URL
    assert callback.path == "/auth/sandbox/callback"
    return f"{callback.path}?{callback.query}"


async def is_logged_in(client: Client) -> bool:
    response = await client.get("/app", follow_redirects=False)
    return response.status_code == 200


async def test_a_newcomer_signs_up_through_the_provider_and_lands_on_the_dashboard(
    client: Client, sandbox_issuer: str
) -> None:
    callback = await callback_from_provider(client, "claire@example.com")
    form_page = await client.get(callback)
    assert form_page.status_code == 200
    assert str(form_page.url).endswith("/auth/complete")
    assert "claire@example.com" in form_page.text
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
    assert (link.provider, link.subject, link.issuer) == (
        "sandbox",
        "sandbox-claire",
        sandbox_issuer,
    )
    signup = await AuditEvent.objects().get(AuditEvent.action == "signup")
    assert signup is not None and signup.target == "oidc:sandbox"
    login = await AuditEvent.objects().get(AuditEvent.action == "login")
    assert login is not None and login.target == "oidc:sandbox"


async def test_the_signup_form_refuses_an_invalid_siren_in_french(client: Client) -> None:
    await client.get(await callback_from_provider(client, "claire@example.com"))

    response = await post_form(client, "/auth/complete", {**COMPANY, "siren": "123"})

    assert response.status_code == 422
    assert "numéro SIREN n'est pas valide" in response.text
    assert not await User.exists().where(User.email == "claire@example.com")


async def test_the_signup_form_refuses_a_siren_that_already_has_an_account(
    client: Client,
) -> None:
    await make_creditor(email="other@example.com")
    taken = await Organisation.select(Organisation.siren).first()
    assert taken is not None
    await client.get(await callback_from_provider(client, "claire@example.com"))

    response = await post_form(client, "/auth/complete", {**COMPANY, "siren": taken["siren"]})

    assert response.status_code == 422
    assert "demandez à un collègue de vous inviter" in response.text
    assert not await User.exists().where(User.email == "claire@example.com")


async def test_the_signup_form_without_a_provider_login_sends_back_to_the_login_page(
    client: Client,
) -> None:
    page = await client.get("/auth/complete")
    assert str(page.url).endswith("/login")
    assert "Votre inscription a expiré" in page.text

    response = await post_form(client, "/auth/complete", COMPANY)

    assert str(response.url).endswith("/login")
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


async def test_an_existing_password_account_with_the_same_verified_email_gets_linked(
    client: Client,
) -> None:
    user, org = await make_creditor(email="paul@example.com")

    response = await client.get(await callback_from_provider(client, "paul@example.com"))

    assert response.status_code == 200
    assert str(response.url).endswith("/app")
    assert org.name in response.text
    link = await ExternalIdentity.objects().get(ExternalIdentity.subject == "sandbox-paul")
    assert link is not None and link.user == user.id
    linked = await AuditEvent.objects().get(AuditEvent.action == "oidc_linked")
    assert linked is not None and linked.user == user.id and linked.target == "oidc:sandbox"
    assert await User.count() == 1


async def test_an_unconfirmed_password_account_is_not_linked_by_email(client: Client) -> None:
    await make_user(email="paul@example.com", verified=False)

    response = await client.get(await callback_from_provider(client, "paul@example.com"))

    assert response.status_code == 400
    assert "lien de confirmation" in response.text
    assert await ExternalIdentity.count() == 0
    assert not await is_logged_in(client)


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
    client: Client,
) -> None:
    await make_creditor(email="paul@example.com")
    callback = await callback_from_provider(client, "paul@example.com")
    path, query = callback.split("?", 1)
    params = dict(parse_qsl(query))
    params["state"] = "forged-state"

    response = await client.get(f"{path}?{urlencode(params)}")

    assert response.status_code == 400
    assert "La connexion avec Sandbox a échoué. Réessayez." in response.text
    assert not await is_logged_in(client)
    assert await ExternalIdentity.count() == 0
    failed = await AuditEvent.objects().get(AuditEvent.action == "login_failed")
    assert failed is not None and failed.target == "oidc:state_mismatch"
    assert "forged" not in failed.target


async def test_replaying_a_callback_url_is_refused_and_opens_no_session(
    app: Litestar, client: Client
) -> None:
    await make_creditor(email="paul@example.com")
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
    reasons = await AuditEvent.select(AuditEvent.target).where(AuditEvent.action == "login_failed")
    assert [row["target"] for row in reasons] == ["oidc:no_pending_login"] * 2


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
    client: Client,
) -> None:
    await make_creditor(email="paul@example.com")
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
