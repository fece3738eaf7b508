"""What the legal pages state about the site itself: the cookies it sets and for how long."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.accounts.service.oidc import PENDING_LOGIN_TTL
from app.i18n import LOCALE_COOKIE, LOCALE_COOKIE_MAX_AGE
from app.settings import Settings
from app.web import FLASH_MAX_AGE_SECONDS

TERMS_EFFECTIVE_ON = date(2026, 12, 1)  # change it with every change of the terms' substance


@dataclass(frozen=True)
class SiteCookie:
    name: str
    purpose: str  # a key the privacy page words: session, csrf, flash, oidc, locale
    max_age_seconds: int | None  # None: deleted when the browser closes


def site_cookies(settings: Settings) -> list[SiteCookie]:
    """Every cookie the site sets, all of them strictly necessary (so no consent banner)."""
    return [
        SiteCookie(settings.cookie_name("session"), "session", settings.session_idle_minutes * 60),
        SiteCookie(settings.cookie_name("csrftoken"), "csrf", None),
        SiteCookie(settings.cookie_name("flash"), "flash", FLASH_MAX_AGE_SECONDS),
        SiteCookie(
            settings.cookie_name("oidc-pending"),
            "oidc",
            int(PENDING_LOGIN_TTL.total_seconds()),
        ),
        SiteCookie(LOCALE_COOKIE, "locale", LOCALE_COOKIE_MAX_AGE),
    ]
