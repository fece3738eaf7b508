"""Rate limits (per address, behind Fly's proxy, under concurrent attempts) and email retries."""

from __future__ import annotations

import dataclasses

import httpx
import pytest
from arq import Retry
from asgi_lifespan import LifespanManager
from redis.asyncio import Redis

from app.main import create_app
from app.messaging.email import QueuedEmail
from app.messaging.outbox import free_port
from app.ratelimit import RateLimiter
from app.settings import Settings
from app.web import make_environment
from tests.conftest import make_client
from tests.factories import make_creditor, post_form
from workers.email import send_email


async def _wrong_logins(client: httpx.AsyncClient, ip: str, count: int) -> list[int]:
    statuses = []
    for _ in range(count):
        response = await post_form(
            client,
            "/login",
            {"email": "owner@example.com", "password": "wrong-password-x"},
            headers={"fly-client-ip": ip},
        )
        statuses.append(response.status_code)
    return statuses


async def test_behind_fly_the_limit_is_per_fly_client_ip(settings: Settings) -> None:
    app = create_app(dataclasses.replace(settings, trust_fly_client_ip=True))
    await make_creditor(email="owner@example.com")
    async with LifespanManager(app), make_client(app) as client:
        assert await _wrong_logins(client, "203.0.113.7", 6) == [422] * 5 + [429]
        assert await _wrong_logins(client, "198.51.100.9", 1) == [422]


async def test_without_fly_the_client_header_is_ignored(client: httpx.AsyncClient) -> None:
    await make_creditor(email="owner@example.com")
    assert await _wrong_logins(client, "203.0.113.7", 5) == [422] * 5
    assert await _wrong_logins(client, "198.51.100.9", 1) == [429], (
        "a forged header changes nothing"
    )


def _job_context(settings: Settings, redis: Redis, job_try: int = 1) -> dict[str, object]:
    return {
        "settings": settings,
        "job_try": job_try,
        "templates": make_environment(),
        "limiter": RateLimiter(redis, prefix=settings.redis_prefix),
    }


def _queued(to: str = "someone@example.com", **context: str) -> dict[str, object]:
    email = QueuedEmail(
        template="account_exists",
        to=to,
        subject="Vous avez déjà un compte Ponctuel",
        locale="fr",
        context={"login_link": "http://x/login", "reset_link": "http://x/reset", **context},
    )
    return dataclasses.asdict(email)


async def test_email_job_asks_for_a_retry_while_smtp_is_down(
    settings: Settings, redis: Redis
) -> None:
    closed = dataclasses.replace(settings, smtp_port=free_port())
    with pytest.raises(Retry) as retry:
        await send_email(_job_context(closed, redis, job_try=2), _queued())
    assert retry.value.defer_score == 10_000  # 2nd try: 10 s later, in milliseconds


async def test_email_job_composes_and_delivers_through_smtp(
    settings: Settings, redis: Redis, outbox
) -> None:
    await send_email(_job_context(settings, redis), _queued())
    [received] = outbox("someone@example.com")
    assert received.subject == "Vous avez déjà un compte Ponctuel"
    assert "http://x/reset" in received.text
    assert received.html is not None and "http://x/login" in received.html
