"""The acceptance journey of a new creditor, through the real web, worker, Redis and SMTP.

Sign up, confirm the address from the emailed link, log in, invite a colleague (who joins
from the invitation email), turn on two-factor authentication, log out, log back in with
password and code, land on the dashboard. The database is checked after each important step.
"""

from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING

import pyotp
from playwright.async_api import Page, expect

from tests.browser.pages import (
    LoginPage,
    SignupPage,
    SiteChrome,
    TotpSetupPage,
    TwoFactorLoginPage,
    VerifyPage,
    next_totp_code,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from tests.browser.conftest import Database, Mailbox, NewPage

PASSWORD = "les relances partent toutes seules"
COLLEAGUE_PASSWORD = "un autre mot de passe bien long"


async def test_new_creditor_signs_up_invites_a_colleague_and_secures_the_account(
    page: Page,
    new_page: NewPage,
    mailbox: Mailbox,
    database: Database,
    axe: Callable[[Page], Awaitable[None]],
    new_siren: Callable[[], str],
) -> None:
    run = secrets.token_hex(3)
    email = f"claire.martin.{run}@example.com"
    colleague = f"hugo.bernard.{run}@example.com"
    siren = new_siren()

    # Sign up from the home page.
    await page.goto("/")
    await page.get_by_role("main").get_by_role("link", name="Créer un compte gratuit").click()
    await SignupPage(page).sign_up(
        full_name="Claire Martin",
        email=email,
        organisation="Menuiserie Martin",
        siren=siren,
        password=PASSWORD,
    )
    await expect(page).to_have_url(re.compile(r"/signup/sent$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Vérifiez votre boîte mail")
    assert database.row("SELECT id FROM app_user WHERE email = ?", email) is None
    assert database.row("SELECT id FROM organisation WHERE siren = ?", siren) is None
    pending = database.row("SELECT siren FROM signup_request WHERE email = ?", email)
    assert pending == {"siren": siren}, "nothing is reserved before the address is confirmed"

    # The worker delivers the verification email through SMTP; its link creates the account
    # and the company, and logs the new owner in.
    message = await mailbox.wait_for(to=email, subject="Confirmez votre adresse")
    await VerifyPage(page).confirm(mailbox.link(message, "/verify/"))
    await expect(page).to_have_url(re.compile(r"/app$"))
    confirmed = page.get_by_role("status").filter(has_text="Votre adresse e-mail est confirmée")
    await expect(confirmed).to_be_visible()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Claire Martin")
    user = database.row("SELECT id, email_verified_at FROM app_user WHERE email = ?", email)
    assert user is not None and user["email_verified_at"] is not None
    owner = database.row(
        "SELECT m.role FROM membership m JOIN organisation o ON o.id = m.organisation "
        "WHERE m.user = ? AND o.siren = ?",
        user["id"],
        siren,
    )
    assert owner == {"role": "owner"}

    # Invite a colleague from the members page (the form is posted by htmx).
    await page.get_by_role("navigation").get_by_role("link", name="Membres", exact=True).click()
    await expect(page).to_have_url(re.compile(r"/app/members$"))
    invite = page.get_by_role("region", name="Inviter un collègue")
    await invite.get_by_label("Adresse e-mail", exact=True).fill(colleague)
    await invite.get_by_label("Rôle", exact=True).select_option(label="Membre")
    await invite.get_by_role("button", name="Envoyer l'invitation").click()
    sent = page.get_by_role("status").filter(has_text="L'invitation a été envoyée.")
    await expect(sent).to_be_visible()
    pending = page.get_by_role("region", name="Invitations en attente")
    await expect(pending.get_by_role("cell", name=colleague, exact=True)).to_be_visible()
    invitation = database.row(
        "SELECT i.role, i.accepted_at, i.revoked_at FROM invitation i "
        "JOIN organisation o ON o.id = i.organisation WHERE i.email = ? AND o.siren = ?",
        colleague,
        siren,
    )
    assert invitation == {"role": "member", "accepted_at": None, "revoked_at": None}

    # The colleague receives the invitation and joins with a name and a password.
    invitation_mail = await mailbox.wait_for(to=colleague, subject="invité")
    assert "Menuiserie Martin" in invitation_mail.text
    guest = await new_page()
    await guest.goto(mailbox.link(invitation_mail, "/invitations/"))
    await expect(guest.get_by_role("main")).to_contain_text("Menuiserie Martin")
    await axe(guest)
    await guest.get_by_label("Votre nom", exact=True).fill("Hugo Bernard")
    await guest.get_by_label("Mot de passe", exact=True).fill(COLLEAGUE_PASSWORD)
    await guest.get_by_role("button", name=re.compile(r"^Créer mon compte et rejoindre")).click()
    await expect(guest).to_have_url(re.compile(r"/app/members$"))
    await expect(guest.get_by_role("status").filter(has_text="Bienvenue")).to_be_visible()
    joined = database.row(
        "SELECT m.role, u.email_verified_at FROM membership m "
        "JOIN app_user u ON u.id = m.user JOIN organisation o ON o.id = m.organisation "
        "WHERE u.email = ? AND o.siren = ?",
        colleague,
        siren,
    )
    assert joined is not None and joined["role"] == "member"
    assert joined["email_verified_at"] is not None
    accepted = database.row("SELECT accepted_at FROM invitation WHERE email = ?", colleague)
    assert accepted is not None and accepted["accepted_at"] is not None

    # Turn on two-factor authentication from the account page.
    await page.get_by_role("link", name="Mon compte").click()
    await page.get_by_role("link", name="Activer la double authentification").click()
    await expect(page).to_have_url(re.compile(r"/account/2fa/setup$"))
    await expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    setup = TotpSetupPage(page)
    secret = await setup.enable(password=PASSWORD)
    await expect(setup.recovery_codes.get_by_role("listitem")).to_have_count(10)
    await axe(page)
    secured = database.row(
        "SELECT totp_secret, totp_enabled_at FROM app_user WHERE email = ?", email
    )
    assert secured is not None and secured["totp_enabled_at"] is not None
    assert secret not in secured["totp_secret"], "the seed is stored encrypted"
    assert pyotp.TOTP(secret).byte_secret()  # a valid base32 seed was shown

    # Log out, then log back in: the password alone is not enough any more.
    await SiteChrome(page).log_out()
    await expect(page).to_have_url(re.compile(r"/$"))
    await page.goto("/app")
    await expect(page).to_have_url(re.compile(r"/login\?next=/app$"))
    await LoginPage(page).log_in(email, PASSWORD)
    await expect(page).to_have_url(re.compile(r"/login/2fa$"))
    await page.goto("/app")
    await expect(page).to_have_url(re.compile(r"/login"))  # no session before the code

    await LoginPage(page).log_in(email, PASSWORD)
    await TwoFactorLoginPage(page).enter_code(next_totp_code(secret))
    await expect(page).to_have_url(re.compile(r"/app$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Claire Martin")

    logins = database.rows(
        "SELECT e.action, e.target FROM audit_event e JOIN app_user u ON u.id = e.user "
        "WHERE u.email = ? AND e.action IN ('login', 'totp_enabled') ORDER BY e.id",
        email,
    )
    assert [row["action"] for row in logins] == ["login", "totp_enabled", "login"]
    last_step = database.row("SELECT totp_last_step FROM app_user WHERE email = ?", email)
    assert last_step is not None and last_step["totp_last_step"] > 0
