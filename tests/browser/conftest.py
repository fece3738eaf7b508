"""Browser tier: the real local stack (web, worker, Redis, SMTP outbox) driven by Debian's Chromium.

One stack and one Chromium serve the whole session; every test gets fresh browser contexts.
Run it in a single process: `uv run pytest tests/browser -q -p no:xdist` (what `make browser` does).
REQUIRE_BROWSER=1 turns a missing Chromium into a failure instead of a skip.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import os
import re
import secrets
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    async_playwright,
    expect,
)
from playwright.async_api import Error as PlaywrightError
from stdnum import luhn

from app.demo import DEMO_EMAIL, DEMO_PASSWORD
from app.dev.stack import PYTHON, RunningStack, local_stack, run_step
from app.messaging.outbox import OutboxMessage, free_port, read_outbox
from tests.browser.checks import overflows, page_problems
from tests.browser.pages import LoginPage, SignupPage, SiteChrome, TotpSetupPage, VerifyPage

HERE = Path(__file__).parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_SOURCE_PATH = HERE / "vendor" / "axe-4.14.1.min.js"
BLOCKING_IMPACTS = {"serious", "critical"}
# Chromium reports a blocked script, style, frame or form as a console error; older builds
# start it with "Refused to", current ones say "violates the following Content Security Policy".
CSP_MESSAGE = re.compile(r"Refused to|Content Security Policy", re.IGNORECASE)
# How Chromium logs a response with an error status (a shipped file answering so is a defect).
ERROR_STATUS = re.compile(r"^Failed to load resource: the server responded with a status of 4\d\d")
LOCALES = {"fr": "fr-FR", "en": "en-GB"}
PASSWORD = "une phrase de passe assez longue"

expect.set_options(timeout=10_000)


# --- collection ---------------------------------------------------------------------------


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test of this folder is a browser test; under xdist (`--dist loadgroup`) they stay
    on one worker, so one stack serves them all."""
    with_xdist = config.pluginmanager.hasplugin("xdist")
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)
            if with_xdist:
                item.add_marker(pytest.mark.xdist_group("browser"))


LOG_DIR = pytest.StashKey[Path]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A failed browser test shows the end of the web and worker logs."""
    report = yield
    log_dir = item.config.stash.get(LOG_DIR, None)
    if report.failed and log_dir is not None and HERE in Path(str(item.path)).parents:
        for name in ("web", "worker"):
            log = log_dir / f"{name}.log"
            if log.exists():
                lines = log.read_text(errors="replace").splitlines()
                tail = [line for line in lines if "cron:heartbeat" not in line][-40:]
                report.sections.append((f"{name}.log (last lines)", "\n".join(tail)))
    return report


# --- the stack --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    if Path(CHROMIUM).exists():
        return CHROMIUM
    message = (
        f"Chromium not found at {CHROMIUM}: install Debian's package "
        "(apt-get install -y --no-install-recommends chromium) or set CHROMIUM_PATH"
    )
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 and {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def live_stack(
    chromium_executable: str,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> Iterator[RunningStack]:
    """Web, worker, Redis and SMTP outbox on free ports, a temp SQLite file, the demo account."""
    var_dir = tmp_path_factory.mktemp("browser-stack")
    inherited = {"DATABASE_URL", "OUTBOX_DIR", "BASE_URL", "OIDC_PROVIDERS", "SQLITE_PATH"}
    base_env = {key: value for key, value in os.environ.items() if key not in inherited}
    base_env.update(
        ENVIRONMENT="test",
        DEMO_COMPANIES="300",  # enough for every kind of company page, seeded in seconds
        DATABASE_URL=f"sqlite:///{var_dir / 'ponctuel.sqlite3'}",
        REDIS_PREFIX=f"ponctuel-browser-{secrets.token_hex(4)}",
        ARGON2_PROFILE="cheapest",
    )
    log_dir = var_dir / "log"
    request.config.stash[LOG_DIR] = log_dir
    with local_stack(
        base_env=base_env,
        var_dir=var_dir,
        web_port=free_port(),
        smtp_port=free_port(),
        oidc_port=free_port(),
        seed_demo=True,
        log_dir=log_dir,
    ) as stack:
        yield stack


@pytest.fixture(scope="session")
def base_url(live_stack: RunningStack) -> str:
    return live_stack.base_url


# --- the database, read directly -----------------------------------------------------------


class Database:
    """Read-only look at the stack's SQLite file, to check what a page really stored."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def rows(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        with sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=5) as connection:
            connection.row_factory = sqlite3.Row
            return [dict(row) for row in connection.execute(sql, params).fetchall()]

    def row(self, sql: str, *params: Any) -> dict[str, Any] | None:
        found = self.rows(sql, *params)
        return found[0] if found else None


@pytest.fixture(scope="session")
def database(live_stack: RunningStack) -> Database:
    return Database(Path(live_stack.env["DATABASE_URL"].removeprefix("sqlite:///")))


# --- mail -----------------------------------------------------------------------------------


class Mailbox:
    """The SMTP outbox the worker delivers to: wait (bounded) for a message to arrive."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def messages(self, *, to: str | None = None) -> list[OutboxMessage]:
        found = read_outbox(self.directory, limit=1000)
        return [m for m in found if to is None or to.lower() in m.to.lower()]

    async def wait_for(
        self, *, to: str, subject: str | None = None, within: float = 15.0
    ) -> OutboxMessage:
        deadline = time.monotonic() + within
        while True:
            for message in self.messages(to=to):
                if subject is None or subject.lower() in message.subject.lower():
                    return message
            if time.monotonic() > deadline:
                seen = [(m.to, m.subject) for m in self.messages()]
                raise AssertionError(
                    f"no email to {to!r} (subject {subject!r}) within {within:.0f} s; "
                    f"the outbox holds {seen}"
                )
            await asyncio.sleep(0.1)

    @staticmethod
    def link(message: OutboxMessage, path_prefix: str) -> str:
        """The first absolute link of the text part whose path starts with `path_prefix`."""
        match = re.search(rf"https?://[^\s/]+{re.escape(path_prefix)}[^\s<>\"')]+", message.text)
        assert match, f"no link to {path_prefix} in {message.subject!r}:\n{message.text}"
        return match.group(0)


@pytest.fixture(scope="session")
def mailbox(live_stack: RunningStack) -> Mailbox:
    return Mailbox(live_stack.outbox_dir)


# --- the browser ------------------------------------------------------------------------


@pytest.fixture(scope="session")
async def browser(chromium_executable: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=chromium_executable, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@dataclass
class PageWatcher:
    """Collects CSP violations, console errors and uncaught script errors of every page, and
    checks each page of the site as it loads: its text in its own language, nothing too wide
    for the screen (tests/browser/checks.py)."""

    base_url: str = ""
    phone: Page | None = None  # a 390 px page where each wider page is laid out once more
    problems: list[str] = field(default_factory=list)
    checks: list[asyncio.Future[None]] = field(default_factory=list)
    phone_turn: asyncio.Lock = field(default_factory=asyncio.Lock)
    laid_out: set[bytes] = field(default_factory=lambda: LAID_OUT)  # shared by every test
    # `make screenshots` sets JOURNEY_SHOTS: each page checked is also photographed there.
    shots: Path | None = field(default_factory=lambda: _shots_dir())

    def watch(self, page: Page, *, check_pages: bool = True) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.problems.append(f"uncaught error: {error}"))
        if check_pages and self.base_url:
            page.on("load", self._on_load)

    def _on_console(self, message: ConsoleMessage) -> None:
        where = message.location.get("url", "")
        if CSP_MESSAGE.search(message.text):
            self.problems.append(f"CSP violation on {where}: {message.text}")
        elif message.type == "error":
            if ERROR_STATUS.search(message.text) and "/static/" not in where:
                return  # a page or htmx answer with an error status: its test checks the status
            self.problems.append(f"console error on {where}: {message.text}")

    def _on_load(self, page: Page) -> None:
        self.checks.append(asyncio.ensure_future(self._check(page)))

    async def _check(self, page: Page) -> None:
        url = page.url
        if not url.startswith(self.base_url) or any(path in url for path in UNCHECKED_PAGES):
            return
        try:
            found = await page_problems(page)
            width = (page.viewport_size or {}).get("width", 0)
            if self.phone is not None and width > PHONE_WIDTH:
                on_phone = await self._on_phone(page)
                found += [f"at {PHONE_WIDTH} px, {problem}" for problem in on_phone]
            if self.shots is not None:
                await self._photograph(page, width)
        except PlaywrightError:
            return  # the test went on to another page, or closed this one, before the check
        self.problems.extend(f"{url}: {problem}" for problem in found)

    async def _photograph(self, page: Page, width: int) -> None:
        """The page as shown, and as laid out on a phone, named after its address."""
        assert self.shots is not None
        lang = await page.locator("html").get_attribute("lang") or "xx"
        path = page.url.removeprefix(self.base_url).lower()
        stem = self.shots / f"{re.sub(r'[^a-z0-9]+', '-', path).strip('-') or 'home'}.{lang}"
        await asyncio.to_thread(self.shots.mkdir, parents=True, exist_ok=True)
        # caret="initial": hiding the caret would inject a style the CSP refuses.
        await page.screenshot(path=f"{stem}.{width}px.png", full_page=True, caret="initial")
        if self.phone is not None and width > PHONE_WIDTH:
            async with self.phone_turn:
                await self.phone.set_content(markup_for_phone(await page.content(), self.base_url))
                await self.phone.screenshot(path=f"{stem}.{PHONE_WIDTH}px.png", full_page=True)

    async def _on_phone(self, page: Page) -> list[str]:
        """The page's HTML as it is now, laid out on a phone: nothing wider than the screen.

        Only the markup is copied (no script runs, nothing is requested again but the
        stylesheet), so a page reached by a form or a journey is checked as it was shown.
        """
        assert self.phone is not None
        markup = markup_for_phone(await page.content(), self.base_url)
        seen = hashlib.sha256(CSRF_VALUE.sub("", markup).encode()).digest()
        if seen in self.laid_out:
            return []  # the same markup was already laid out on the phone
        self.laid_out.add(seen)
        async with self.phone_turn:
            await self.phone.set_content(markup)
            return await overflows(self.phone)

    async def finish(self) -> None:
        """Wait for the checks of the pages loaded so far."""
        await asyncio.gather(*self.checks, return_exceptions=True)
        self.checks.clear()

    def assert_clean(self) -> None:
        assert not self.problems, "the browser reported:\n" + "\n".join(self.problems)


# Emails shown in the development outbox speak their recipient's language, not the page's.
UNCHECKED_PAGES = ("/dev/outbox",)
PHONE_WIDTH = 390


def _shots_dir() -> Path | None:
    shots = os.environ.get("JOURNEY_SHOTS")
    return Path(shots) if shots else None


SCRIPT = re.compile(r"<script\b.*?</script>", re.S | re.I)
LAID_OUT: set[bytes] = set()  # digests of the markup already laid out at 390 px this run
CSRF_VALUE = re.compile(r'(?:value="|"x-csrftoken": ")[\w.-]{20,}"')  # differs on every page


def markup_for_phone(html: str, base_url: str) -> str:
    """A page's markup without its scripts, its addresses resolved against the site."""
    return SCRIPT.sub("", html).replace("<head>", f'<head><base href="{base_url}/">', 1)


NewPage = Callable[..., Awaitable[Page]]


@pytest.fixture
def page_watcher(base_url: str) -> PageWatcher:
    return PageWatcher(base_url=base_url)


@pytest.fixture
async def new_page(
    browser: Browser, base_url: str, page_watcher: PageWatcher
) -> AsyncIterator[NewPage]:
    """Open a page in a fresh context (locale "fr" or "en", other context options as keywords).

    Contexts never bypass the CSP; any CSP violation or script error fails the test.
    """
    phone_context = await browser.new_context(
        base_url=base_url, viewport={"width": PHONE_WIDTH, "height": 844}
    )
    page_watcher.phone = await phone_context.new_page()
    contexts: list[BrowserContext] = [phone_context]

    async def open_page(locale: str = "fr", **options: Any) -> Page:
        context = await browser.new_context(base_url=base_url, locale=LOCALES[locale], **options)
        # Without JavaScript a page cannot be inspected from inside: only its console is watched.
        check_pages = options.get("java_script_enabled", True)
        context.on("page", lambda page: page_watcher.watch(page, check_pages=check_pages))
        contexts.append(context)
        return await context.new_page()

    yield open_page
    await page_watcher.finish()
    for context in contexts:
        await context.close()
    page_watcher.assert_clean()


@pytest.fixture
async def page(new_page: NewPage) -> Page:
    return await new_page()


# --- accessibility --------------------------------------------------------------------------

AXE_RUN = """async () => {
  // Frames are skipped: the only one, the dev outbox's sandboxed email, cannot run scripts.
  const result = await axe.run(document, {resultTypes: ["violations"], iframes: false});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " → " + n.failureSummary),
  }));
}"""


async def run_axe(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the current page.

    page.evaluate runs through the DevTools protocol, which the page's CSP does not govern,
    so axe is loaded without weakening the CSP of the context under test.
    """
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.evaluate(AXE_SOURCE_PATH.read_text())
    violations: list[dict[str, Any]] = await page.evaluate(AXE_RUN)
    return violations


async def axe_check(page: Page) -> None:
    """Fail listing every serious or critical axe-core violation of the current page."""
    blocking = [v for v in await run_axe(page) if v["impact"] in BLOCKING_IMPACTS]
    details = json.dumps(blocking, ensure_ascii=False, indent=2)
    assert not blocking, f"axe-core violations on {page.url}:\n{details}"


@pytest.fixture(scope="session")
def axe() -> Callable[[Page], Awaitable[None]]:
    return axe_check


# --- accounts -------------------------------------------------------------------------------


def random_siren() -> str:
    """A random SIREN with a valid Luhn key (not a real company's, most likely)."""
    stem = f"{secrets.randbelow(10**8 - 1) + 1:08d}"  # 00000000 is never attributed
    return stem + luhn.calc_check_digit(stem)


@pytest.fixture(scope="session")
def new_siren() -> Callable[[], str]:
    return random_siren


@dataclass(frozen=True)
class Account:
    email: str
    password: str
    full_name: str
    totp_secret: str | None = None


@dataclass
class Accounts:
    """Users shared by the accessibility tests, each made once per session."""

    french: Account
    english: Account
    with_totp: Account
    storage: dict[str, dict[str, Any]]  # locale -> logged-in storage state
    with_totp_storage: dict[str, Any]  # with_totp logged in, second factor already passed


async def create_account(open_page: NewPage, mailbox: Mailbox, *, name: str) -> Account:
    """Sign up through the form and confirm the address with the emailed link."""
    email = f"{name.lower().replace(' ', '.')}.{secrets.token_hex(3)}@example.com"
    page = await open_page("fr")
    signup = SignupPage(page)
    await signup.goto()
    await signup.sign_up(
        full_name=name,
        email=email,
        organisation=f"{name} SAS",
        siren=random_siren(),
        password=PASSWORD,
    )
    await expect(page).to_have_url(re.compile(r"/signup/sent$"))
    message = await mailbox.wait_for(to=email)
    await VerifyPage(page).confirm(Mailbox.link(message, "/verify/"))
    await expect(page).to_have_url(re.compile(r"/app$"))  # the link logs the new owner in
    return Account(email=email, password=PASSWORD, full_name=name)


@pytest.fixture(scope="session")
async def accounts(browser: Browser, base_url: str, mailbox: Mailbox) -> AsyncIterator[Accounts]:
    """The demo user (French), a user who chose English, a user with 2FA on; all owners."""
    contexts: list[BrowserContext] = []
    watcher = PageWatcher(base_url=base_url)

    async def open_page(locale: str = "fr") -> Page:
        context = await browser.new_context(base_url=base_url, locale=LOCALES[locale])
        context.on("page", watcher.watch)
        contexts.append(context)
        return await context.new_page()

    french = Account(DEMO_EMAIL, DEMO_PASSWORD, "Camille Démo")
    english, with_totp = await asyncio.gather(
        create_account(open_page, mailbox, name="Alex Morgan"),
        create_account(open_page, mailbox, name="Dominique Totp"),
    )

    page = await open_page()
    await LoginPage(page).log_in(with_totp.email, with_totp.password)
    await expect(page).to_have_url(re.compile(r"/app$"))
    setup = TotpSetupPage(page)
    await setup.goto()
    secret = await setup.enable(password=with_totp.password)
    await expect(setup.recovery_codes).to_be_visible()
    with_totp = dataclasses.replace(with_totp, totp_secret=secret)
    with_totp_state = dict(await page.context.storage_state())

    async def logged_in_state(account: Account, locale: str) -> dict[str, Any]:
        page = await open_page()
        await LoginPage(page).log_in(account.email, account.password)
        await expect(page).to_have_url(re.compile(r"/app$"))
        if locale != "fr":  # saved on the user: their later sessions open in that language
            await SiteChrome(page).choose_language(locale)
            await expect(page.locator("html")).to_have_attribute("lang", locale)
        return dict(await page.context.storage_state())

    french_state, english_state = await asyncio.gather(
        logged_in_state(french, "fr"), logged_in_state(english, "en")
    )
    await watcher.finish()
    for context in contexts:
        await context.close()
    watcher.assert_clean()
    yield Accounts(
        french=french,
        english=english,
        with_totp=with_totp,
        storage={"fr": french_state, "en": english_state},
        with_totp_storage=with_totp_state,
    )


@pytest.fixture(scope="session")
def platform_admin(accounts: Accounts, live_stack: RunningStack) -> dict[str, Any]:
    """The storage state of a platform administrator with two-factor login (the 2FA user),
    made one with the documented command."""
    run_step([PYTHON, "-m", "app.admin", "grant-admin", accounts.with_totp.email], live_stack.env)
    return accounts.with_totp_storage
