"""Limits that hold under parallel requests: per client address, and per account for codes and
current passwords, with the lockout page, its audit event and its one notice email."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta

import httpx
import pyotp
import pytest
from asgi_lifespan import LifespanManager
from litestar import Litestar
from redis.asyncio import Redis

from app.accounts.service.totp import TOTP_PURPOSE
from app.accounts.tables import AuditEvent, User
from app.clock import Clock, FixedClock
from app.main import create_app
from app.ratelimit import RateLimiter
from app.settings import Settings
from tests.conftest import make_client
from tests.factories import PASSWORD, log_in, make_creditor, post_form

Client = httpx.AsyncClient
NEW_PASSWORD = "a brand new passphrase for 2026"


@pytest.fixture
def app_clock(clock: FixedClock) -> Clock:
    """The app decides windows and code steps on the test's clock."""
    return clock


async def turn_on_totp(app: Litestar, user: User, clock: FixedClock) -> str:
    """Give the user an authenticator seed, as the setup page would; returns the seed."""
    secret = pyotp.random_base32(32)
    sealed = app.state.data_keys.encrypt(secret, purpose=TOTP_PURPOSE)
    await User.update({User.totp_secret: sealed, User.totp_enabled_at: clock.now()}).where(
        User.id == user.id
    )
    return secret


def right_code(secret: str, clock: FixedClock) -> str:
    return str(pyotp.TOTP(secret).at(clock.now()))


def wrong_codes(secret: str, clock: FixedClock, count: int) -> list[str]:
    """Six-digit codes that no step near now accepts."""
    totp = pyotp.TOTP(secret)
    near = {totp.at(clock.now() + timedelta(seconds=30 * k)) for k in range(-3, 4)}
    candidates = [f"{n:06d}" for n in range(count + len(near))]
    return [code for code in candidates if code not in near][:count]


async def locked_events(user: User) -> list[tuple[str, str]]:
    rows = await AuditEvent.select(AuditEvent.target, AuditEvent.ip).where(
        (AuditEvent.user == user.id) & (AuditEvent.action == "account_locked")
    )
    return [(row["target"], row["ip"]) for row in rows]


async def change_password(client: Client, current: str) -> httpx.Response:
    return await post_form(
        client,
        "/account/password",
        {"current_password": current, "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
    )


# --- per client address ----------------------------------------------------------------------


async def test_thirty_parallel_wrong_passwords_from_one_address_get_only_the_limit_of_answers(
    client: Client, settings: Settings
) -> None:
    await make_creditor(email="parallel@example.com")
    await client.get("/login")
    responses = await asyncio.gather(
        *[
            post_form(client, "/login", {"email": "parallel@example.com", "password": f"no-{n}"})
            for n in range(30)
        ]
    )
    statuses = sorted(response.status_code for response in responses)
    limit = settings.login_rate_limit
    assert statuses == [422] * limit + [429] * (30 - limit)
    refused = next(r for r in responses if r.status_code == 429)
    assert "Trop de tentatives depuis votre réseau (la même adresse IP)" in refused.text


# --- per account: second factor --------------------------------------------------------------


async def test_forty_parallel_wrong_codes_from_forty_addresses_pause_the_account_once(
    settings: Settings, clock: FixedClock, run_worker, outbox
) -> None:
    app = create_app(dataclasses.replace(settings, trust_fly_client_ip=True), clock=clock)
    email = "forty@example.com"
    user, _ = await make_creditor(email=email)
    async with LifespanManager(app), make_client(app) as client:
        secret = await turn_on_totp(app, user, clock)
        assert (await log_in(client, email)).url.path == "/login/2fa"
        addresses = [f"198.51.100.{n}" for n in range(1, 41)]
        responses = await asyncio.gather(
            *[
                post_form(client, "/login/2fa", {"code": code}, headers={"fly-client-ip": ip})
                for code, ip in zip(wrong_codes(secret, clock, 40), addresses, strict=True)
            ]
        )
        statuses = sorted(response.status_code for response in responses)
        limit = settings.account_attempt_limit
        assert statuses == [422] * limit + [429] * (40 - limit)

        # 09:30 UTC with 30-minute windows: checks resume at 10:00 UTC, 11:00 in Paris.
        locked = await post_form(
            client, "/login/2fa", {"code": right_code(secret, clock)}, headers=_ip("192.0.2.1")
        )
        assert locked.status_code == 429, "the right code is refused while the account is paused"
        assert "Vérifications suspendues" in locked.text
        assert "Trop de codes de vérification incorrects" in locked.text
        assert "jusqu'au 23/11/2026 11:00 (heure de Paris)" in locked.text
        assert locked.headers["retry-after"] == "1800"
        assert (await client.get("/app", follow_redirects=False)).status_code == 303

        [(kind, ip)] = await locked_events(user)
        assert kind == "second_factor" and ip in addresses
        await run_worker()
        [notice] = outbox(email)
        assert notice.subject == "Vérifications de sécurité suspendues sur votre compte Ponctuel"
        assert "Trop de codes de vérification incorrects ont été saisis" in notice.text
        assert "mots de passe incorrects" not in notice.text
        assert f"l'adresse IP {ip}, le 23/11/2026 10:30" in notice.text
        assert "jusqu'au 23/11/2026 11:00" in notice.text
        assert "http://testserver.local/password/forgot" in notice.text
        assert "ferme aussi toutes les autres sessions" in notice.text

        clock.advance(timedelta(minutes=settings.account_lockout_minutes))
        await log_in(client, email)  # the pending login has expired meanwhile
        landed = await post_form(
            client, "/login/2fa", {"code": right_code(secret, clock)}, headers=_ip("192.0.2.1")
        )
        assert landed.status_code == 200 and landed.url.path == "/app"
    await run_worker()
    assert len(outbox(email)) == 1, "one notice per lockout"


def _ip(address: str) -> dict[str, str]:
    return {"fly-client-ip": address}


# --- per account: current password -----------------------------------------------------------


async def test_a_right_current_password_gives_its_attempt_back(
    client: Client, settings: Settings
) -> None:
    await make_creditor(email="refund@example.com")
    await log_in(client, "refund@example.com")
    limit = settings.account_attempt_limit
    for _ in range(limit - 1):
        assert (await change_password(client, "not-my-password")).status_code == 422
    changed = await change_password(client, PASSWORD)
    assert changed.status_code == 200 and "Votre mot de passe a été modifié" in changed.text
    last = await change_password(client, "still-not-my-password")
    assert last.status_code == 422, "the successful check did not use up the allowance"
    assert "Le mot de passe actuel est incorrect" in last.text
    assert (await change_password(client, "and-again-not-it")).status_code == 429


async def test_current_password_checks_share_one_allowance_across_forms_and_warn_in_english(
    app: Litestar, client: Client, settings: Settings, clock: FixedClock, run_worker, outbox
) -> None:
    email = "english@example.com"
    user, _ = await make_creditor(email=email, locale="en")
    secret = await turn_on_totp(app, user, clock)
    await log_in(client, email)
    await post_form(client, "/login/2fa", {"code": right_code(secret, clock)})
    limit = settings.account_attempt_limit
    statuses = []
    for n in range(limit):
        if n % 2:
            response = await change_password(client, f"wrong-{n}")
        else:
            response = await post_form(
                client, "/account/2fa/disable", {"disable_password": f"wrong-{n}"}
            )
        statuses.append(response.status_code)
    assert statuses == [422] * limit
    locked = await change_password(client, PASSWORD)
    assert locked.status_code == 429, "the right password waits too"
    assert "Checks paused" in locked.text
    assert "Too many wrong passwords were entered for this account." in locked.text
    assert "11:00" in locked.text and "(Paris time)" in locked.text
    assert await locked_events(user) == [("current_password", "127.0.0.1")]
    stored = await User.objects().get(User.id == user.id)
    assert stored is not None and stored.totp_enabled_at is not None, "2FA stays on"

    await run_worker()
    [notice] = outbox(email)
    assert notice.subject == "Security checks paused on your Ponctuel account"
    assert "Too many wrong passwords were entered for your Ponctuel account" in notice.text
    assert "the IP address 127.0.0.1" in notice.text
    assert "http://testserver.local/password/forgot" in notice.text
    assert notice.html is not None and "Change your password" in notice.html


async def test_a_paused_password_allowance_leaves_code_checks_open(
    app: Litestar, client: Client, settings: Settings, clock: FixedClock
) -> None:
    user, _ = await make_creditor(email="apart@example.com")
    secret = await turn_on_totp(app, user, clock)
    await log_in(client, "apart@example.com")
    await post_form(client, "/login/2fa", {"code": right_code(secret, clock)})
    for n in range(settings.account_attempt_limit + 1):
        await change_password(client, f"wrong-{n}")
    assert (await change_password(client, PASSWORD)).status_code == 429

    clock.advance(timedelta(seconds=30))
    regenerated = await post_form(
        client, "/account/2fa/recovery-codes", {"regenerate_code": right_code(secret, clock)}
    )
    assert regenerated.status_code == 200
    assert 'data-testid="recovery-codes"' in regenerated.text


async def test_second_factor_checks_of_the_account_page_count_too(
    settings: Settings, clock: FixedClock
) -> None:
    # A roomy per-address limit, so that only the account's allowance can refuse.
    app = create_app(dataclasses.replace(settings, login_rate_limit=50), clock=clock)
    user, _ = await make_creditor(email="regen@example.com")
    async with LifespanManager(app), make_client(app) as client:
        secret = await turn_on_totp(app, user, clock)
        await log_in(client, "regen@example.com")
        await post_form(client, "/login/2fa", {"code": right_code(secret, clock)})
        clock.advance(timedelta(seconds=30))
        limit = settings.account_attempt_limit
        statuses = []
        for code in wrong_codes(secret, clock, limit):
            response = await post_form(
                client, "/account/2fa/recovery-codes", {"regenerate_code": code}
            )
            statuses.append(response.status_code)
        right = await post_form(
            client, "/account/2fa/recovery-codes", {"regenerate_code": right_code(secret, clock)}
        )
    assert statuses == [422] * limit and right.status_code == 429
    assert "Trop de codes de vérification incorrects" in right.text
    assert await locked_events(user) == [("second_factor", "127.0.0.1")]


# --- counters ----------------------------------------------------------------------------------


async def _counters(redis: Redis, prefix: str, action: str) -> list[bytes]:
    return [key async for key in redis.scan_iter(match=f"{prefix}:ratelimit:{action}:*")]


async def test_every_counter_has_an_expiry_from_its_first_hit(
    settings: Settings, redis: Redis
) -> None:
    limiter = RateLimiter(redis, prefix=settings.redis_prefix)
    await limiter.hit("probe", "203.0.113.5", limit=3, window_seconds=60)
    now = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    await limiter.hit_in_window("windowed", "42", limit=3, window_seconds=600, now=now)
    [plain] = await _counters(redis, settings.redis_prefix, "probe")
    [windowed] = await _counters(redis, settings.redis_prefix, "windowed")
    assert 0 < await redis.ttl(plain) <= 60
    assert 0 < await redis.ttl(windowed) <= 600


async def test_a_counter_left_without_expiry_gets_one_at_its_next_hit(
    settings: Settings, redis: Redis
) -> None:
    limiter = RateLimiter(redis, prefix=settings.redis_prefix)
    await limiter.hit("stale", "203.0.113.6", limit=3, window_seconds=60)
    [counter] = await _counters(redis, settings.redis_prefix, "stale")
    await redis.persist(counter)  # as if a process had died between counting and expiring
    assert await redis.ttl(counter) == -1
    hit = await limiter.hit("stale", "203.0.113.6", limit=3, window_seconds=60)
    assert hit.count == 2
    assert 0 < await redis.ttl(counter) <= 60
