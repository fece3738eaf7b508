"""Locale choice and the English catalogue."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from babel.messages.pofile import read_po

from app.i18n import TRANSLATIONS_DIR, formatting_locale, gettext, negotiate
from app.settings import ROOT

TEMPLATES = ROOT / "templates"


@pytest.mark.parametrize(
    ("user", "cookie", "header", "expected"),
    [
        ("en", "fr", "fr-FR", "en"),
        (None, "en", "fr-FR", "en"),
        (None, None, "en-GB,en;q=0.9", "en"),
        (None, None, "de-DE,en;q=0.5,fr;q=0.8", "fr"),
        (None, None, "de-DE", "fr"),
        (None, None, None, "fr"),
        (None, "xx", "garbage;;q=abc", "fr"),
    ],
)
def test_locale_is_user_then_cookie_then_header_then_french(
    user: str | None, cookie: str | None, header: str | None, expected: str
) -> None:
    assert negotiate(user_locale=user, cookie_locale=cookie, accept_language=header) == expected


@pytest.mark.parametrize(
    ("language", "header", "expected"),
    [
        ("en", "en-GB,en;q=0.9", "en_GB"),
        ("en", "en-US,en;q=0.9", "en_US"),
        ("en", "fr-FR,en-AU;q=0.5", "en_AU"),  # the first region given for the UI language
        ("en", "en", "en_GB"),  # no region: the usual one here
        ("en", None, "en_GB"),
        ("fr", "fr-CA", "fr_CA"),
        ("fr", "en-US", "fr_FR"),  # a user who chose French, in a US browser
        ("fr", "xx-YY;q=abc, ;", "fr_FR"),
    ],
)
def test_dates_and_amounts_follow_the_region_the_browser_asks_for_in_the_ui_language(
    language: str, header: str | None, expected: str
) -> None:
    assert formatting_locale(language, header) == expected


def test_french_is_the_source_language() -> None:
    assert gettext("fr", "Se connecter") == "Se connecter"
    assert gettext("en", "Se connecter") == "Log in"


def test_every_ui_string_has_an_english_translation(tmp_path) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "-k",
            "_",
            "-o",
            str(pot),
            "--no-location",
            "--omit-header",
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as handle:
        extracted = {m.id for m in read_po(handle) if m.id}
    with (TRANSLATIONS_DIR / "en" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = {m.id: m.string for m in read_po(handle) if m.id}
    missing = sorted(str(i) for i in extracted if not catalogue.get(i))
    assert not missing, "untranslated strings (run `make messages`):\n" + "\n".join(missing)


def test_every_macro_import_passes_the_page_context() -> None:
    """Without `with context`, `_()` inside an imported macro cannot see the page's language
    and every message it renders (field errors, badges) stays in French."""
    imports = re.compile(r"{%-?\s*(?:from|import)\s[^%]*%}")
    missing = [
        f"{path.relative_to(TEMPLATES)}: {statement}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for statement in imports.findall(path.read_text(encoding="utf-8"))
        if "with context" not in statement
    ]
    assert missing == []
