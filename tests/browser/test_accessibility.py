"""Every page passes axe-core with no serious or critical violation, in French and in English.

Anonymous pages get their language from Accept-Language (the context's locale); logged-in
pages from the user's saved choice (made with the footer's language selector).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from playwright.async_api import Browser, Page, expect

from app.demo import DEMO_SIREN
from tests.browser.pages import ClaimFormPage, LoginPage, SignupPage, SiteChrome, VerifyPage

if TYPE_CHECKING:
    from tests.browser.conftest import Accounts, Database, Mailbox, NewPage

Axe = Callable[[Page], Awaitable[None]]
BOTH_LANGUAGES = pytest.mark.parametrize("locale", ["fr", "en"])


@dataclass(frozen=True)
class Case:
    path: str
    status: int = 200


PUBLIC_PAGES = {
    "home": Case("/"),
    "signup": Case("/signup"),
    "signup-sent": Case("/signup/sent"),
    "login": Case("/login"),
    "forgot-password": Case("/password/forgot"),
    "reset-password-invalid-token": Case("/password/reset/ce-lien-n-existe-pas", 400),
    "not-found": Case("/cette-page-n-existe-pas", 404),
    "legal-notice": Case("/mentions-legales"),
    "terms": Case("/conditions-generales"),
    "privacy": Case("/confidentialite"),
    "contact": Case("/contact"),
    "styleguide": Case("/dev/styleguide"),
    "search": Case("/recherche?q=atelier"),
    "search-bad-filter": Case("/recherche?q=atelier&lieu=Lyon", 400),
    "score-method": Case("/indice-de-ponctualite"),
}

APP_PAGES = {
    "dashboard": Case("/app"),
    "account-settings": Case("/account"),
    "account-closure": Case("/account/close"),
    "account-activity": Case("/account/activity"),
    "2fa-setup": Case("/account/2fa/setup"),
    "members": Case("/app/members"),
    "audit": Case("/app/audit"),
    "claims": Case("/claims"),
    "claim-form": Case("/claims/new"),
}
# Pages reached through a journey rather than by address (each has its own test below):
# the "SIREN taken" page after confirming a signup whose SIREN is held, a claim, and the
# administration's claims list and claim page.


async def open_and_check(page: Page, case: Case, locale: str, axe: Axe) -> None:
    response = await page.goto(case.path)
    assert response is not None and response.status == case.status, (
        f"{case.path}: HTTP {response.status if response else None}, expected {case.status}"
    )
    await expect(page).to_have_url(re.compile(re.escape(case.path) + "$"))
    await expect_page_ready(page, locale)
    await axe(page)


async def expect_page_ready(page: Page, locale: str) -> None:
    await expect(page.locator("html")).to_have_attribute("lang", locale)
    await expect(page.get_by_role("heading", level=1)).to_be_visible()


@BOTH_LANGUAGES
@pytest.mark.parametrize("name", list(PUBLIC_PAGES))
async def test_public_page(name: str, locale: str, new_page: NewPage, axe: Axe) -> None:
    page = await new_page(locale)
    await open_and_check(page, PUBLIC_PAGES[name], locale, axe)


@BOTH_LANGUAGES
@pytest.mark.parametrize("name", list(APP_PAGES))
async def test_creditor_page(
    name: str, locale: str, new_page: NewPage, axe: Axe, accounts: Accounts
) -> None:
    page = await new_page(locale, storage_state=accounts.storage[locale])
    await open_and_check(page, APP_PAGES[name], locale, axe)


@BOTH_LANGUAGES
async def test_signup_form_with_errors(locale: str, new_page: NewPage, axe: Axe) -> None:
    page = await new_page(locale)
    await page.goto("/signup")
    await page.locator("main form").get_by_role("button").click()
    await expect(page.locator("[aria-invalid=true]").first).to_be_visible()
    await expect_page_ready(page, locale)
    await axe(page)


@BOTH_LANGUAGES
async def test_dev_outbox_list(
    locale: str, new_page: NewPage, axe: Axe, accounts: Accounts
) -> None:
    page = await new_page(locale)
    await page.goto("/dev/outbox")
    await expect(page.get_by_role("table").get_by_role("link").first).to_be_visible()
    await expect_page_ready(page, locale)
    await axe(page)


@BOTH_LANGUAGES
async def test_dev_outbox_message(
    locale: str, new_page: NewPage, axe: Axe, accounts: Accounts
) -> None:
    page = await new_page(locale)
    await page.goto("/dev/outbox")
    await page.get_by_role("table").get_by_role("link").first.click()
    await expect(page).to_have_url(re.compile(r"/dev/outbox/[\d-]+$"))
    await expect(page.get_by_test_id("email-text")).to_be_visible()
    await expect_page_ready(page, locale)
    await axe(page)


@BOTH_LANGUAGES
async def test_login_second_step(
    locale: str, new_page: NewPage, axe: Axe, accounts: Accounts
) -> None:
    page = await new_page("fr")
    user = accounts.with_totp
    await LoginPage(page).log_in(user.email, user.password)
    await expect(page).to_have_url(re.compile(r"/login/2fa$"))
    if locale == "en":
        await SiteChrome(page).choose_language("en")
        await expect(page).to_have_url(re.compile(r"/login/2fa$"))
    await expect_page_ready(page, locale)
    await axe(page)


async def test_axe_check_reports_a_critical_violation(new_page: NewPage, axe: Axe) -> None:
    page = await new_page()
    await page.goto("/")
    await page.evaluate(
        "() => { const img = document.createElement('img');"
        " img.src = '/static/img/favicon.svg'; document.querySelector('main').append(img); }"
    )
    with pytest.raises(AssertionError, match="image-alt"):
        await axe(page)


@dataclass(frozen=True)
class Latecomer:
    """A newcomer whose SIREN (the demo company's) was taken, who then filed a claim."""

    storage: dict[str, Any]  # logged in
    claim_path: str


@pytest.fixture(scope="session")
async def latecomer(browser: Browser, base_url: str, mailbox: Mailbox) -> AsyncIterator[Latecomer]:
    """Made once: signups are rate-limited per address, like every anonymous form."""
    context = await browser.new_context(base_url=base_url, locale="fr-FR")
    page = await context.new_page()
    email = f"late.comer.{secrets.token_hex(3)}@example.com"
    signup = SignupPage(page)
    await signup.goto()
    await signup.sign_up(
        full_name="Léa Tardive",
        email=email,
        organisation="Atelier Démo (le vrai)",
        siren=DEMO_SIREN,
        password="une phrase de passe assez longue",
    )
    await expect(page).to_have_url(re.compile(r"/signup/sent$"))
    message = await mailbox.wait_for(to=email, subject="Confirmez votre adresse")
    await VerifyPage(page).confirm(mailbox.link(message, "/verify/"))
    await expect(page).to_have_url(re.compile(r"/signup/siren-taken$"))
    await page.get_by_role("link", name="Contester l'inscription").click()
    await expect(page).to_have_url(re.compile(r"/claims/new$"))
    await ClaimFormPage(page).file(
        role="Gérante",
        explanation="Je dirige l'Atelier Démo depuis 2015 ; RCS Lyon, siège rue de la Paix.",
    )
    await expect(page).to_have_url(re.compile(r"/claims/\d+$"))
    claim_path = re.sub(r"^https?://[^/]+", "", page.url)
    storage = dict(await context.storage_state())
    await context.close()
    yield Latecomer(storage=storage, claim_path=claim_path)


async def open_in_language(page: Page, path: str, locale: str) -> None:
    """Open `path` as the logged-in user, switched to `locale` (saved on the user)."""
    await page.goto(path)
    await SiteChrome(page).choose_language(locale)
    await expect(page).to_have_url(re.compile(re.escape(path) + "$"))


@BOTH_LANGUAGES
async def test_siren_taken_page(
    locale: str, new_page: NewPage, latecomer: Latecomer, database: Database, axe: Axe
) -> None:
    page = await new_page(locale, storage_state=latecomer.storage)
    await open_in_language(page, "/signup/siren-taken", locale)
    await expect(page.get_by_test_id("siren-taken")).to_be_visible()
    await expect_page_ready(page, locale)
    await axe(page)
    demo = database.row("SELECT count(*) AS n FROM organisation WHERE siren = ?", DEMO_SIREN)
    assert demo == {"n": 1}, "the demo company keeps its SIREN"


@BOTH_LANGUAGES
async def test_claim_form_with_errors_and_a_filed_claim(
    locale: str, new_page: NewPage, latecomer: Latecomer, database: Database, axe: Axe
) -> None:
    page = await new_page(locale, storage_state=latecomer.storage)
    await open_in_language(page, "/claims/new", locale)
    await page.locator("main form").get_by_role("button").click()
    await expect(page.locator("[aria-invalid=true]").first).to_be_visible()
    await expect_page_ready(page, locale)
    await axe(page)

    await page.goto(latecomer.claim_path)
    await expect(page.get_by_test_id("claim-status")).to_be_visible()
    await expect_page_ready(page, locale)
    await axe(page)
    claim_id = int(latecomer.claim_path.rsplit("/", 1)[1])
    claim = database.row("SELECT siren, status FROM siren_claim WHERE id = ?", claim_id)
    assert claim == {"siren": DEMO_SIREN, "status": "pending"}


@BOTH_LANGUAGES
async def test_admin_claims_list_and_claim_page(
    locale: str,
    new_page: NewPage,
    latecomer: Latecomer,
    axe: Axe,
    platform_admin: dict[str, Any],
) -> None:
    page = await new_page(locale, storage_state=platform_admin)
    await open_in_language(page, "/admin/claims", locale)
    admin_claim = "/admin" + latecomer.claim_path
    await expect(page.locator(f'a[href="{admin_claim}"]')).to_be_visible()
    await expect_page_ready(page, locale)
    await axe(page)

    await page.locator(f'a[href="{admin_claim}"]').click()
    await expect(page).to_have_url(re.compile(re.escape(admin_claim) + "$"))
    await expect(page.get_by_test_id("claim-status")).to_be_visible()
    await expect(page.locator("#field-reason")).to_be_visible()
    await expect_page_ready(page, locale)
    await axe(page)
