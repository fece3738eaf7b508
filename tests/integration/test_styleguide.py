"""The development style guide shows every macro, so later pages are built from the same parts."""

from __future__ import annotations

import re

import httpx

from app.settings import ROOT
from tests.factories import table_rows

MACROS = ROOT / "templates" / "macros"
STYLEGUIDE = ROOT / "templates" / "dev" / "styleguide.html"


def test_every_macro_of_the_macro_files_is_shown_on_the_style_guide() -> None:
    shown = STYLEGUIDE.read_text()
    defined = [
        name
        for path in sorted(MACROS.glob("*.html"))
        for name in re.findall(r"^\{% macro (\w+)\(", path.read_text(), re.M)
    ]
    assert len(defined) >= 15
    missing = [name for name in defined if not re.search(rf"\b{name}\(", shown)]
    assert missing == [], f"add these macros to templates/dev/styleguide.html: {missing}"


async def test_the_style_guide_renders_each_token_and_each_score_band(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/dev/styleguide")
    assert page.status_code == 200
    css = (ROOT / "static" / "css" / "app.css").read_text()
    for token in re.findall(r"^\s+--(color-[\w-]+):", css, re.M):
        assert f"<code>--{token}</code>" in page.text, token
    for band in ("Paie à l'heure", "Retards légers", "Retards fréquents", "Retards graves"):
        assert band in page.text, band
    assert "Pas encore de données" in page.text
    assert table_rows(page.text)[-3][2:4] == ["Connexion", "mot de passe + code de l'application"]
