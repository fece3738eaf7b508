"""Page objects for the pages several browser tests go through.

Locators use roles and the French labels, so a missing label or button name breaks the tests
too. Flows start in French; English is reached through the footer's language selector.
"""

from __future__ import annotations

import re

import pyotp
from playwright.async_api import Locator, Page, expect

from app.clock import SystemClock


class SignupPage:
    def __init__(self, page: Page) -> None:
        self.page = page

    async def goto(self) -> None:
        await self.page.goto("/signup")

    async def sign_up(
        self, *, full_name: str, email: str, organisation: str, siren: str, password: str
    ) -> None:
        page = self.page
        await page.get_by_label("Votre nom", exact=True).fill(full_name)
        await page.get_by_label("Adresse e-mail professionnelle").fill(email)
        await page.get_by_label("Nom de l'entreprise").fill(organisation)
        await page.get_by_label("SIREN", exact=True).fill(siren)
        await page.get_by_label("Mot de passe", exact=True).fill(password)
        await page.get_by_role("button", name="Créer mon compte").click()


class VerifyPage:
    """The page an emailed verification link opens: one confirm button (a POST)."""

    def __init__(self, page: Page) -> None:
        self.page = page

    async def confirm(self, link: str) -> None:
        await self.page.goto(link)
        await self.page.get_by_role("button", name="Confirmer mon adresse").click()


class ClaimFormPage:
    """/claims/new: contest the registration of a SIREN (prefilled from a taken signup)."""

    def __init__(self, page: Page) -> None:
        self.page = page

    async def file(self, *, role: str, explanation: str) -> None:
        page = self.page
        await page.get_by_label("Votre fonction dans l'entreprise").fill(role)
        await page.get_by_label("Pourquoi ce SIREN est celui de votre entreprise").fill(explanation)
        await page.get_by_role("button", name="Envoyer ma demande").click()


class LoginPage:
    def __init__(self, page: Page) -> None:
        self.page = page

    async def goto(self) -> None:
        await self.page.goto("/login")

    async def log_in(self, email: str, password: str) -> None:
        page = self.page
        if not re.search(r"/login(\?|$)", page.url):
            await self.goto()
        await page.get_by_label("Adresse e-mail", exact=True).fill(email)
        await page.get_by_label("Mot de passe", exact=True).fill(password)
        await page.get_by_role("button", name="Se connecter", exact=True).click()


class TwoFactorLoginPage:
    """The login's second step, /login/2fa."""

    def __init__(self, page: Page) -> None:
        self.page = page

    async def enter_code(self, code: str) -> None:
        await expect(self.page).to_have_url(re.compile(r"/login/2fa$"))
        await self.page.get_by_label("Code de vérification").fill(code)
        await self.page.get_by_role("button", name="Vérifier", exact=True).click()


class TotpSetupPage:
    """/account/2fa/setup: read the seed shown as text, answer with a code and the password."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.recovery_codes: Locator = page.get_by_test_id("recovery-codes")

    async def goto(self) -> None:
        await self.page.goto("/account/2fa/setup")

    async def secret(self) -> str:
        text = await self.page.get_by_test_id("totp-secret").inner_text()
        return "".join(text.split())

    async def enable(self, *, password: str) -> str:
        """Turn 2FA on with the current code; returns the seed for computing later codes."""
        secret = await self.secret()
        page = self.page
        await page.get_by_label(re.compile(r"^Code à 6 chiffres")).fill(pyotp.TOTP(secret).now())
        await page.get_by_label("Votre mot de passe", exact=True).fill(password)
        await page.get_by_role("button", name="Activer", exact=True).click()
        return secret


class SiteChrome:
    """What every page has: the footer's language selector, the app header's logout button."""

    def __init__(self, page: Page) -> None:
        self.page = page

    async def choose_language(self, locale: str) -> None:
        """Pick "fr" or "en" in the footer's selector and apply it."""
        footer = self.page.get_by_role("contentinfo")
        selector = footer.get_by_role("combobox", name=re.compile(r"^(Langue|Language)$"))
        await selector.select_option(value=locale)
        await footer.get_by_role("button", name=re.compile(r"^(Changer|Change)$")).click()

    async def log_out(self) -> None:
        await self.page.get_by_role("button", name="Se déconnecter").click()


def next_totp_code(secret: str) -> str:
    """The code of the next time step.

    The server accepts one step of clock drift and refuses a step already used, so this code
    works right after the setup consumed the current step, without waiting 30 seconds.
    """
    code: str = pyotp.TOTP(secret).at(SystemClock().now(), counter_offset=1)
    return code
