"""French-first UI text through Babel catalogues; English available.

Messages are written in French in the code and templates; `translations/en` translates them.
Catalogues are read from their .po files at start-up, so no compile step is needed.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from babel import Locale
from babel.core import UnknownLocaleError
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.dates import format_timedelta as babel_format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency as babel_format_currency
from babel.support import NullTranslations, Translations
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import escape

from app.clock import PARIS
from app.settings import LOCALES, ROOT

SOURCE_LOCALE = "fr"  # the language the UI strings are written in; it needs no catalogue
LOCALE_COOKIE = "lang"
LOCALE_COOKIE_MAX_AGE = 365 * 24 * 3600  # seconds: the chosen language is kept for a year
TRANSLATIONS_DIR = ROOT / "app" / "translations"


@cache
def translations(locale: str) -> NullTranslations:
    """The catalogue of a locale; French is the source language and needs none."""
    po_path = TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po"
    if locale == SOURCE_LOCALE or not po_path.exists():
        return NullTranslations()
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def negotiate(
    *,
    user_locale: str | None,
    cookie_locale: str | None,
    accept_language: str | None,
    default: str = SOURCE_LOCALE,
) -> str:
    """The user's setting first, then the language cookie, then Accept-Language, then `default`."""
    for candidate in (user_locale, cookie_locale):
        if candidate in LOCALES:
            return str(candidate)
    preferred = _preferred_tags(accept_language)
    if preferred:
        try:
            chosen = Locale.negotiate(preferred, LOCALES, sep="_")
        except (UnknownLocaleError, ValueError):
            chosen = None
        if chosen is not None:
            return chosen.language
    return default


def _preferred_tags(accept_language: str | None) -> list[str]:
    """The language tags of an Accept-Language header, most wanted first (as `en_GB`)."""
    weighted = []
    for part in (accept_language or "").split(","):
        tag, _, quality = part.strip().partition(";q=")
        try:
            weight = float(quality) if quality else 1.0
        except ValueError:
            weight = 0.0
        if tag.strip():
            weighted.append((weight, tag.strip().replace("-", "_")))
    weighted.sort(key=lambda item: -item[0])
    return [tag for _, tag in weighted]


# The region whose conventions (dates, numbers) a language is written with when the browser
# names none: Ponctuel's users are in Europe.
DEFAULT_REGIONS = {"fr": "fr_FR", "en": "en_GB"}


def formatting_locale(language: str, accept_language: str | None) -> str:
    """How dates and amounts are written: in the UI language, with the region the browser asks
    for first in that language (en-US gets US dates, en-GB British ones), else its usual one."""
    for tag in _preferred_tags(accept_language):
        try:
            parsed = Locale.parse(tag, sep="_")
        except (UnknownLocaleError, ValueError):
            continue
        if parsed.language == language and parsed.territory:
            return f"{parsed.language}_{parsed.territory}"
    return DEFAULT_REGIONS.get(language, language)


def gettext(locale: str, message: str, **variables: Any) -> str:
    """The message in `locale`, placeholders filled (a `Text` brings its own values)."""
    variables = {**getattr(message, "params", {}), **variables}
    text = translations(locale).gettext(message)
    return text % variables if variables else text


def ngettext(locale: str, singular: str, plural: str, n: int, **variables: Any) -> str:
    text = translations(locale).ngettext(singular, plural, n)
    return text % {"num": n, **variables}


def _context_locale(context: Context | Mapping[str, Any]) -> str:
    locale = context.get("locale")
    if locale:
        return str(locale)
    request = context.get("request")
    if request is not None:
        return str(getattr(request.state, "locale", SOURCE_LOCALE))
    return SOURCE_LOCALE


@pass_context
def _jinja_gettext(context: Context, message: str, **variables: Any) -> str:
    """Jinja's `_()`: Jinja itself fills the placeholders, unless the message is a `Text`.

    A `Text` is filled here, its values escaped as Jinja would, and the `%` signs of the result
    are doubled so that Jinja's own formatting pass leaves it as it is.
    """
    locale = _context_locale(context)
    params: dict[str, object] | None = getattr(message, "params", None)
    if not params:
        return str(translations(locale).gettext(message))
    if context.eval_ctx.autoescape:
        params = {name: escape(value) for name, value in params.items()}
    filled = str(translations(locale).gettext(message)) % params
    return filled.replace("%", "%%")


@pass_context
def _jinja_ngettext(context: Context, singular: str, plural: str, n: int, **variables: Any) -> str:
    return ngettext(_context_locale(context), singular, plural, n, **variables)


def _formatting_locale(context: Context) -> str:
    """The locale of dates and amounts: the one `render` found, else the language's region."""
    found = context.get("format_locale")
    if found:
        return str(found)
    return formatting_locale(_context_locale(context), None)


@pass_context
def format_date(context: Context, value: date | datetime, fmt: str = "long") -> str:
    if isinstance(value, datetime):
        value = value.astimezone(PARIS).date()
    return str(babel_format_date(value, fmt, locale=_formatting_locale(context)))


@pass_context
def format_datetime(context: Context, value: datetime, fmt: str = "medium") -> str:
    return str(babel_format_datetime(value, fmt, tzinfo=PARIS, locale=_formatting_locale(context)))


@pass_context
def format_duration(context: Context, seconds: int) -> str:
    """A length of time in words, rounded to its largest unit: "2 heures", "1 year"."""
    return str(
        babel_format_timedelta(timedelta(seconds=seconds), locale=_formatting_locale(context))
    )


@pass_context
def format_money(context: Context, cents: int | Decimal) -> str:
    """Cents as euros; a Decimal may carry fractions of a cent (a unit price)."""
    amount = Decimal(cents) / 100
    return str(babel_format_currency(amount, "EUR", locale=_formatting_locale(context)))


JINJA_FILTERS: dict[str, Callable[..., str]] = {
    "date": format_date,
    "datetime": format_datetime,
    "money": format_money,
    "duration": format_duration,
}
JINJA_GETTEXT = (_jinja_gettext, _jinja_ngettext)
