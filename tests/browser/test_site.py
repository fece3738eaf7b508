"""Site-wide behaviour in a browser: works without JavaScript, keyboard, language selector, CSP."""

from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING

from playwright.async_api import Page, Route, expect

from app.demo import DEMO_EMAIL, DEMO_PASSWORD
from tests.browser.pages import LoginPage, SiteChrome

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from tests.browser.conftest import Accounts, Database, NewPage, PageWatcher

    Axe = Callable[[Page], Awaitable[None]]


async def test_demo_creditor_logs_in_and_invites_without_javascript(
    new_page: NewPage, database: Database
) -> None:
    page = await new_page(java_script_enabled=False)
    await page.goto("/")
    await page.get_by_role("navigation").get_by_role("link", name="Se connecter").click()
    await LoginPage(page).log_in(DEMO_EMAIL, DEMO_PASSWORD)
    await expect(page).to_have_url(re.compile(r"/app$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Camille Démo")
    await page.get_by_role("link", name="Membres", exact=True).click()
    await expect(page).to_have_url(re.compile(r"/app/members$"))
    members = page.get_by_role("region", name=re.compile(r"^Membres"))
    await expect(members.get_by_role("cell", name=DEMO_EMAIL, exact=True)).to_be_visible()

    # Without htmx the invitation form is an ordinary POST, answered by a redirect.
    colleague = f"sans-javascript.{secrets.token_hex(3)}@example.com"
    invite = page.get_by_role("region", name="Inviter un collègue")
    await invite.get_by_label("Adresse e-mail", exact=True).fill(colleague)
    await invite.get_by_role("button", name="Envoyer l'invitation").click()
    await expect(page).to_have_url(re.compile(r"/app/members$"))
    sent = page.get_by_role("status").filter(has_text="L'invitation a été envoyée.")
    await expect(sent).to_be_visible()
    invitation = database.row("SELECT role FROM invitation WHERE email = ?", colleague)
    assert invitation == {"role": "member"}


async def test_skip_link_is_the_first_tab_stop_and_focuses_the_main_content(page: Page) -> None:
    await page.goto("/login")
    await page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Aller au contenu")
    await expect(skip).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("main")).to_be_focused()
    await page.keyboard.press("Tab")
    await expect(page.get_by_label("Adresse e-mail", exact=True)).to_be_focused()


async def test_footer_language_selector_switches_to_english_and_back(new_page: NewPage) -> None:
    page = await new_page("fr")
    await page.goto("/login")
    await expect(page.locator("html")).to_have_attribute("lang", "fr")
    await SiteChrome(page).choose_language("en")
    await expect(page).to_have_url(re.compile(r"/login$"))
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    await SiteChrome(page).choose_language("fr")
    await expect(page.locator("html")).to_have_attribute("lang", "fr")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter")


async def test_the_csp_watcher_reports_a_blocked_inline_script(
    new_page: NewPage, page_watcher: PageWatcher
) -> None:
    page = await new_page()
    await page.goto("/")
    async with page.expect_console_message(lambda message: message.type == "error"):
        await page.evaluate(
            "() => { const s = document.createElement('script');"
            " s.textContent = 'window.ran = true'; document.body.append(s); }"
        )
    assert await page.evaluate("() => window.ran === undefined")
    assert len(page_watcher.problems) == 1
    assert "Content Security Policy" in page_watcher.problems[0]
    page_watcher.problems.clear()  # expected here: do not fail the test at teardown


async def test_the_watcher_reports_console_errors_and_missing_files_but_not_error_pages(
    new_page: NewPage, page_watcher: PageWatcher
) -> None:
    page = await new_page()
    await page.goto("/nulle-part")  # a 404 the test asked for is not a problem
    assert page_watcher.problems == []
    async with page.expect_console_message(lambda message: message.type == "error"):
        await page.evaluate("() => console.error('something broke')")
    async with page.expect_console_message(lambda message: message.type == "error"):
        await page.evaluate(
            "() => { const i = document.createElement('img');"
            " i.src = '/static/img/missing.svg'; document.body.append(i); }"
        )
    assert len(page_watcher.problems) == 2, page_watcher.problems
    assert "something broke" in page_watcher.problems[0]
    assert (
        "404" in page_watcher.problems[1] and "/static/img/missing.svg" in page_watcher.problems[1]
    )
    page_watcher.problems.clear()  # expected here: do not fail the test at teardown


async def test_a_form_address_reloaded_or_opened_again_after_a_failed_post_shows_its_page(
    new_page: NewPage, accounts: Accounts
) -> None:
    page = await new_page(java_script_enabled=False, storage_state=accounts.storage["fr"])
    failures = [
        ("/account", "Changer de mot de passe", "/account/password", "/account"),
        ("/app/members", "Inviter un collègue", "/app/members/invitations", "/app/members"),
    ]
    for start, form_name, address, page_path in failures:
        await page.goto(start)
        form = page.get_by_role("region", name=form_name)
        if address == "/account/password":
            new_password = "un nouveau mot de passe long"
            await form.get_by_label("Mot de passe actuel", exact=True).fill("pas le bon")
            await form.get_by_label("Nouveau mot de passe", exact=True).fill(new_password)
            await form.get_by_label("Confirmer le nouveau mot de passe").fill(new_password)
            await form.get_by_role("button", name="Changer le mot de passe").click()
        else:  # the demo user is a member already: refused by the server, not the browser
            await form.get_by_label("Adresse e-mail", exact=True).fill(accounts.french.email)
            await form.get_by_role("button", name="Envoyer l'invitation").click()
        await expect(page).to_have_url(re.compile(f"{re.escape(address)}$"))
        await expect(page.get_by_role("alert").or_(page.locator(".error")).first).to_be_visible()

        reloaded = await page.reload()
        assert reloaded is not None and reloaded.status != 405, address
        opened = await page.goto(address)  # the address typed again, or a bookmark
        assert opened is not None and opened.status == 200, address
        await expect(page).to_have_url(re.compile(f"{re.escape(page_path)}$"))


async def test_a_logged_in_user_lost_on_a_404_keeps_the_app_header_and_can_log_out(
    new_page: NewPage, accounts: Accounts, axe: Axe
) -> None:
    page = await new_page("fr")  # its own session: logging out must not end a shared one
    await LoginPage(page).log_in(accounts.english.email, accounts.english.password)
    await expect(page).to_have_url(re.compile(r"/app$"))
    response = await page.goto("/no-such-page")
    assert response is not None and response.status == 404
    await expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    header = page.get_by_role("banner")
    await expect(header.get_by_role("link", name="My account")).to_be_visible()
    await expect(header.get_by_role("link", name="Log in")).to_have_count(0)
    await axe(page)
    await header.get_by_role("button", name="Log out").click()
    await expect(page).to_have_url(re.compile(r"/$"))
    logged_out = page.get_by_role("banner").get_by_role("link", name="Se connecter")
    await expect(logged_out).to_be_visible()  # logged out: the browser's French again


async def test_after_an_htmx_answer_the_focus_moves_to_the_error_or_to_the_notice_by_the_form(
    new_page: NewPage, accounts: Accounts
) -> None:
    page = await new_page(storage_state=accounts.storage["fr"])
    await page.goto("/app/members")
    # The form is swapped with the answer: each step looks it up again.
    invite = page.get_by_role("region", name="Inviter un collègue")
    email = invite.get_by_label("Adresse e-mail", exact=True)
    send = invite.get_by_role("button", name="Envoyer l'invitation")

    await email.fill("pas-une-adresse")
    await send.click()
    await expect(invite.locator(".error")).to_be_visible()
    await expect(email).to_be_focused()

    await email.fill(f"focus.{secrets.token_hex(3)}@example.com")
    await send.click()
    notice = invite.get_by_role("status")
    await expect(notice).to_have_text("L'invitation a été envoyée.")
    await expect(notice).to_be_focused()


async def serve_instead(page: Page, url: str, html: str) -> None:
    """Answer `url` with `html` in this page, as if the site had sent it."""

    async def fulfil(route: Route) -> None:
        await route.fulfill(body=html, content_type="text/html", status=200)

    await page.route(url, fulfil)


async def test_the_watcher_checks_every_page_of_the_site_as_it_loads(
    new_page: NewPage, page_watcher: PageWatcher, base_url: str
) -> None:
    """An English page with French text on it, too wide for a phone, is reported on load."""
    page = await new_page("en", viewport={"width": 390, "height": 844})
    broken = (
        '<!doctype html><html lang="en"><body><main><h1>Log in</h1>'
        "<p>Adresse e-mail ou mot de passe incorrect.</p>"
        '<div style="width: 900px">&nbsp;</div></main></body></html>'
    )
    await serve_instead(page, f"{base_url}/login", broken)
    await page.goto("/login")
    await page_watcher.finish()
    reported = [problem.split(": ", 2)[-1] for problem in page_watcher.problems]
    assert "'Adresse e-mail ou mot de passe incorrect.'" in reported
    assert [p for p in reported if re.fullmatch(r"the page is 9\d\d px wide for 390 px", p)]
    page_watcher.problems.clear()  # expected here: do not fail the test at teardown


async def test_a_desktop_page_is_laid_out_again_on_a_phone_and_reported_if_too_wide(
    new_page: NewPage, page_watcher: PageWatcher, base_url: str
) -> None:
    page = await new_page("fr", viewport={"width": 1280, "height": 800})
    wide = (
        '<!doctype html><html lang="fr"><head><title>Large</title></head><body><main>'
        '<h1>Se connecter</h1><div style="width: 900px">&nbsp;</div></main></body></html>'
    )
    await serve_instead(page, f"{base_url}/login", wide)
    await page.goto("/login")
    await page_watcher.finish()
    assert [p for p in page_watcher.problems if "at 390 px, the page is" in p], (
        page_watcher.problems
    )
    page_watcher.problems.clear()  # expected here: do not fail the test at teardown
