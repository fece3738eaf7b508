"""Opening a session gives the browser a new CSRF token; the one from before stops working.

Litestar's CSRF protection is a double-submit cookie: a form is accepted when its token matches
the `csrftoken` cookie. A token planted in the browser or read before the login must not stay
valid once someone is logged in, whichever way they logged in.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit

import httpx
import pyotp
import pytest
from asgi_lifespan import LifespanManager
from litestar import Litestar

from app.accounts import rules
from app.accounts.service.totp import TOTP_PURPOSE
from app.accounts.tables import ExternalIdentity, Invitation, Role, User
from app.clock import Clock
from app.main import create_app
from app.sandbox.oidc import SandboxClient, SandboxUser, create_oidc_sandbox
from app.security import DataKeys
from app.settings import Settings
from tests.factories import PASSWORD, log_in, make_creditor, make_organisation, post_form
from tests.servers import listening_socket, serve_asgi, url_of

Client = httpx.AsyncClient
APP_URL = "http://testserver.local"
AT = datetime(2026, 1, 1, tzinfo=UTC)
CLAIRE = SandboxUser("sandbox-claire", "claire@example.com", "Claire Dupont")


@pytest.fixture
async def sandbox_issuer() -> AsyncIterator[str]:
    sock = listening_socket()
    issuer = url_of(sock)
    client = SandboxClient("ponctuel-dev", "ponctuel-dev-secret", (f"{APP_URL}/",))
    async with serve_asgi(create_oidc_sandbox(issuer, (CLAIRE,), clients=(client,)), sock=sock):
        yield issuer


@pytest.fixture
async def app(settings: Settings, app_clock: Clock, sandbox_issuer: str) -> AsyncIterator[Litestar]:
    discovery = f"{sandbox_issuer}/.well-known/openid-configuration"
    provider = ("sandbox", discovery, "ponctuel-dev", "ponctuel-dev-secret")
    application = create_app(
        dataclasses.replace(settings, oidc_providers=(provider,)), clock=app_clock
    )
    async with LifespanManager(application):
        yield application


async def _token_before(client: Client, path: str = "/") -> str:
    await client.get(path)
    token = client.cookies.get("csrftoken")
    assert token
    return token


async def _assert_rotated(client: Client, before: str) -> None:
    """Logged in, with a new token; a form carrying the old one is refused, the new one works."""
    after = client.cookies.get("csrftoken")
    assert after and after != before, "the CSRF cookie must change when the session opens"
    assert (await client.get("/app", follow_redirects=False)).status_code == 200

    stale = await client.post("/locale", data={"locale": "en", "_csrf_token": before})
    assert stale.status_code == 403
    fresh = await client.post("/locale", data={"locale": "en", "_csrf_token": after})
    assert fresh.status_code == 200 and '<html lang="en">' in fresh.text


async def test_a_password_login_rotates_the_csrf_token(client: Client) -> None:
    await make_creditor(email="owner@example.com")
    before = await _token_before(client, "/login")
    await log_in(client, "owner@example.com")
    await _assert_rotated(client, before)


async def test_the_second_factor_step_rotates_the_csrf_token(
    app: Litestar, client: Client, settings: Settings
) -> None:
    user, _ = await make_creditor(email="owner@example.com")
    secret = pyotp.random_base32()
    sealed = DataKeys(settings.data_keys).encrypt(secret, purpose=TOTP_PURPOSE)
    await User.update({User.totp_secret: sealed, User.totp_enabled_at: AT}).where(
        User.id == user.id
    )
    await post_form(client, "/login", {"email": "owner@example.com", "password": PASSWORD})
    before = await _token_before(client, "/login/2fa")

    code = pyotp.TOTP(secret).at(app.state.clock.now())
    response = await post_form(client, "/login/2fa", {"code": code})

    assert response.url.path == "/app"
    await _assert_rotated(client, before)


async def test_a_provider_login_rotates_the_csrf_token(client: Client, sandbox_issuer: str) -> None:
    user, _ = await make_creditor(email=CLAIRE.email)
    await ExternalIdentity(
        user=user.id,
        provider="sandbox",
        issuer=sandbox_issuer,
        subject=CLAIRE.sub,
        email=CLAIRE.email,
        created_at=AT,
    ).save()
    before = await _token_before(client, "/login")
    start = await client.get("/auth/sandbox/start", follow_redirects=False)
    async with httpx.AsyncClient(timeout=10) as browser:
        answer = await browser.get(
            f"{start.headers['location']}&{urlencode({'login_hint': CLAIRE.email})}"
        )
    callback = urlsplit(answer.headers["location"])

    await client.get(f"{callback.path}?{callback.query}")

    await _assert_rotated(client, before)


async def test_signing_up_from_an_invitation_rotates_the_csrf_token(client: Client) -> None:
    org = await make_organisation()
    secret = rules.new_secret()
    await Invitation(
        organisation=org.id,
        email="invitee@example.com",
        role=Role.MEMBER,
        token_hash=rules.secret_hash(secret),
        expires_at=datetime(2100, 1, 1, tzinfo=UTC),
        created_at=AT,
    ).save()
    before = await _token_before(client, f"/invitations/{secret}")

    response = await post_form(
        client, f"/invitations/{secret}", {"full_name": "Inès Invitée", "password": PASSWORD}
    )

    assert response.url.path == "/app/members"
    await _assert_rotated(client, before)
