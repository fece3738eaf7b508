"""Every page passes axe-core with no serious or critical violation, in French and in English.

Anonymous pages get their language from Accept-Language (the context's locale); logged-in
pages from the user's saved choice (made with the footer's language selector).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from playwright.async_api import Page, expect

from tests.browser.pages import LoginPage, SiteChrome

if TYPE_CHECKING:
    from tests.browser.conftest import Accounts, NewPage

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
}

APP_PAGES = {
    "dashboard": Case("/app"),
    "account-settings": Case("/account"),
    "2fa-setup": Case("/account/2fa/setup"),
    "members": Case("/app/members"),
    "audit": Case("/app/audit"),
}


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
