"""Checks every page a browser test opens must pass: its text is in its own language, and it
fits its screen. The page watcher runs them on each page load; the sweeps run them by address.
"""

from __future__ import annotations

import re
from functools import cache

from babel.messages.pofile import read_po
from playwright.async_api import Page

from app.i18n import TRANSLATIONS_DIR

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")
SHORTEST_CHECKED = 12  # shorter fragments ("Rôle", "SIREN") read the same in both languages


@cache
def catalogue_texts() -> dict[str, frozenset[str]]:
    """Per language, the texts of the catalogue that differ from their translation.

    A message is cut at its placeholders; each piece long enough to be a phrase is kept.
    """
    with (TRANSLATIONS_DIR / "en" / "LC_MESSAGES" / "messages.po").open("rb") as po_file:
        catalog = read_po(po_file, locale="en")
    texts: dict[str, set[str]] = {"fr": set(), "en": set()}
    for message in catalog:
        if not message.id or not message.string or message.id == message.string:
            continue
        french = message.id if isinstance(message.id, tuple) else (message.id,)
        english = message.string if isinstance(message.string, tuple) else (message.string,)
        for locale, forms in (("fr", french), ("en", english)):
            for text in forms:  # singular and plural forms alike
                for piece in PLACEHOLDER.split(text):
                    if len(piece.strip()) >= SHORTEST_CHECKED:
                        texts[locale].add(piece.strip())
    return {locale: frozenset(found) for locale, found in texts.items()}


def foreign_texts(visible: str, locale: str) -> list[str]:
    """The catalogue texts of the other language that appear in `visible`."""
    other = "fr" if locale == "en" else "en"
    mine = catalogue_texts()[locale]
    flat = " ".join(visible.split())
    return sorted(
        text
        for text in catalogue_texts()[other]
        if " ".join(text.split()) in flat and not any(text in own for own in mine)
    )


# What sticks out, per element: the page itself, then every panel and every table box.
OVERFLOWS = """() => {
  const insideAScroller = (element, panel) => {
    for (let up = element.parentElement; up && up !== panel; up = up.parentElement) {
      if (["auto", "scroll"].includes(getComputedStyle(up).overflowX)) return true;
    }
    return false;
  };
  const found = [];
  const page = document.documentElement;
  if (page.scrollWidth > page.clientWidth) {
    found.push(`the page is ${page.scrollWidth} px wide for ${page.clientWidth} px`);
  }
  for (const panel of document.querySelectorAll(".panel, .card")) {
    const box = panel.getBoundingClientRect();
    for (const child of panel.querySelectorAll("*")) {
      const inner = child.getBoundingClientRect();
      if (insideAScroller(child, panel)) continue;  // it scrolls inside its own box
      if (inner.width && (inner.right > box.right + 1 || inner.left < box.left - 1)) {
        found.push(`${child.tagName.toLowerCase()}.${child.className} sticks out of its panel`);
        break;
      }
    }
  }
  return found;
}"""


async def overflows(page: Page) -> list[str]:
    found: list[str] = await page.evaluate(OVERFLOWS)
    return found


async def page_problems(page: Page) -> list[str]:
    """What is wrong with the page now shown: foreign text for its `lang`, or an overflow."""
    locale = await page.locator("html").get_attribute("lang") or ""
    found = (
        [
            f"text in the other language: {text!r}"
            for text in foreign_texts(await page.locator("body").inner_text(), locale)
        ]
        if locale in ("fr", "en")
        else []
    )
    return found + await overflows(page)
