"""Cross-cutting web behaviour: security headers, error pages, language, health."""

from __future__ import annotations

import re

import httpx
import pytest

from app.accounts.rules import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from tests.factories import flash_items, log_in, make_creditor, post_form, printed_siren

Client = httpx.AsyncClient


async def test_every_response_carries_security_headers(client: Client) -> None:
    for path in ["/", "/login", "/does-not-exist", "/healthz"]:
        response = await client.get(path)
        csp = response.headers["content-security-policy"]
        assert (
            "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
        )
        assert "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"


async def test_unknown_page_is_a_french_404_page(client: Client) -> None:
    response = await client.get("/nulle-part")
    assert response.status_code == 404
    assert "Page introuvable" in response.text
    assert response.headers["content-type"].startswith("text/html")


async def test_routing_errors_show_a_logged_in_user_the_app_header_with_a_working_logout(
    client: Client,
) -> None:
    _, org = await make_creditor(email="lost@example.com")
    await log_in(client, "lost@example.com")
    invitation = {"email": "colleague@example.com", "role": "member"}
    await post_form(client, "/app/members/invitations", invitation, follow_redirects=False)

    unknown = await client.get("/nulle-part")
    wrong_method = await post_form(client, "/app/members", {})  # a page, not a form address

    answers = ((unknown, 404, "Page introuvable"), (wrong_method, 405, "Méthode non autorisée"))
    for response, status, title in answers:
        assert response.status_code == status
        assert title in response.text
        assert org.name in response.text, "the app header names the organisation"
        assert "Se déconnecter" in response.text and "Se connecter<" not in response.text
        assert flash_items(response.text) == []
    notices = flash_items((await client.get("/app/members")).text)
    assert notices == [("success", "L'invitation a été envoyée.")], "the notice waited for a page"
    # The header's logout form carries a token the CSRF check accepts.
    [token] = re.findall(r'name="_csrf_token" value="([^"]+)"', unknown.text)[:1]
    logged_out = await client.post("/logout", data={"_csrf_token": token})
    assert logged_out.url.path == "/"
    assert (await client.get("/app", follow_redirects=False)).status_code == 303


async def test_routing_errors_show_a_visitor_the_public_header(client: Client) -> None:
    unknown = await client.get("/nulle-part")
    assert unknown.status_code == 404
    assert "Se connecter" in unknown.text and "Se déconnecter" not in unknown.text


async def test_the_header_prints_the_siren_in_groups_and_marks_the_page_being_shown(
    client: Client,
) -> None:
    _, org = await make_creditor(email="reader@example.com")
    await log_in(client, "reader@example.com")

    members = await client.get("/app/members")

    assert f"SIREN {printed_siren(org.siren)}" in members.text
    current = re.findall(r'<a href="([^"]+)" aria-current="page">', members.text)
    assert current == ["/app/members"]
    assert re.findall(
        r'<a href="([^"]+)" aria-current="page">', (await client.get("/app")).text
    ) == ["/app"]


@pytest.mark.parametrize(
    ("header", "joined"),
    [("en-GB,en;q=0.9", "1 January 2026"), ("en-US,en;q=0.9", "January 1, 2026")],
)
async def test_english_dates_follow_the_browsers_region(
    client: Client, header: str, joined: str
) -> None:
    await make_creditor(email="abroad@example.com", locale="en")
    await log_in(client, "abroad@example.com")

    members = await client.get("/app/members", headers={"accept-language": header})

    assert "Member since" in members.text
    assert f"<td>{joined}</td>" in members.text


async def test_english_is_chosen_from_accept_language(client: Client) -> None:
    response = await client.get("/", headers={"accept-language": "en-GB,en;q=0.9,fr;q=0.5"})
    assert '<html lang="en">' in response.text
    assert "Get paid on time." in response.text
    french = await client.get("/", headers={"accept-language": "fr-FR"})
    assert "Faites-vous payer à l'heure." in french.text


async def test_language_cookie_beats_accept_language(client: Client) -> None:
    await client.get("/login")
    token = client.cookies.get("csrftoken")
    await client.post("/locale", data={"locale": "en", "next": "/", "_csrf_token": token})
    response = await client.get("/", headers={"accept-language": "fr-FR"})
    assert '<html lang="en">' in response.text


async def test_health_reports_worker_after_heartbeat(client: Client, settings, redis) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["ok"] is False
    assert response.json()["checks"]["database"]["ok"] is True

    from datetime import UTC, datetime

    from workers.health import heartbeat

    await heartbeat({"settings": settings, "redis": redis, "clock": _Now(datetime.now(UTC))})  # noqa: TID251
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["ok"] is True


class _Now:
    def __init__(self, at) -> None:
        self.at = at

    def now(self):
        return self.at


async def test_liveness_needs_only_the_database(client: Client) -> None:
    response = await client.get("/healthz/live")
    assert response.status_code == 200
    assert response.json() == {"ok": True, "checks": {"database": {"ok": True, "detail": "ok"}}}


async def test_form_errors_are_in_the_language_of_the_page(client: Client) -> None:
    """Field errors come from shared macros: they must speak the page's language too, with
    the limits filled in."""
    await client.get("/login")
    english = {"accept-language": "en-GB,en;q=0.9"}
    expected = {
        "short": f"The password must be at least {PASSWORD_MIN_LENGTH} characters long.",
        "x" * (PASSWORD_MAX_LENGTH + 1): (
            f"This field is too long ({PASSWORD_MAX_LENGTH} characters at most)."
        ),
    }
    for password, message in expected.items():
        response = await client.post(
            "/signup",
            data={
                "full_name": "Claire Dupont",
                "email": "claire@example.com",
                "organisation_name": "Dupont Menuiserie",
                "siren": "123",
                "password": password,
                "_csrf_token": client.cookies["csrftoken"],
            },
            headers=english,
        )
        assert response.status_code == 422 and '<html lang="en">' in response.text
        error = re.search(r'<p class="error" id="error-password">([^<]*)</p>', response.text)
        assert error is not None and error.group(1) == message
        assert "Le mot de passe" not in response.text
