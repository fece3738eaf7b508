"""Sign up, log in and link accounts through an OpenID Connect provider (the local sandbox,
over real HTTP)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from playwright.async_api import Page, expect

from tests.browser.conftest import PASSWORD, Database, Mailbox, NewPage
from tests.browser.pages import LoginPage, SignupPage, SiteChrome, VerifyPage

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


async def test_existing_account_links_the_provider_after_its_password(
    new_page: NewPage, axe: Axe, database: Database, mailbox: Mailbox, new_siren: Callable[[], str]
) -> None:
    email = "chloe.sandbox@example.com"  # a sandbox user who also signs up with a password
    page = await new_page("fr")
    signup = SignupPage(page)
    await signup.goto()
    await signup.sign_up(
        full_name="Chloé Lambert",
        email=email,
        organisation="Lambert Conseil",
        siren=new_siren(),
        password=PASSWORD,
    )
    await VerifyPage(page).confirm(Mailbox.link(await mailbox.wait_for(to=email), "/verify/"))
    await expect(page).to_have_url(re.compile(r"/app$"))  # the link logs the new owner in
    user = database.row("SELECT id FROM app_user WHERE email = ?", email)
    assert user is not None
    await SiteChrome(page).log_out()
    await LoginPage(page).goto()

    await page.get_by_role("link", name="Continuer avec Sandbox").click()
    await page.get_by_role("button", name=re.compile("Chloé Lambert")).click()

    await expect(page).to_have_url(re.compile(r"/auth/link$"))
    await expect(page.get_by_role("heading", name="Relier Sandbox à votre compte")).to_be_visible()
    await expect(page.get_by_text(f"utilise déjà l'adresse {email}")).to_be_visible()
    await axe(page)
    assert database.rows("SELECT id FROM external_identity WHERE user = ?", user["id"]) == []
    await page.get_by_label("Mot de passe de votre compte Ponctuel").fill("pas le bon mot de passe")
    await page.get_by_role("button", name="Relier Sandbox et me connecter").click()
    await expect(page.get_by_text("Le mot de passe est incorrect.")).to_be_visible()
    assert database.rows("SELECT id FROM external_identity WHERE user = ?", user["id"]) == []

    await page.get_by_label("Mot de passe de votre compte Ponctuel").fill(PASSWORD)
    await page.get_by_role("button", name="Relier Sandbox et me connecter").click()

    await expect(page).to_have_url(re.compile(r"/app$"))
    await expect(page.get_by_role("heading", name="Lambert Conseil")).to_be_visible()
    identity = database.row(
        "SELECT provider, subject FROM external_identity WHERE user = ?", user["id"]
    )
    assert identity == {"provider": "sandbox", "subject": "sandbox-chloe"}
    notice = await mailbox.wait_for(to=email, subject="Un fournisseur de connexion a été relié")
    assert "Sandbox a été relié à votre compte Ponctuel" in notice.text

    await page.get_by_role("link", name="Mon compte").click()
    providers = page.locator("#providers")
    await expect(providers.get_by_role("cell", name="Sandbox", exact=True)).to_be_visible()
    await axe(page)
    await providers.get_by_role("link", name="Dissocier Sandbox").click()
    await page.get_by_role("button", name="Dissocier Sandbox").click()
    await expect(page).to_have_url(re.compile(r"/account$"))
    await expect(page.get_by_text("Sandbox est dissocié de votre compte.")).to_be_visible()
    assert database.rows("SELECT id FROM external_identity WHERE user = ?", user["id"]) == []
    await mailbox.wait_for(to=email, subject="Un fournisseur de connexion a été retiré")
