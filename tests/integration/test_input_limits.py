"""Hostile input gets a refusal, never a server error, on every form of the application.

The field limits and the control-character refusal of app.forms are checked here through the
real routes: explicit cases for the failures once seen, and a hypothesis search over every
unsafe route of the route table with every declared field name (and a few unknown ones).
"""

from __future__ import annotations

import dataclasses
import importlib
import secrets
from collections.abc import AsyncIterator
from urllib.parse import quote, urlencode

import httpx
import pytest
from asgi_lifespan import LifespanManager
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar import Litestar

from app import limits
from app.accounts.tables import AuditEvent, Membership, Organisation, Role, User
from app.forms import Field
from app.main import create_app
from app.settings import ROOT, Settings
from tests.conftest import make_client
from tests.factories import PASSWORD, log_in, make_creditor, post_form
from tests.routes import Route, routes_of

Client = httpx.AsyncClient
MEGABYTE = 1_000_000
SIGNUP = {
    "full_name": "Claire Dupont",
    "email": "claire@example.com",
    "organisation_name": "Dupont Menuiserie",
    "siren": "732829320",
    "password": PASSWORD,
}


# --- the failures once seen -----------------------------------------------------------------


async def test_a_nul_byte_in_the_login_email_is_a_refused_login(client: Client) -> None:
    """PostgreSQL cannot store a NUL: it used to reach the audit log's insert and give 500."""
    await make_creditor(email="owner@example.com")
    response = await post_form(
        client, "/login", {"email": "owner@example.com\x00", "password": PASSWORD}
    )
    assert response.status_code == 422
    assert "Adresse e-mail ou mot de passe incorrect." in response.text
    [event] = await AuditEvent.select(AuditEvent.action, AuditEvent.actor_email)
    assert event == {"action": "login_failed", "actor_email": ""}


async def test_a_one_megabyte_name_at_signup_is_refused_with_the_field_message(
    client: Client,
) -> None:
    response = await post_form(client, "/signup", {**SIGNUP, "full_name": "a" * MEGABYTE})
    assert response.status_code == 422
    message = f"Ce champ est trop long ({limits.PERSON_NAME} caractères au plus)."
    assert message in response.text
    assert await User.count() == 0 and await Organisation.count() == 0


async def test_a_multipart_form_that_is_not_utf8_is_a_bad_request(client: Client) -> None:
    """Litestar's multipart parser raised UnicodeDecodeError on such bytes: it gave 500."""
    await client.get("/login")
    body, content_type = _encoded(
        {"email": "a\udfffb@example.com", "password": PASSWORD},
        client.cookies["csrftoken"],
        multipart=True,
    )
    response = await client.post("/login", content=body, headers={"content-type": content_type})
    assert response.status_code == 400
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert await AuditEvent.count() == 0


async def test_a_request_body_over_the_limit_is_refused_with_413(client: Client) -> None:
    too_big = "x" * (limits.REQUEST_BODY_BYTES + 1)
    response = await post_form(client, "/signup", {**SIGNUP, "full_name": too_big})
    assert response.status_code == 413
    assert await User.count() == 0
    within = await post_form(client, "/signup", {**SIGNUP, "full_name": "x" * MEGABYTE})
    assert within.status_code == 422, "a body under the limit still reaches the form"


# --- every unsafe route, hostile values -----------------------------------------------------


def declared_field_names() -> list[str]:
    """The name of every `Field` declared in an area's forms.py."""
    names: set[str] = set()
    for path in sorted((ROOT / "app").glob("*/forms.py")):
        module = importlib.import_module(f"app.{path.parent.name}.forms")
        names |= {value.name for value in vars(module).values() if isinstance(value, Field)}
    return sorted(names)


FIELD_NAMES = declared_field_names()
UNKNOWN_NAMES = ["is_platform_admin", "organisation", "user_id", "role[]", "x" * 300]
HOSTILE_VALUES = [
    "\x00",
    "owner@example.com\x00",
    "a\x00" * 1000,
    "\r\n",
    "x\r\nSet-Cookie: planted=1",
    "\x1b[2J\x07\x08\x7f",
    "\u2028\u2029",
    "\u202eevil\u202c",
    "\u2066isolate\u2069",
    "\ufeff\u200b\u200d",
    "\ud800",  # lone surrogates: sent as the bytes a careless encoder would produce
    "a\udfffb",
    "a" * MEGABYTE,
    "é" * (MEGABYTE // 2),
    "🙂" * 100_000,
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢" * 20_000,
    "",
    " ",
    "owner",
    "admin",
    "0",
    "-1",
    "99999999999999999999999",
    "1e309",
    "//evil.example/",
    "/\\evil.example",
    "javascript:alert(1)",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%00%0d%0a",
    "{{ 7 * 7 }}",
]
hostile_text = st.one_of(
    st.sampled_from(HOSTILE_VALUES),
    st.text(max_size=40),
    st.text(st.characters(categories=["Cc", "Cf", "Cs", "Zl", "Zp", "Co"]), max_size=40),
)


def _encoded(fields: dict[str, str], token: str, *, multipart: bool) -> tuple[bytes, str]:
    """The body as bytes, lone surrogates included (surrogatepass), and its content type."""
    pairs = [*fields.items(), ("_csrf_token", token)]
    if not multipart:
        body = urlencode(pairs, quote_via=quote, encoding="utf-8", errors="surrogatepass")
        return body.encode("ascii"), "application/x-www-form-urlencoded"
    boundary = secrets.token_hex(16)
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{quote(name)}"\r\n\r\n'.encode()
        + value.encode("utf-8", errors="surrogatepass")
        + b"\r\n"
        for name, value in pairs
    ]
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), (
        f"multipart/form-data; boundary={boundary}"
    )


@pytest.fixture
async def fuzz_app(settings: Settings) -> AsyncIterator[Litestar]:
    """The app with rate limits out of the way, so every example reaches its handler."""
    application = create_app(dataclasses.replace(settings, login_rate_limit=1_000_000))
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def owner(fuzz_app: Litestar) -> AsyncIterator[tuple[Client, dict[str, str]]]:
    """An owner's browser, and path values that point at objects of their organisation."""
    owner_user, org = await make_creditor(email="owner@example.com")
    member, _ = await make_creditor(role=Role.MEMBER, organisation=org)
    # A colleague no route points at: with it the owner stays the last owner of a company
    # with members, so closing the account is refused whatever the examples remove.
    await make_creditor(role=Role.MEMBER, organisation=org)
    membership = await Membership.objects().get(Membership.user == member.id)
    assert membership is not None
    async with make_client(fuzz_app) as browser:
        await log_in(browser, owner_user.email)
        yield browser, {"membership_id": str(membership.id)}


async def _stay_logged_in(browser: Client) -> None:
    """Some requests log the owner out (logout, a second-factor step without a login)."""
    if (await browser.get("/app", follow_redirects=False)).status_code != 200:
        await log_in(browser, "owner@example.com")


# Plausible values for every declared field, so that one hostile field among valid ones gets
# past the other checks and reaches the services and the database.
BENIGN = {
    "email": "owner@example.com",
    "full_name": "Claire Dupont",
    "organisation_name": "Dupont Menuiserie",
    "siren": "552 100 554",
    "password": PASSWORD,
    "password_confirm": PASSWORD,
    "current_password": PASSWORD,
    "disable_password": PASSWORD,
    "code": "123456",
    "disable_code": "123456",
    "regenerate_code": "123456",
    "role": "admin",
    "organisation_id": "1",
    "locale": "en",
    "next": "/app",
    "claimant_name": "Claire Dupont",
    "claimant_role": "Gérante",
    "explanation": "Je suis la gérante de cette entreprise depuis 2004.",
    "reason": "Kbis vérifié auprès du greffe.",
    "status": "pending",
    "confirm_email": "owner@example.com",
}
# Each one in every field at once: whatever a route reads, it reads this. The long values are
# over the limit of every one-line field (the plain one over every field's), yet the whole body
# stays under the request limit in both encodings (percent-encoding triples a byte), so each
# one reaches the forms instead of a 413.
SWEEP_VALUES = [
    "owner@example.com\x00",
    "x\r\nSet-Cookie: planted=1",
    "\u202eevil\u202c\u2066",
    "a\udfffb",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢" * 200,
    "a" * 20_000,
]


async def _submit(
    browser: Client,
    url: str,
    fields: dict[str, str],
    *,
    multipart: bool = False,
    htmx: bool = False,
) -> httpx.Response:
    await _stay_logged_in(browser)
    body, content_type = _encoded(fields, browser.cookies["csrftoken"], multipart=multipart)
    headers = {"content-type": content_type}
    if htmx:
        headers |= {"hx-request": "true", "hx-target": "members-table"}
    return await browser.post(url, content=body, headers=headers, follow_redirects=False)


def test_the_declared_fields_were_found() -> None:
    assert {"email", "password", "full_name", "siren", "role", "code"} <= set(FIELD_NAMES)
    assert set(FIELD_NAMES) <= set(BENIGN), "give the new field a plausible value in BENIGN"


@pytest.mark.parametrize("multipart", [False, True], ids=["urlencoded", "multipart"])
async def test_every_unsafe_route_survives_a_hostile_value_in_every_field(
    fuzz_app: Litestar, owner: tuple[Client, dict[str, str]], multipart: bool
) -> None:
    browser, path_values = owner
    errors = []
    for route in _unsafe_routes(fuzz_app):
        url = route.url(path_values)
        for value in SWEEP_VALUES:
            fields = dict.fromkeys([*FIELD_NAMES, *UNKNOWN_NAMES], value)
            response = await _submit(browser, url, fields, multipart=multipart)
            assert response.status_code != 413, f"{value[:30]!r} everywhere is over the body limit"
            if response.status_code >= 500:
                errors.append(f"POST {url} with {value[:30]!r} everywhere: {response.status_code}")
    assert errors == []


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(data=st.data())
async def test_hostile_values_on_every_form_give_no_server_error(
    fuzz_app: Litestar, owner: tuple[Client, dict[str, str]], data: st.DataObject
) -> None:
    browser, path_values = owner
    route = data.draw(st.sampled_from(_unsafe_routes(fuzz_app)), label="route")
    names = st.sampled_from([*FIELD_NAMES, *UNKNOWN_NAMES])
    hostile = data.draw(st.dictionaries(names, hostile_text, min_size=1, max_size=4))
    keep_benign = data.draw(st.booleans(), label="other fields valid")
    fields = {**(BENIGN if keep_benign else {}), **hostile}
    multipart = data.draw(st.booleans(), label="multipart")
    htmx = data.draw(st.booleans(), label="htmx")

    url = route.url(path_values)
    response = await _submit(browser, url, fields, multipart=multipart, htmx=htmx)

    assert response.status_code < 500, f"POST {url} answered {response.status_code}"


def _unsafe_routes(app: Litestar) -> list[Route]:
    """Every route that changes something: all of them are POST today."""
    unsafe = routes_of(app, "POST")
    for method in ("PUT", "PATCH", "DELETE"):
        assert not any(
            method in handler.http_methods
            for route in app.routes
            for handler in getattr(route, "route_handlers", [])
        ), f"a {method} route exists: add it to the hostile-input search"
    return unsafe
