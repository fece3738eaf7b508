"""The address rate limits count by, with the app served as `python -m app.serve` serves it.

uvicorn runs with app.serve.uvicorn_options on a real socket: a client cannot pick its own
address with X-Forwarded-For, Forwarded, X-Real-IP or Fly-Client-IP, unless the settings
name a proxy that may set them.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx

from app.accounts.tables import AuditEvent
from app.main import create_app
from app.serve import uvicorn_options
from app.settings import Settings
from tests.factories import make_creditor
from tests.servers import serve_asgi

WRONG = {"email": "owner@example.com", "password": "not the password"}


def _served_as_in_production(settings: Settings) -> dict[str, Any]:
    """uvicorn_options, minus what only applies to `uvicorn.run` (factory, host and port)."""
    options = uvicorn_options(settings)
    for key in ("factory", "host", "port"):
        options.pop(key)
    return options


def _spoofed(n: int) -> dict[str, str]:
    return {
        "x-forwarded-for": f"203.0.113.{n}",
        "forwarded": f"for=192.0.2.{n}",
        "x-real-ip": f"198.18.0.{n}",
        "fly-client-ip": f"198.51.100.{n}",
    }


async def _wrong_logins(settings: Settings, count: int) -> list[int]:
    """`count` wrong passwords from this socket, each claiming another address in its headers."""
    app = create_app(settings)
    statuses = []
    async with (
        serve_asgi(app, options=_served_as_in_production(settings)) as base_url,
        httpx.AsyncClient(base_url=base_url) as browser,
    ):
        await browser.get("/login")
        for n in range(count):
            data = {**WRONG, "_csrf_token": browser.cookies["csrftoken"]}
            response = await browser.post("/login", data=data, headers=_spoofed(n))
            statuses.append(response.status_code)
    return statuses


async def test_spoofed_forwarding_headers_do_not_change_the_rate_limited_address(
    settings: Settings,
) -> None:
    await make_creditor(email="owner@example.com")
    assert settings.forwarded_allow_ips == "" and not settings.trust_fly_client_ip

    statuses = await _wrong_logins(settings, 6)

    assert statuses == [422] * 5 + [429]
    rows = await AuditEvent.select(AuditEvent.ip).where(AuditEvent.action == "login_failed")
    assert {row["ip"] for row in rows} == {"127.0.0.1"}


async def test_a_proxy_named_in_forwarded_allow_ips_does_set_the_address(
    settings: Settings,
) -> None:
    """The counterpart: the headers above would count if the proxy were trusted."""
    await make_creditor(email="owner@example.com")
    behind_proxy = dataclasses.replace(settings, forwarded_allow_ips="127.0.0.1")

    statuses = await _wrong_logins(behind_proxy, 6)

    assert statuses == [422] * 6
    rows = await AuditEvent.select(AuditEvent.ip).where(AuditEvent.action == "login_failed")
    assert sorted(row["ip"] for row in rows) == sorted(f"203.0.113.{n}" for n in range(6))


async def test_head_works_through_the_production_server(settings: Settings) -> None:
    """What `curl -I /` does: the headers of the home page, no body."""
    async with (
        serve_asgi(create_app(settings), options=_served_as_in_production(settings)) as url,
        httpx.AsyncClient(base_url=url) as curl,
    ):
        page = await curl.get("/")
        head = await curl.head("/")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(page.content))
    assert "server" not in head.headers, "uvicorn's Server header is off"
