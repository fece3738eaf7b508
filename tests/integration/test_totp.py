"""Two-factor authentication through the real app: setup, login second step, recovery, disable."""

from __future__ import annotations

import base64
import re
from datetime import timedelta

import httpx
import pyotp
import pytest
from litestar import Litestar
from redis.asyncio import Redis

from app.accounts.rules import secret_hash
from app.accounts.service.totp import RECOVERY_PURPOSE, TOTP_PURPOSE
from app.accounts.tables import AuditEvent, RecoveryCode, User
from app.clock import Clock, FixedClock
from app.settings import Settings
from tests.conftest import make_client
from tests.factories import (
    PASSWORD,
    field_error,
    flash_items,
    flash_messages,
    form_error,
    link_in,
    log_in,
    make_creditor,
    post_form,
)

Client = httpx.AsyncClient
EMAIL = "owner@example.com"

# What the user reads, word for word.
WRONG_CODE = (
    "Code incorrect ou expiré. Saisissez le code à 6 chiffres affiché par votre application, "
    "ou un code de secours."
)
CODE_ALREADY_USED = "Ce code a déjà servi. Attendez le suivant dans votre application."
WRONG_PASSWORD = "Le mot de passe est incorrect."
ENTER_CODE = "Saisissez le code à 6 chiffres affiché par votre application."
SETUP_CODE_MISMATCH = (
    "Ce code ne correspond pas. Vérifiez que l'heure de votre téléphone est juste "
    "et saisissez le code affiché maintenant."
)


@pytest.fixture
def app_clock(clock: FixedClock) -> Clock:
    """The app runs on the test's clock, so each test decides which 30 s step it is."""
    return clock


def secret_on(html: str) -> str:
    match = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', html)
    assert match, "the setup page shows the secret for manual entry"
    return match.group(1).replace(" ", "")


def recovery_codes_on(html: str) -> list[str]:
    listing = html.split('data-testid="recovery-codes"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", listing)


def code_at(secret: str, clock: FixedClock) -> str:
    return str(pyotp.TOTP(secret).at(clock.now()))


def code_of_another_secret(secret: str, clock: FixedClock) -> str:
    """A current code of some other secret, different from every code `secret` accepts now."""
    accepted = {pyotp.TOTP(secret).at(clock.now(), counter_offset=offset) for offset in (-1, 0, 1)}
    while True:
        code = code_at(pyotp.random_base32(), clock)
        if code not in accepted:
            return code


async def enable_totp(client: Client, clock: FixedClock) -> tuple[str, list[str]]:
    """Go through the setup page as the logged-in user; returns the secret and recovery codes."""
    page = await client.get("/account/2fa/setup")
    secret = secret_on(page.text)
    response = await post_form(
        client, "/account/2fa/setup", {"code": code_at(secret, clock), "password": PASSWORD}
    )
    assert response.status_code == 200, response.text[:500]
    return secret, recovery_codes_on(response.text)


async def make_totp_user(
    client: Client, clock: FixedClock, email: str = EMAIL
) -> tuple[User, str, list[str]]:
    """A creditor with 2FA on, logged out, one time step after the setup code was used."""
    user, _ = await make_creditor(email=email)
    await log_in(client, email)
    secret, codes = await enable_totp(client, clock)
    await post_form(client, "/logout", {})
    clock.advance(timedelta(seconds=30))
    return user, secret, codes


async def submit_code(client: Client, code: str) -> httpx.Response:
    return await post_form(client, "/login/2fa", {"code": code})


async def actions_of(user: User) -> list[str]:
    rows = await AuditEvent.select(AuditEvent.action).where(AuditEvent.user == user.id)
    return [row["action"] for row in rows]


async def test_enabling_2fa_needs_a_current_code_and_the_password_then_shows_codes_once(
    app: Litestar, client: Client, clock: FixedClock
) -> None:
    user, _ = await make_creditor(email=EMAIL)
    await log_in(client, EMAIL)
    page = await client.get("/account/2fa/setup")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    qr = re.search(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', page.text)
    assert qr and b"<svg" in base64.b64decode(qr.group(1))
    secret = secret_on(page.text)
    assert len(secret) == 32
    stored = await User.objects().get(User.id == user.id)
    assert stored is not None and stored.totp_secret is None, "pending secret stays in session"
    assert secret_on((await client.get("/account/2fa/setup")).text) == secret, "reload keeps it"

    wrong_code = await post_form(
        client, "/account/2fa/setup", {"code": "000000", "password": PASSWORD}
    )
    assert wrong_code.status_code == 422
    assert field_error(wrong_code.text, "code") == SETUP_CODE_MISMATCH
    assert form_error(wrong_code.text) is None
    foreign = await post_form(
        client,
        "/account/2fa/setup",
        {"code": code_of_another_secret(secret, clock), "password": PASSWORD},
    )
    assert foreign.status_code == 422, "only the secret shown on the page is enrolled"
    assert field_error(foreign.text, "code") == SETUP_CODE_MISMATCH
    wrong_password = await post_form(
        client,
        "/account/2fa/setup",
        {"code": code_at(secret, clock), "password": "not-mine-at-all"},
    )
    assert wrong_password.status_code == 422
    assert field_error(wrong_password.text, "password") == WRONG_PASSWORD
    assert field_error(wrong_password.text, "code") is None
    assert form_error(wrong_password.text) is None
    stored = await User.objects().get(User.id == user.id)
    assert stored is not None and stored.totp_enabled_at is None

    done = await post_form(
        client, "/account/2fa/setup", {"code": code_at(secret, clock), "password": PASSWORD}
    )
    assert done.status_code == 200
    assert done.headers["cache-control"] == "no-store"
    assert "J'ai enregistré mes codes" in done.text
    codes = recovery_codes_on(done.text)
    assert len(codes) == 10 and len(set(codes)) == 10

    stored = await User.objects().get(User.id == user.id)
    assert stored is not None
    assert stored.totp_enabled_at == clock.now()
    assert stored.totp_secret and secret not in stored.totp_secret, "the seed is encrypted at rest"
    keys = app.state.data_keys
    assert keys.decrypt(stored.totp_secret, purpose=TOTP_PURPOSE) == secret
    rows = await RecoveryCode.select(RecoveryCode.code_hash, RecoveryCode.created_at).where(
        RecoveryCode.user == user.id
    )
    assert {row["created_at"] for row in rows} == {clock.now()}
    stored_hashes = {row["code_hash"] for row in rows}
    assert stored_hashes == {keys.keyed_hash(code, purpose=RECOVERY_PURPOSE) for code in codes}
    assert not stored_hashes & {secret_hash(code) for code in codes}, "no unkeyed hash is stored"
    assert "totp_enabled" in await actions_of(user)

    settings_page = await client.get("/account")
    assert 'data-testid="totp-status">Activée' in settings_page.text
    again = await client.get("/account/2fa/setup")
    assert again.url.path == "/account" and "déjà activée" in again.text


async def test_an_empty_2fa_form_names_every_missing_field_at_once(
    client: Client, clock: FixedClock
) -> None:
    user, secret, _ = await make_totp_user(client, clock, email="later@example.com")
    await make_creditor(email=EMAIL)
    await log_in(client, EMAIL)
    await client.get("/account/2fa/setup")

    setup = await post_form(client, "/account/2fa/setup", {})

    assert setup.status_code == 422
    assert field_error(setup.text, "code") == ENTER_CODE
    assert field_error(setup.text, "password") == "Saisissez votre mot de passe."
    assert form_error(setup.text) is None

    await post_form(client, "/logout", {})
    await log_in(client, "later@example.com")
    second_step = await submit_code(client, "")
    assert second_step.status_code == 422
    assert field_error(second_step.text, "code") == (
        "Saisissez le code affiché par votre application, ou un code de secours."
    )
    await submit_code(client, code_at(secret, clock))
    disable = await post_form(client, "/account/2fa/disable", {})
    assert field_error(disable.text, "disable_password") == "Saisissez votre mot de passe."
    regenerate = await post_form(client, "/account/2fa/recovery-codes", {})
    assert field_error(regenerate.text, "regenerate_code") == ENTER_CODE
    assert await actions_of(user) == ["login", "totp_enabled", "login"], "no check was tried"


async def test_setup_accepts_only_an_app_code_not_a_recovery_code_or_other_text(
    client: Client, clock: FixedClock
) -> None:
    user, _ = await make_creditor(email=EMAIL)
    await log_in(client, EMAIL)
    secret = secret_on((await client.get("/account/2fa/setup")).text)

    for typed, message in [
        ("abcde-fghij", SETUP_CODE_MISMATCH),
        ("abc", SETUP_CODE_MISMATCH),
        ("", ENTER_CODE),
    ]:
        refused = await post_form(
            client, "/account/2fa/setup", {"code": typed, "password": PASSWORD}
        )
        assert refused.status_code == 422, typed
        assert field_error(refused.text, "code") == message, typed
        assert form_error(refused.text) is None, typed
    stored = await User.objects().get(User.id == user.id)
    assert stored is not None
    assert stored.totp_enabled_at is None and stored.totp_secret is None
    assert stored.totp_last_step == 0
    assert await RecoveryCode.count().where(RecoveryCode.user == user.id) == 0

    done = await post_form(
        client, "/account/2fa/setup", {"code": code_at(secret, clock), "password": PASSWORD}
    )
    assert done.status_code == 200, "the secret shown first is still the one to prove"


async def test_login_asks_for_the_code_before_opening_the_session(
    client: Client, clock: FixedClock
) -> None:
    user, secret, _ = await make_totp_user(client, clock)
    page = await post_form(
        client, "/login", {"email": EMAIL, "password": PASSWORD, "next": "/account"}
    )
    assert page.url.path == "/login/2fa"
    assert "Vérification en deux étapes" in page.text
    blocked = await client.get("/app", follow_redirects=False)
    assert blocked.status_code == 303 and blocked.headers["location"].startswith("/login")

    wrong = await submit_code(client, "123456")
    assert wrong.status_code == 422
    assert field_error(wrong.text, "code") == WRONG_CODE
    assert form_error(wrong.text) is None
    failures = await AuditEvent.select().where(AuditEvent.action == "login_failed")
    assert [(f["user"], f["target"], f["is_success"]) for f in failures] == [
        (user.id, "totp", False)
    ]

    landed = await submit_code(client, code_at(secret, clock))
    assert landed.status_code == 200 and landed.url.path == "/account"
    assert (await client.get("/app", follow_redirects=False)).status_code == 200
    assert (await actions_of(user)).count("login") == 2  # before setup, and now


async def test_the_second_step_moves_the_pending_session_to_a_new_id(
    client: Client, clock: FixedClock, settings: Settings, redis: Redis
) -> None:
    _, secret, _ = await make_totp_user(client, clock)
    await log_in(client, EMAIL)
    pending = client.cookies.get("session")
    assert pending and await redis.exists(f"{settings.redis_prefix}:session:{pending}")

    landed = await submit_code(client, code_at(secret, clock))

    assert landed.url.path == "/app"
    logged_in = client.cookies.get("session")
    assert logged_in and logged_in != pending
    assert not await redis.exists(f"{settings.redis_prefix}:session:{pending}")


async def test_a_totp_code_is_accepted_only_once(client: Client, clock: FixedClock) -> None:
    _, secret, _ = await make_totp_user(client, clock)
    code = code_at(secret, clock)
    await log_in(client, EMAIL)
    assert (await submit_code(client, code)).url.path == "/app"
    await post_form(client, "/logout", {})

    await log_in(client, EMAIL)
    replay = await submit_code(client, code)
    assert replay.status_code == 422
    assert field_error(replay.text, "code") == CODE_ALREADY_USED
    assert (await client.get("/app", follow_redirects=False)).status_code == 303

    clock.advance(timedelta(seconds=30))
    assert (await submit_code(client, code_at(secret, clock))).url.path == "/app"


async def test_a_code_from_the_previous_time_step_is_still_accepted(
    client: Client, clock: FixedClock
) -> None:
    _, secret, _ = await make_totp_user(client, clock)
    slightly_late = code_at(secret, clock)
    clock.advance(timedelta(seconds=30))
    await log_in(client, EMAIL)
    assert (await submit_code(client, slightly_late)).url.path == "/app"
    await post_form(client, "/logout", {})

    clock.advance(timedelta(seconds=60))
    await log_in(client, EMAIL)
    too_old = await submit_code(client, slightly_late)
    assert too_old.status_code == 422


async def test_a_recovery_code_works_once_and_says_how_many_remain(
    client: Client, clock: FixedClock
) -> None:
    user, _, codes = await make_totp_user(client, clock)
    await log_in(client, EMAIL)
    typed = codes[0].upper().replace("-", " ")
    landed = await submit_code(client, typed)
    assert landed.url.path == "/app"
    assert flash_messages(landed.text) == [
        "Code de secours accepté. Il vous reste 9 codes de secours."
    ]
    assert "recovery_code_used" in await actions_of(user)
    await post_form(client, "/logout", {})

    await log_in(client, EMAIL)
    again = await submit_code(client, codes[0])
    assert again.status_code == 422
    assert field_error(again.text, "code") == WRONG_CODE
    assert (await submit_code(client, codes[1])).url.path == "/app"
    unused = await RecoveryCode.count().where(
        (RecoveryCode.user == user.id) & RecoveryCode.used_at.is_null()
    )
    assert unused == 8


async def test_the_last_recovery_codes_say_one_is_left_then_none_and_what_to_do(
    app: Litestar, client: Client, clock: FixedClock
) -> None:
    user, _, codes = await make_totp_user(client, clock)
    keys = app.state.data_keys
    kept = [keys.keyed_hash(code, purpose=RECOVERY_PURPOSE) for code in codes[:2]]
    await RecoveryCode.update({RecoveryCode.used_at: clock.now()}).where(
        (RecoveryCode.user == user.id) & RecoveryCode.code_hash.not_in(kept)
    )

    await log_in(client, EMAIL)
    one_left = await submit_code(client, codes[0])
    assert one_left.url.path == "/app"
    assert flash_messages(one_left.text) == [
        "Code de secours accepté. Il vous reste 1 code de secours."
    ]
    await post_form(client, "/logout", {})

    await log_in(client, EMAIL)
    last = await submit_code(client, codes[1])
    assert last.url.path == "/app"
    assert flash_messages(last.text) == [
        "Vous avez utilisé votre dernier code de secours : générez-en de nouveaux "
        "depuis « Mon compte »."
    ]


async def test_the_pending_second_step_works_for_five_minutes_then_expires(
    app: Litestar, client: Client, clock: FixedClock
) -> None:
    _, secret, _ = await make_totp_user(client, clock)
    async with make_client(app) as on_time:
        await log_in(on_time, EMAIL)
        clock.advance(timedelta(minutes=5))
        assert (await submit_code(on_time, code_at(secret, clock))).url.path == "/app"

    await log_in(client, EMAIL)
    clock.advance(timedelta(minutes=5, seconds=1))
    late = await submit_code(client, code_at(secret, clock))
    assert late.url.path == "/login"
    assert flash_items(late.text) == [
        ("error", "La vérification a expiré. Connectez-vous à nouveau.")
    ]
    assert (await client.get("/app", follow_redirects=False)).status_code == 303
    again = await client.get("/login/2fa")
    assert again.url.path == "/login", "nothing is pending any more"


async def test_the_second_step_page_without_a_password_step_sends_to_login(client: Client) -> None:
    response = await client.get("/login/2fa")
    assert response.url.path == "/login"
    posted = await submit_code(client, "123456")
    assert posted.url.path == "/login"


async def test_disabling_2fa_requires_the_password(client: Client, clock: FixedClock) -> None:
    user, secret, _ = await make_totp_user(client, clock)
    await log_in(client, EMAIL)
    await submit_code(client, code_at(secret, clock))

    refused = await post_form(client, "/account/2fa/disable", {"disable_password": "wrong-one-x"})
    assert refused.status_code == 422
    assert field_error(refused.text, "disable_password") == WRONG_PASSWORD
    assert form_error(refused.text) is None
    stored = await User.objects().get(User.id == user.id)
    assert stored is not None and stored.totp_enabled_at is not None

    done = await post_form(client, "/account/2fa/disable", {"disable_password": PASSWORD})
    assert done.url.path == "/account"
    assert "La double authentification est désactivée" in done.text
    assert 'data-testid="totp-status">Désactivée' in done.text
    stored = await User.objects().get(User.id == user.id)
    assert stored is not None
    assert stored.totp_secret is None and stored.totp_enabled_at is None
    assert await RecoveryCode.count().where(RecoveryCode.user == user.id) == 0
    actions = await actions_of(user)
    assert "totp_enabled" in actions and "totp_disabled" in actions

    await post_form(client, "/logout", {})
    page = await log_in(client, EMAIL)
    assert page.url.path == "/app", "no second step once 2FA is off"


async def test_new_recovery_codes_need_a_current_code_and_replace_the_old_ones(
    client: Client, clock: FixedClock
) -> None:
    user, secret, old_codes = await make_totp_user(client, clock)
    await log_in(client, EMAIL)
    await submit_code(client, code_at(secret, clock))

    refused = await post_form(client, "/account/2fa/recovery-codes", {"regenerate_code": "abc"})
    assert refused.status_code == 422
    assert field_error(refused.text, "regenerate_code") == WRONG_CODE
    assert form_error(refused.text) is None
    used_at_login = await post_form(
        client, "/account/2fa/recovery-codes", {"regenerate_code": code_at(secret, clock)}
    )
    assert used_at_login.status_code == 422
    assert field_error(used_at_login.text, "regenerate_code") == CODE_ALREADY_USED
    assert form_error(used_at_login.text) is None
    assert await RecoveryCode.count().where(RecoveryCode.user == user.id) == 10

    clock.advance(timedelta(seconds=30))
    response = await post_form(
        client, "/account/2fa/recovery-codes", {"regenerate_code": code_at(secret, clock)}
    )
    assert response.status_code == 200
    new_codes = recovery_codes_on(response.text)
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    assert "recovery_codes_regenerated" in await actions_of(user)
    await post_form(client, "/logout", {})

    await log_in(client, EMAIL)
    assert (await submit_code(client, old_codes[0])).status_code == 422
    assert (await submit_code(client, new_codes[0])).url.path == "/app"


async def test_account_without_password_changes_2fa_with_a_code_only(
    client: Client, clock: FixedClock
) -> None:
    user, _ = await make_creditor(email=EMAIL)
    await log_in(client, EMAIL)
    await User.update({User.password_hash: None}).where(User.id == user.id)  # identity provider
    page = await client.get("/account/2fa/setup")
    assert 'name="password"' not in page.text
    secret = secret_on(page.text)
    enabled = await post_form(client, "/account/2fa/setup", {"code": code_at(secret, clock)})
    assert enabled.status_code == 200 and len(recovery_codes_on(enabled.text)) == 10

    settings_page = await client.get("/account")
    assert 'name="disable_code"' in settings_page.text
    same_step = await post_form(
        client, "/account/2fa/disable", {"disable_code": code_at(secret, clock)}
    )
    assert same_step.status_code == 422, "the code used at setup is spent"
    assert field_error(same_step.text, "disable_code") == CODE_ALREADY_USED
    assert form_error(same_step.text) is None
    clock.advance(timedelta(seconds=30))
    done = await post_form(client, "/account/2fa/disable", {"disable_code": code_at(secret, clock)})
    assert done.url.path == "/account"
    stored = await User.objects().get(User.id == user.id)
    assert stored is not None and stored.totp_enabled_at is None


async def test_sixth_wrong_code_from_one_ip_is_rate_limited(
    client: Client, clock: FixedClock
) -> None:
    _, secret, _ = await make_totp_user(client, clock)
    await log_in(client, EMAIL)
    statuses = []
    for wrong in ["000000", "abc", "", "zzzzz-zzzzz", "12345678901234567890", "111111"]:
        statuses.append((await submit_code(client, wrong)).status_code)
    assert statuses == [422] * 5 + [429]
    right = await submit_code(client, code_at(secret, clock))
    assert right.status_code == 429
    assert "Trop de tentatives" in right.text


async def test_password_reset_does_not_bypass_the_second_factor(
    client: Client, clock: FixedClock, run_worker, outbox
) -> None:
    _, secret, _ = await make_totp_user(client, clock)
    await post_form(client, "/password/forgot", {"email": EMAIL})
    await run_worker()
    [email] = outbox(EMAIL)
    path = link_in(email.text, "/password/reset/")
    new_password = "a brand new passphrase"
    done = await post_form(
        client, path, {"password": new_password, "password_confirm": new_password}
    )
    assert done.url.path == "/login"
    assert (await client.get("/app", follow_redirects=False)).status_code == 303

    page = await log_in(client, EMAIL, new_password)
    assert page.url.path == "/login/2fa"
    assert (await client.get("/app", follow_redirects=False)).status_code == 303
    assert (await submit_code(client, code_at(secret, clock))).url.path == "/app"


async def test_a_2fa_form_sent_once_2fa_is_off_explains_it_on_the_account_page(
    client: Client,
) -> None:
    """A page left open elsewhere: the form it posts is gone from the account page."""
    await make_creditor(email="never@totp.example")
    await log_in(client, "never@totp.example")
    for path, fields in (
        ("/account/2fa/disable", {"disable_password": PASSWORD}),
        ("/account/2fa/recovery-codes", {"regenerate_code": "123456"}),
    ):
        page = await post_form(client, path, fields)
        assert page.status_code == 200 and page.url.path == "/account", path
        assert flash_items(page.text) == [
            ("error", "La double authentification n'est pas activée.")
        ]


async def test_a_code_sent_after_two_factor_was_turned_off_elsewhere_is_refused_at_the_code(
    client: Client, clock: FixedClock
) -> None:
    """The password step passed while 2FA was on; it was turned off before the code came."""
    user, secret, _ = await make_totp_user(client, clock)
    second_step = await log_in(client, EMAIL)
    assert second_step.url.path == "/login/2fa"
    await User.update({User.totp_enabled_at: None}).where(User.id == user.id)

    refused = await submit_code(client, code_at(secret, clock))

    assert refused.status_code == 422
    assert field_error(refused.text, "code") == WRONG_CODE
    assert form_error(refused.text) is None
    assert (await client.get("/app", follow_redirects=False)).status_code == 303
