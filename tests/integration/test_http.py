"""HTTP behaviour of every route: HEAD, GET at form addresses, private caching, no schema."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from litestar import Litestar

from app.accounts.tables import User
from app.db import bind_engine, engine_for
from app.main import create_app
from app.piccolo_app import ALL_TABLES
from app.settings import Settings
from tests.conftest import make_client
from tests.factories import OPERATOR, PASSWORD, log_in, make_creditor, post_form
from tests.routes import routes_of

Client = httpx.AsyncClient
# Headers that differ between any two responses, whatever the method.
PER_RESPONSE_HEADERS = {"set-cookie", "date"}


@pytest.fixture
async def owner(app: Litestar) -> AsyncIterator[Client]:
    """A client logged in as the owner of an organisation, who passes every guard."""
    await make_creditor(email="owner@example.com")
    async with make_client(app) as owner_client:
        await log_in(owner_client, "owner@example.com")
        yield owner_client


def _comparable(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k not in PER_RESPONSE_HEADERS}


@pytest.mark.parametrize("who", ["visitor", "owner"])
async def test_every_get_route_answers_head_like_get_without_a_body(
    app: Litestar, client: Client, owner: Client, who: str
) -> None:
    browser = owner if who == "owner" else client
    mismatches = []
    for route in routes_of(app, "GET"):
        url = route.url()
        await browser.get(url, follow_redirects=False)  # shows any pending flash message
        get = await browser.get(url, follow_redirects=False)
        head = await browser.head(url, follow_redirects=False)
        if head.status_code != get.status_code or _comparable(head) != _comparable(get):
            mismatches.append(f"{url}: HEAD {head.status_code} {head.headers} != GET {get}")
        elif head.content != b"":
            mismatches.append(f"{url}: HEAD sent a body of {len(head.content)} bytes")
    assert mismatches == []


@pytest.mark.parametrize("who", ["visitor", "owner"])
async def test_every_address_a_form_posts_to_answers_get_with_a_page(
    app: Litestar, client: Client, owner: Client, who: str
) -> None:
    """A failed post leaves its address in the address bar; reloading, bookmarking or typing it
    again must land on a page, never on 405 (nor a 500)."""
    browser = owner if who == "owner" else client
    landed = {}
    for route in routes_of(app, "POST"):
        response = await browser.get(route.url())
        landed[route.path] = (response.status_code, response.url.path)
    refused = {path: answer for path, answer in landed.items() if answer[0] in (405, 500)}
    assert refused == {}
    if who == "owner":  # where the forms of the account and members pages send a reload
        assert landed["/account/password"] == (200, "/account")
        assert landed["/account/2fa/disable"] == (200, "/account")
        assert landed["/app/members/invitations"] == (200, "/app/members")
        assert landed["/app/members/{membership_id:int}/role"] == (200, "/app/members")
        assert landed["/logout"] == (200, "/app")
    else:
        assert landed["/account/password"] == (200, "/login")


async def _sent(app: Litestar, method: str, path: str) -> tuple[dict[str, str], bytes]:
    """Call the application directly, as a server would: the headers and every body byte sent.

    (httpx drops the body of a HEAD response itself, so only this shows what the app sent.)
    """
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver.local")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver.local", 80),
    }
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    await app(scope, receive, send)  # type: ignore[arg-type]
    start = messages[0]
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return {"status": str(start["status"]), **headers}, body


async def test_head_sends_the_get_headers_and_no_body_byte(app: Litestar) -> None:
    get_headers, page = await _sent(app, "GET", "/")
    head_headers, nothing = await _sent(app, "HEAD", "/")
    assert head_headers["status"] == "200" and nothing == b""
    assert head_headers["content-length"] == get_headers["content-length"] == str(len(page))
    assert head_headers["content-type"].startswith("text/html")


async def test_every_page_behind_login_is_not_stored_by_caches(
    app: Litestar, owner: Client
) -> None:
    behind_login = [route for route in routes_of(app, "GET") if route.needs_login]
    assert behind_login, "no route has a guard: the route table was misread"
    stored = []
    for route in behind_login:
        response = await owner.get(route.url(), follow_redirects=False)
        # Past the guard: a page, or the 404 of an example id or provider that does not exist.
        passed = response.status_code < 400 or response.status_code == 404
        assert passed, f"{route.url()}: the owner should pass its guard"
        assert "/login" not in response.headers.get("location", ""), route.url()
        if "no-store" not in response.headers.get("cache-control", ""):
            stored.append(f"{route.url()}: {response.headers.get('cache-control')!r}")
    assert stored == []


async def test_pages_opened_by_a_secret_link_are_not_stored_by_caches(
    app: Litestar, client: Client
) -> None:
    secret_links = [route for route in routes_of(app, "GET") if "token" in route.parameters]
    assert {route.name for route in secret_links} >= {
        "accounts.verify",
        "accounts.reset_password",
        "accounts.invitation",
    }
    for route in secret_links:
        response = await client.get(route.url(), follow_redirects=False)
        assert response.headers.get("cache-control") == "no-store", route.url()


async def test_the_second_factor_page_is_not_stored_by_caches(client: Client) -> None:
    user, _ = await make_creditor(email="owner@example.com")
    await User.update({User.totp_enabled_at: datetime(2026, 1, 1, tzinfo=UTC)}).where(
        User.id == user.id
    )
    response = await post_form(
        client, "/login", {"email": "owner@example.com", "password": PASSWORD}
    )
    assert response.url.path == "/login/2fa" and response.status_code == 200
    assert response.headers["cache-control"] == "no-store"


async def test_a_logged_in_user_gets_no_store_on_public_pages_too_but_static_files_do_not(
    owner: Client,
) -> None:
    assert (await owner.get("/")).headers["cache-control"] == "no-store"
    logout = await post_form(owner, "/logout", {}, follow_redirects=False)
    assert logout.headers["cache-control"] == "no-store"
    await log_in(owner, "owner@example.com")
    static = await owner.get("/static/css/app.css")
    assert static.status_code == 200
    assert "no-store" not in static.headers.get("cache-control", "")


@pytest.mark.parametrize("environment", ["development", "production"])
async def test_only_the_public_api_is_in_the_schema(settings: Settings, environment: str) -> None:
    production = {
        "environment": "production",
        "base_url": "https://ponctuel.example.com",
        "secret_key": "s" * 48,
        "encryption_keys": (("k2026", "A" * 43),),
        "argon2_profile": "rfc9106_low_memory",
        "database_url": "postgresql://ponctuel@127.0.0.1:1/unreachable",
        **OPERATOR,
    }
    chosen = dataclasses.replace(
        settings, **(production if environment == "production" else {"environment": environment})
    )
    app = create_app(chosen)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=chosen.base_url
        ) as visitor:
            for path in ["/schema", "/schema/openapi.json", "/schema/swagger", "/schema/redoc"]:
                response = await visitor.get(path)
                assert response.status_code == 404, path
                assert "Page introuvable" in response.text
            # The JSON schema only: an HTML viewer would load scripts the CSP refuses.
            for path in ["/api/schema/swagger", "/api/schema/redoc", "/api/schema/elements"]:
                assert (await visitor.get(path)).status_code == 404, path
    finally:
        bind_engine(engine_for(settings), ALL_TABLES)
    routes = [*routes_of(app, "GET"), *routes_of(app, "POST")]
    assert sorted(r.name for r in routes if r.handler.resolve_include_in_schema()) == [
        "api.companies",
        "api.company",
    ]
