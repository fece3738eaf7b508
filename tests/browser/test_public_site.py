"""The public site in a browser: search with and without JavaScript, and company pages.

The stack's demo data (app/dev/demo_companies.py) holds companies at known positions: the best
payer, a sole trader, and a company nobody reported on.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest
from playwright.async_api import Page, expect

from app.dev.demo_companies import BEST, NO_DATA, SOLE_TRADER, demo_siren
from tests.browser.test_accessibility import BOTH_LANGUAGES, Case, open_and_check

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from tests.browser.conftest import Database, NewPage

    Axe = Callable[[Page], Awaitable[None]]


def company(database: Database, position: int) -> dict[str, Any]:
    row = database.row(
        "SELECT siren, name, slug, commune FROM company WHERE siren = ?", demo_siren(position)
    )
    assert row is not None, "the demo companies are seeded"
    return row


async def read_score(page: Page) -> None:
    score = page.get_by_role("region", name=re.compile("^Indice de ponctualité"))
    await expect(score.locator(".score-value")).to_have_text(re.compile(r"^\d{1,3}$"))
    await expect(score.locator(".score-band")).to_have_text("Paie à l'heure")
    chart = page.get_by_role(
        "img", name=re.compile("Indice de ponctualité à la fin de chaque mois")
    )
    await expect(chart).to_be_visible()
    await expect(chart.locator("polyline")).not_to_have_count(0)
    explanation = page.get_by_role("region", name="Sur quoi repose l'indice")
    await expect(explanation.get_by_role("row")).not_to_have_count(1)


async def test_search_as_you_type_then_read_a_company(
    new_page: NewPage, database: Database
) -> None:
    best = company(database, BEST)
    page = await new_page()
    await page.goto("/")
    box = page.get_by_label("Nom, SIREN, SIRET ou n° de TVA")
    await box.press_sequentially(best["name"][:14].lower(), delay=30)
    result = page.locator("#results").get_by_role("link", name=best["name"])
    await expect(result).to_be_visible()
    await expect(page).to_have_url(re.compile(r"/recherche\?q="))  # the results can be shared
    await result.click()
    await expect(page).to_have_url(re.compile(rf"/entreprises/{best['siren']}-{best['slug']}$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text(best["name"])
    await read_score(page)


async def test_search_without_javascript_by_siren_with_spaces(
    new_page: NewPage, database: Database
) -> None:
    best = company(database, BEST)
    page = await new_page(java_script_enabled=False)
    await page.goto("/")
    spaced = f"{best['siren'][:3]} {best['siren'][3:6]} {best['siren'][6:]}"
    await page.get_by_label("Nom, SIREN, SIRET ou n° de TVA").fill(spaced)
    await page.get_by_role("button", name="Rechercher").click()
    await expect(page).to_have_url(re.compile(r"/recherche\?q="))
    await page.get_by_role("link", name=best["name"]).click()
    await read_score(page)


async def test_a_company_without_outcomes_shows_no_number(
    new_page: NewPage, database: Database
) -> None:
    quiet = company(database, NO_DATA)
    page = await new_page()
    await page.goto(f"/entreprises/{quiet['siren']}")
    await expect(page).to_have_url(re.compile(rf"{quiet['siren']}-{quiet['slug']}$"))
    await expect(page.get_by_text("Pas encore de données")).to_be_visible()
    await expect(page.locator(".score-value")).to_have_count(0)
    await expect(page.locator("main")).not_to_contain_text("/100")


async def test_a_sole_trader_shows_its_siren_and_commune_only(
    new_page: NewPage, database: Database
) -> None:
    trader = company(database, SOLE_TRADER)
    page = await new_page()
    await page.goto(f"/entreprises/{trader['siren']}")
    main = page.locator("main")
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"^SIREN \d{3}\s\d{3}\s\d{3}$")
    )
    await expect(main).to_contain_text(trader["commune"])
    await expect(main).to_contain_text("Informations limitées")
    await expect(page.locator(".score-value")).to_have_count(0)
    robots = page.locator('meta[name="robots"]')
    await expect(robots).to_have_attribute("content", re.compile("noindex"))


@BOTH_LANGUAGES
@pytest.mark.parametrize(
    "position", [BEST, NO_DATA, SOLE_TRADER], ids=["scored", "no-data", "sole-trader"]
)
async def test_company_pages_pass_axe(
    position: int, locale: str, new_page: NewPage, database: Database, axe: Axe
) -> None:
    row = company(database, position)
    path = f"/entreprises/{row['siren']}" + (f"-{row['slug']}" if position != SOLE_TRADER else "")
    page = await new_page(locale)
    await open_and_check(page, Case(path), locale, axe)
