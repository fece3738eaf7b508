"""The app wired to a real sandbox OpenID Connect provider on a real port, and a browser's trip.

The app calls the sandbox over HTTP; the browser's visit to the provider is made with a plain
HTTP client, and the provider's redirect back is handed to the app's client.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from asgi_lifespan import LifespanManager
from litestar import Litestar

from app.accounts.tables import ExternalIdentity, User
from app.clock import Clock
from app.main import create_app
from app.sandbox.oidc import SandboxClient, SandboxUser, create_oidc_sandbox
from app.settings import Settings
from tests.servers import listening_socket, serve_asgi, url_of

Client = httpx.AsyncClient

APP_URL = "http://testserver.local"
USERS = (
    SandboxUser("sandbox-claire", "claire@example.com", "Claire Dupont"),
    SandboxUser("sandbox-paul", "paul@example.com", "Paul Martin"),
    SandboxUser("sandbox-eve", "eve@example.com", "Eve Morel", email_verified=False),
    SandboxUser("sandbox-lina", "lina.link@example.com", "Lina Roux"),
)
PENDING_COOKIE = "oidc-pending"


@asynccontextmanager
async def sandbox_provider(clock: Clock | None = None) -> AsyncIterator[str]:
    """Serve a sandbox provider that accepts the test app's callback URL; yields its issuer."""
    async with served_sandbox(clock) as (issuer, _):
        yield issuer


@asynccontextmanager
async def served_sandbox(clock: Clock | None = None) -> AsyncIterator[tuple[str, Litestar]]:
    """The same provider, with its app (whose `state.served` counts the documents fetched)."""
    sock = listening_socket()
    issuer = url_of(sock)
    client = SandboxClient(
        "ponctuel-dev", "ponctuel-dev-secret", redirect_uri_prefixes=(f"{APP_URL}/",)
    )
    sandbox = create_oidc_sandbox(issuer, USERS, clients=(client,), clock=clock)
    async with serve_asgi(sandbox, sock=sock):
        yield issuer, sandbox


@asynccontextmanager
async def app_with_sandbox(
    settings: Settings,
    clock: Clock,
    issuer: str,
    *,
    names: tuple[str, ...] = ("sandbox",),
    **overrides: Any,
) -> AsyncIterator[Litestar]:
    """The application configured with the sandbox as its provider, under each of `names`."""
    providers = tuple(
        (name, f"{issuer}/.well-known/openid-configuration", "ponctuel-dev", "ponctuel-dev-secret")
        for name in names
    )
    configured = dataclasses.replace(settings, oidc_providers=providers, **overrides)
    application = create_app(configured, clock=clock)
    async with LifespanManager(application):
        yield application


async def provider_redirect(
    client: Client, start: httpx.Response, email: str, *, provider: str = "sandbox"
) -> str:
    """Follow the app's redirect to the provider, pick `email`, return the callback path."""
    assert start.status_code == 303, start.text[:500]
    async with httpx.AsyncClient(timeout=10) as browser:
        answer = await browser.get(
            f"{start.headers['location']}&{urlencode({'login_hint': email})}"
        )
    assert answer.status_code == 302, answer.text[:500]
    callback = urlsplit(answer.headers["location"])
    assert f"{callback.scheme}://{callback.netloc}" == APP_URL
    assert callback.path == f"/auth/{provider}/callback"
    return f"{callback.path}?{callback.query}"


async def callback_from_provider(
    client: Client, email: str, *, next_url: str = "", provider: str = "sandbox"
) -> str:
    """Start a login in the app, let the provider pick `email`, return the callback path."""
    query = f"?{urlencode({'next': next_url})}" if next_url else ""
    start = await client.get(f"/auth/{provider}/start{query}", follow_redirects=False)
    return await provider_redirect(client, start, email, provider=provider)


async def is_logged_in(client: Client) -> bool:
    response = await client.get("/app", follow_redirects=False)
    return response.status_code == 200


def issuer_of(app: Litestar) -> str:
    provider = app.state.oidc_providers["sandbox"]
    return str(provider.discovery_url).removesuffix("/.well-known/openid-configuration")


async def link_row(
    app: Litestar, user: User, subject: str, *, email: str = "", provider: str = "sandbox"
) -> ExternalIdentity:
    """An identity of the sandbox already linked to `user`."""
    row = ExternalIdentity(
        user=user.id,
        provider=provider,
        issuer=issuer_of(app),
        subject=subject,
        email=email,
        created_at=datetime(2026, 2, 3, tzinfo=UTC),
    )
    await row.save()
    return row
