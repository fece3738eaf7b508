"""Every form's error state speaks the page's language: no French on an English page, and no
English on a French one, checked against the catalogue itself.

Each form of each page is sent empty (the forms do their own validation, so the browser lets
them through); the visible text of the answer must hold no translated catalogue text of the
other language, and `<html lang>` must name the language the text is in (WCAG 3.1.2). The
pages themselves are checked the same way by the page watcher, as each one loads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.async_api import Page, expect

from tests.browser.checks import foreign_texts

if TYPE_CHECKING:
    from tests.browser.conftest import Accounts, NewPage

VISITOR_PAGES = ["/signup", "/login", "/password/forgot"]
USER_PAGES = ["/account", "/account/2fa/setup", "/app/members", "/claims/new"]


async def submit_each_form_empty(page: Page, path: str, locale: str) -> list[str]:
    """Send every form of the page's main content empty; what was wrong with each answer."""
    await page.goto(path)
    forms = page.locator("main form").filter(has=page.locator("button[type=submit]"))
    problems = []
    for index in range(await forms.count()):
        await page.goto(path)
        form = page.locator("main form").filter(has=page.locator("button[type=submit]")).nth(index)
        if await form.get_attribute("hx-confirm"):
            continue  # a destructive action: test_confirmations covers it
        async with page.expect_response(lambda response: response.request.method == "POST"):
            await form.locator("button[type=submit]").first.click()
        await page.wait_for_load_state("networkidle")
        await expect(page.locator("html")).to_have_attribute("lang", locale)
        found = foreign_texts(await page.locator("body").inner_text(), locale)
        if found:
            problems.append(f"{path}, form {index + 1} ({page.url}): {found}")
    return problems


def test_the_catalogue_check_sees_text_of_the_other_language() -> None:
    assert foreign_texts("Bonjour. Adresse e-mail ou mot de passe incorrect.", "en") == [
        "Adresse e-mail",
        "Adresse e-mail ou mot de passe incorrect.",
        "mot de passe",
    ]
    assert foreign_texts("Incorrect email address or password.", "fr") != []
    assert foreign_texts("Incorrect email address or password.", "en") == []


@pytest.mark.parametrize("locale", ["en", "fr"])
async def test_every_form_error_state_of_a_visitor_speaks_the_page_language(
    locale: str, new_page: NewPage
) -> None:
    page = await new_page(locale)
    problems = [
        p for path in VISITOR_PAGES for p in await submit_each_form_empty(page, path, locale)
    ]
    assert problems == []


@pytest.mark.parametrize("locale", ["en", "fr"])
async def test_every_form_error_state_of_a_creditor_speaks_the_page_language(
    locale: str, new_page: NewPage, accounts: Accounts
) -> None:
    page = await new_page(locale, storage_state=accounts.storage[locale])
    problems = [
        problem
        for path in USER_PAGES
        for problem in await submit_each_form_empty(page, path, locale)
    ]
    assert problems == []
