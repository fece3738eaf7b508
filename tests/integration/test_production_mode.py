"""What changes when Ponctuel runs in production behind HTTPS."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from app.db import bind_engine, engine_for
from app.main import create_app
from app.piccolo_app import ALL_TABLES
from app.settings import Settings
from tests.factories import OPERATOR, PASSWORD, make_creditor

PRODUCTION_SECRETS = {
    "secret_key": "s" * 48,
    "encryption_keys": (("k2026", "A" * 43),),
    "argon2_profile": "rfc9106_low_memory",
    **OPERATOR,
}


@pytest.mark.postgres_only
async def test_production_hides_the_dev_outbox_and_uses_secure_cookies(settings: Settings) -> None:
    production = dataclasses.replace(
        settings,
        environment="production",
        base_url="https://ponctuel.example.com",
        **PRODUCTION_SECRETS,  # type: ignore[arg-type]
    )
    app = create_app(production)
    await make_creditor(email="owner@example.com")
    async with (
        LifespanManager(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="https://ponctuel.example.com"
        ) as client,
    ):
        assert (await client.get("/dev/outbox")).status_code == 404
        assert (await client.get("/dev/styleguide")).status_code == 404

        page = await client.get("/login")
        assert "max-age=31536000" in page.headers["strict-transport-security"]
        assert "upgrade-insecure-requests" in page.headers["content-security-policy"]
        csrf_cookie = page.headers["set-cookie"]
        assert csrf_cookie.startswith("__Host-csrftoken=") and "Secure" in csrf_cookie

        token = client.cookies.get("__Host-csrftoken")
        response = await client.post(
            "/login",
            data={"email": "owner@example.com", "password": PASSWORD, "_csrf_token": token},
        )
        session_cookie = next(
            value
            for value in response.headers.get_list("set-cookie")
            if value.startswith("__Host-session=")
        )
        assert "Secure" in session_cookie and "HttpOnly" in session_cookie
        assert "SameSite=lax" in session_cookie.replace("samesite", "SameSite")
        assert "Path=/" in session_cookie.replace("path", "Path")

        notice = await client.get("/mentions-legales")
        assert "Relances Rapides SAS" in notice.text and "Alex Dupont" in notice.text
        assert 'data-testid="example-operator"' not in notice.text
        privacy = await client.get("/confidentialite")
        assert "<code>__Host-session</code>" in privacy.text


async def test_database_outage_gives_the_error_page_and_an_unhealthy_report(
    settings: Settings, tmp_path: Path
) -> None:
    """A database that cannot be opened: the visitor gets the 500 page, never a traceback."""
    down = dataclasses.replace(settings, database_url=f"sqlite:///{tmp_path}")  # a directory
    app = create_app(down)
    try:
        async with (
            LifespanManager(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver.local"
            ) as client,
        ):
            page = await client.get("/login")
            token = client.cookies.get("csrftoken")
            response = await client.post(
                "/login",
                data={"email": "owner@example.com", "password": PASSWORD, "_csrf_token": token},
            )
            assert response.status_code == 500
            assert "Une erreur est survenue" in response.text
            assert "Traceback" not in response.text
            assert "script-src 'self'" in response.headers["content-security-policy"]
            assert page.status_code == 200

            health = await client.get("/healthz")
            assert health.status_code == 503
            assert health.json()["checks"]["database"]["ok"] is False
    finally:
        bind_engine(engine_for(settings), ALL_TABLES)
