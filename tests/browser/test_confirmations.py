"""Destructive actions ask first, and a dismissed question changes nothing: with JavaScript
(htmx's confirmation dialog) and without (a confirmation page whose own button posts).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from playwright.async_api import Browser, Dialog, Page, Request, expect

from tests.browser.conftest import LOCALES, PASSWORD, Account, create_account
from tests.browser.pages import LoginPage

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from tests.browser.conftest import Database, Mailbox, NewPage


@dataclass
class Team:
    owner: Page  # the owner, on the members page
    colleague: Page  # the colleague, who just joined
    colleague_email: str
    organisation_id: int


async def _invite(page: Page, email: str) -> None:
    invite = page.get_by_role("region", name="Inviter un collègue")
    await invite.get_by_label("Adresse e-mail", exact=True).fill(email)
    await invite.get_by_role("button", name="Envoyer l'invitation").click()
    sent = page.get_by_role("status").filter(has_text="L'invitation a été envoyée.")
    await expect(sent).to_be_visible()


@pytest.fixture(scope="module")
async def owner_account(browser: Browser, base_url: str, mailbox: Mailbox) -> Account:
    """One owner for the whole module: signups are rate-limited per address."""
    context = await browser.new_context(base_url=base_url, locale=LOCALES["fr"])

    async def open_page(locale: str = "fr") -> Page:
        return await context.new_page()

    try:
        return await create_account(open_page, mailbox, name="Olivia Owner")
    finally:
        await context.close()


async def _team(
    new_page: NewPage,
    mailbox: Mailbox,
    database: Database,
    account: Account,
    *,
    java_script: bool,
) -> Team:
    """The owner and a new colleague who joined from the invitation email, each in a browser."""
    owner = await new_page(java_script_enabled=java_script)
    await LoginPage(owner).log_in(account.email, account.password)
    await expect(owner).to_have_url(re.compile(r"/app$"))
    await owner.goto("/app/members")
    colleague_email = f"colin.colleague.{secrets.token_hex(3)}@example.com"
    await _invite(owner, colleague_email)

    message = await mailbox.wait_for(to=colleague_email, subject="invité")
    colleague = await new_page(java_script_enabled=java_script)
    await colleague.goto(mailbox.link(message, "/invitations/"))
    await colleague.get_by_label("Votre nom", exact=True).fill("Colin Colleague")
    await colleague.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    await colleague.get_by_role(
        "button", name=re.compile(r"^Créer mon compte et rejoindre")
    ).click()
    await expect(colleague).to_have_url(re.compile(r"/app/members$"))
    await owner.reload()
    organisation = database.row(
        "SELECT m.organisation FROM membership m JOIN app_user u ON u.id = m.user "
        "WHERE u.email = ?",
        account.email,
    )
    assert organisation is not None
    return Team(owner, colleague, colleague_email, organisation["organisation"])


def _is_member(database: Database, email: str, organisation_id: int) -> bool:
    row = database.row(
        "SELECT m.id FROM membership m JOIN app_user u ON u.id = m.user "
        "WHERE u.email = ? AND m.organisation = ?",
        email,
        organisation_id,
    )
    return row is not None


class Dialogs:
    """Answers the page's confirmation dialogs and records what they asked and what was posted."""

    def __init__(self, page: Page, *, accept: bool) -> None:
        self.page = page
        self.accept = accept
        self.questions: list[str] = []
        self.posts: list[str] = []
        page.on("dialog", self._answer)
        page.on("request", self._record)

    async def _answer(self, dialog: Dialog) -> None:
        self.questions.append(dialog.message)
        await (dialog.accept() if self.accept else dialog.dismiss())

    def _record(self, request: Request) -> None:
        if request.method == "POST":
            self.posts.append(request.url)

    async def settle(self) -> None:
        """Let a request the dialog's answer started be sent before anyone looks."""
        await self.page.evaluate("() => new Promise(r => setTimeout(r, 300))")


async def test_a_dismissed_confirmation_removes_no_one_and_an_accepted_one_does(
    new_page: NewPage,
    mailbox: Mailbox,
    database: Database,
    owner_account: Account,
    axe: Callable[[Page], Awaitable[None]],
) -> None:
    team = await _team(new_page, mailbox, database, owner_account, java_script=True)

    leaving = Dialogs(team.colleague, accept=False)
    await team.colleague.get_by_role("button", name="Quitter l'entreprise").click()
    await leaving.settle()
    assert leaving.questions == ["Quitter cette entreprise ? Vous perdrez l’accès à ses données."]
    assert leaving.posts == []
    assert _is_member(database, team.colleague_email, team.organisation_id)

    members = team.owner.get_by_role("region", name=re.compile(r"^Membres"))
    row = members.get_by_role("row").filter(has_text=team.colleague_email)
    dismissing = Dialogs(team.owner, accept=False)
    await row.get_by_role("button", name="Retirer").click()
    await dismissing.settle()
    assert dismissing.questions == ["Retirer ce membre ? Son accès prendra fin immédiatement."]
    assert dismissing.posts == []
    assert _is_member(database, team.colleague_email, team.organisation_id)
    await expect(row).to_be_visible()

    # The page the same button opens without JavaScript passes axe too.
    confirmation = await new_page(storage_state=await team.owner.context.storage_state())
    action = await row.locator("form").last.get_attribute("action")
    await confirmation.goto(str(action))
    await expect(confirmation.get_by_role("button", name="Retirer ce membre")).to_be_visible()
    await axe(confirmation)

    dismissing.accept = True
    await row.get_by_role("button", name="Retirer").click()
    removed = team.owner.get_by_role("status").filter(has_text="Le membre a été retiré")
    await expect(removed).to_be_visible()
    await expect(row).to_have_count(0)
    assert re.search(r"/app/members/\d+/remove$", dismissing.posts[-1])
    assert not _is_member(database, team.colleague_email, team.organisation_id)


async def test_without_javascript_a_confirmation_page_asks_and_its_cancel_keeps_the_member(
    new_page: NewPage, mailbox: Mailbox, database: Database, owner_account: Account
) -> None:
    team = await _team(new_page, mailbox, database, owner_account, java_script=False)
    owner = team.owner
    members = owner.get_by_role("region", name=re.compile(r"^Membres"))
    row = members.get_by_role("row").filter(has_text=team.colleague_email)

    await row.get_by_role("button", name="Retirer").click()
    await expect(owner).to_have_url(re.compile(r"/app/members/\d+/remove\??$"))
    await expect(owner.get_by_role("heading", level=1)).to_have_text(
        f"Retirer Colin Colleague ({team.colleague_email}) de l'entreprise ?"
    )
    assert _is_member(database, team.colleague_email, team.organisation_id), "a GET removes nobody"
    await owner.get_by_role("link", name="Annuler").click()
    await expect(owner).to_have_url(re.compile(r"/app/members$"))
    assert _is_member(database, team.colleague_email, team.organisation_id)

    await row.get_by_role("button", name="Retirer").click()
    await owner.get_by_role("button", name="Retirer ce membre").click()
    await expect(owner).to_have_url(re.compile(r"/app/members$"))
    removed = owner.get_by_role("status").filter(has_text="Le membre a été retiré")
    await expect(removed).to_be_visible()
    assert not _is_member(database, team.colleague_email, team.organisation_id)


async def test_a_colleague_leaves_without_javascript_after_the_confirmation_page(
    new_page: NewPage, mailbox: Mailbox, database: Database, owner_account: Account
) -> None:
    team = await _team(new_page, mailbox, database, owner_account, java_script=False)
    colleague = team.colleague

    await colleague.get_by_role("button", name="Quitter l'entreprise").click()
    await expect(colleague.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"^Quitter Olivia Owner SAS \?$")
    )
    await colleague.get_by_role("link", name="Rester").click()
    await expect(colleague).to_have_url(re.compile(r"/app/members$"))
    assert _is_member(database, team.colleague_email, team.organisation_id)

    await colleague.get_by_role("button", name="Quitter l'entreprise").click()
    await colleague.get_by_role("button", name="Quitter l'entreprise").click()
    await expect(colleague).to_have_url(re.compile(r"/app$"))
    left = colleague.get_by_role("status").filter(has_text="Vous avez quitté l'entreprise.")
    await expect(left).to_be_visible()
    assert not _is_member(database, team.colleague_email, team.organisation_id)


async def test_a_dismissed_revocation_keeps_the_invitation(
    new_page: NewPage, database: Database, owner_account: Account
) -> None:
    page = await new_page()
    await LoginPage(page).log_in(owner_account.email, owner_account.password)
    await page.goto("/app/members")
    invitee = f"iris.invitee.{secrets.token_hex(3)}@example.com"
    await _invite(page, invitee)
    pending = page.get_by_role("region", name="Invitations en attente")
    row = pending.get_by_role("row").filter(has_text=invitee)

    dialogs = Dialogs(page, accept=False)
    await row.get_by_role("button", name="Annuler l'invitation").click()
    await dialogs.settle()
    assert dialogs.questions == [
        f"Annuler l'invitation de {invitee} ? Le lien envoyé cessera de fonctionner."
    ]
    assert dialogs.posts == []
    stored = database.row("SELECT revoked_at FROM invitation WHERE email = ?", invitee)
    assert stored == {"revoked_at": None}

    dialogs.accept = True
    await row.get_by_role("button", name="Annuler l'invitation").click()
    await expect(page.get_by_role("status").filter(has_text="annulée")).to_be_visible()
    await expect(row).to_have_count(0)
    stored = database.row("SELECT revoked_at FROM invitation WHERE email = ?", invitee)
    assert stored is not None and stored["revoked_at"] is not None
