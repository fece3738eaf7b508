"""The legal pages: what they say comes from the settings and from the code itself.

The operator's details are settings, so the notices follow them; the cookie table is checked
against the cookies the site really sets along a visitor's and a creditor's way through it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from litestar import Litestar

from app.clock import FixedClock
from app.main import create_app
from app.settings import Settings
from tests.conftest import make_client
from tests.factories import OPERATOR, definitions, log_in, make_creditor, post_form, table_rows
from tests.oidc_sandbox import app_with_sandbox, sandbox_provider

LEGAL_PAGES = ("/mentions-legales", "/conditions-generales", "/confidentialite", "/contact")


@pytest.fixture
async def operated_app(settings: Settings) -> AsyncIterator[Litestar]:
    application = create_app(dataclasses.replace(settings, **OPERATOR))  # type: ignore[arg-type]
    async with LifespanManager(application):
        yield application


async def test_the_legal_notice_names_the_operator_its_director_and_its_host(
    operated_app: Litestar,
) -> None:
    async with make_client(operated_app) as visitor:
        page = await visitor.get("/mentions-legales")
    facts = definitions(page.text)
    assert facts["Siège social"] == "2 place du Marché, 69001 Lyon"
    assert facts["Numéro de TVA intracommunautaire"] == "FR68900000001"
    assert facts["Directeur de la publication"] == "Alex Dupont, président"
    assert facts["Téléphone"] == "04 00 00 00 00"
    assert "Relances Rapides SAS, société par actions simplifiée" in page.text
    assert "sous le numéro 900\u00a0000\u00a0001" in page.text
    assert "Fly.io, Inc." in page.text
    assert 'data-testid="example-operator"' not in page.text


async def test_with_the_example_operator_every_legal_page_says_so(
    client: httpx.AsyncClient,
) -> None:
    for path in LEGAL_PAGES:
        page = await client.get(path)
        assert page.status_code == 200, path
        assert 'data-testid="example-operator"' in page.text, path


async def test_every_page_links_the_four_legal_pages_in_its_footer(
    client: httpx.AsyncClient,
) -> None:
    await make_creditor(email="owner@example.com")
    anonymous = [await client.get(path) for path in ("/", "/login", "/page-inconnue")]
    await log_in(client, "owner@example.com")
    logged_in = [await client.get(path) for path in ("/app", "/account", "/page-inconnue")]
    for page in anonymous + logged_in:
        footer = page.text.split('<footer class="site-footer">', 1)[1]
        for path in LEGAL_PAGES:
            assert f'href="{path}"' in footer, (page.url, path)


async def test_the_price_on_the_terms_comes_from_the_settings(settings: Settings) -> None:
    priced = dataclasses.replace(
        settings, signup_free_tokens=35, token_pack_size=50, token_pack_price_cents=2990
    )
    application = create_app(priced)
    async with LifespanManager(application), make_client(application) as visitor:
        page = await visitor.get("/conditions-generales")
    assert "35 jetons sont offerts à l'ouverture du compte." in page.text
    assert "par lots de 50 au prix de 29,90\u00a0€ HT" in page.text


def _cookie_names(response: httpx.Response) -> set[str]:
    return {
        value.split("=", 1)[0]
        for header, value in response.headers.multi_items()
        if header == "set-cookie"
    }


async def test_the_privacy_page_describes_every_cookie_the_site_sets(
    settings: Settings, clock: FixedClock
) -> None:
    seen: set[str] = set()
    async with (
        sandbox_provider(clock) as issuer,
        app_with_sandbox(settings, clock, issuer) as application,
        make_client(application) as visitor,
    ):
        await make_creditor(email="owner@example.com")
        for response in [
            await visitor.get("/"),
            await visitor.get("/auth/sandbox/start", follow_redirects=False),
            await visitor.get("/login/2fa"),  # an expired second step: a flash message
            await post_form(visitor, "/login", {"email": "owner@example.com", "password": "x"}),
            await log_in(visitor, "owner@example.com"),
            await post_form(visitor, "/locale", {"locale": "en", "next": "/app"}),
            await post_form(visitor, "/logout", {}),
        ]:
            seen |= _cookie_names(response)
            for previous in response.history:
                seen |= _cookie_names(previous)
        privacy = await visitor.get("/confidentialite", headers={"accept-language": "fr"})
    described = {row[0]: row for row in table_rows(privacy.text.split('data-testid="cookies"')[1])}
    assert {"session", "csrftoken", "flash", "oidc-pending", "lang"} <= seen
    assert seen <= set(described), f"cookies set but not described: {seen - set(described)}"
    assert described["session"][2] == "2 hours"
