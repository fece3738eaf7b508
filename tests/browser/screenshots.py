"""`make screenshots`: every page at 1280 px and 390 px, in French and in English, as PNG files
in var/screenshots/ (not committed), so the whole product can be looked at in one place.

Not part of the suite (the file name does not start with test_): the Makefile passes it to
pytest explicitly, which reuses the browser tier's stack and accounts. Each page must answer
with its expected status, so a broken page fails the run instead of leaving a blank picture.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from app.settings import ROOT
from tests.browser.test_accessibility import APP_PAGES, PUBLIC_PAGES

if TYPE_CHECKING:
    from tests.browser.conftest import Accounts, NewPage

OUTPUT = Path(os.environ.get("SCREENSHOTS_DIR", ROOT / "var" / "screenshots"))
WIDTHS = {"desktop": 1280, "phone": 390}


@pytest.fixture
def output() -> Path:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT


async def test_every_page_is_photographed(
    new_page: NewPage, accounts: Accounts, output: Path
) -> None:
    taken = 0
    for locale in ("fr", "en"):
        for device, width in WIDTHS.items():
            viewport = {"width": width, "height": 900}
            visitor = await new_page(locale, viewport=viewport)
            creditor = await new_page(
                locale, viewport=viewport, storage_state=accounts.storage[locale]
            )
            for pages, browser in ((PUBLIC_PAGES, visitor), (APP_PAGES, creditor)):
                for name, case in pages.items():
                    response = await browser.goto(case.path)
                    assert response is not None and response.status == case.status, case.path
                    picture = await browser.screenshot(full_page=True)
                    assert picture, case.path
                    path = output / f"{name}.{locale}.{device}.png"
                    await asyncio.to_thread(path.write_bytes, picture)
                    taken += 1
    print(f"\n{taken} screenshots in {output}")
