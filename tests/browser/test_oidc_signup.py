"""Sign up and log in through an OpenID Connect provider (the local sandbox, over real HTTP)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from playwright.async_api import Page, expect

from tests.browser.conftest import Database, NewPage

Axe = Callable[[Page], Awaitable[None]]


async def test_new_creditor_signs_up_with_a_provider_and_comes_back(
    new_page: NewPage, axe: Axe, database: Database
) -> None:
    page = await new_page("fr")
    await page.goto("/signup")
    await page.get_by_role("link", name="Continuer avec Sandbox").click()

    # The sandbox provider's own page: choose who logs in.
    await page.get_by_role("button", name=re.compile("Bob Durand")).click()

    await expect(page).to_have_url(re.compile(r"/auth/complete$"))
    await expect(page.get_by_label("Votre nom")).to_have_value("Bob Durand")
    await axe(page)
    await page.get_by_label("Nom de l'entreprise").fill("Durand Transports")
    await page.get_by_label("SIREN").fill("552 100 554")
    await page.get_by_role("button", name=re.compile("Créer")).click()

    await expect(page).to_have_url(re.compile(r"/app$"))
    await expect(page.get_by_role("heading", name="Durand Transports")).to_be_visible()
    user = database.row(
        "SELECT id, password_hash FROM app_user WHERE email = ?", "bob@example.test"
    )
    assert user is not None and user["password_hash"] is None
    identity = database.row("SELECT provider FROM external_identity WHERE user = ?", user["id"])
    assert identity == {"provider": "sandbox"}

    await page.get_by_role("button", name="Se déconnecter").click()
    await page.goto("/login")
    await page.get_by_role("link", name="Continuer avec Sandbox").click()
    await page.get_by_role("button", name=re.compile("Bob Durand")).click()
    await expect(page).to_have_url(re.compile(r"/app$"))
    await expect(page.get_by_role("heading", name="Durand Transports")).to_be_visible()
