"""Every page fits its screen: no horizontal scroll on a 390 px phone, and nothing sticks out
of its panel on a 1280 px desktop (a wide table scrolls inside its own box instead)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.browser.checks import overflows
from tests.browser.test_accessibility import APP_PAGES, PUBLIC_PAGES

if TYPE_CHECKING:
    from tests.browser.conftest import Accounts, NewPage

PHONE = {"width": 390, "height": 844}


# At 1280 px, and in both languages, the page watcher already checks every page the
# accessibility sweep opens; here each page is opened on a real 390 px screen.
@pytest.mark.parametrize("viewport", [PHONE], ids=["390px"])
async def test_no_page_scrolls_sideways_or_spills_out_of_a_panel(
    viewport: dict[str, int], new_page: NewPage, accounts: Accounts
) -> None:
    problems = {}
    visitor = await new_page(viewport=viewport)
    for case in PUBLIC_PAGES.values():
        await visitor.goto(case.path)
        problems[case.path] = await overflows(visitor)
    creditor = await new_page(viewport=viewport, storage_state=accounts.storage["fr"])
    for case in APP_PAGES.values():
        await creditor.goto(case.path)
        problems[case.path] = await overflows(creditor)
    assert {path: found for path, found in problems.items() if found} == {}
