"""CSRF: every route that changes something refuses a request that lacks the token.

Driven by the route table: each handler of `app.routes` that accepts POST, PUT, PATCH or DELETE
gets a request without the CSRF token (the cookie is there, as in a cross-site form post) from
a logged-in owner, so that the guards alone would let it through, with path values and form
fields that would otherwise make it work. Every answer must be 403 and every row of every table
must be as before. A new route is covered without editing this file; the only way out is
CSRF_EXEMPT, with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from litestar import Litestar

from app.accounts import rules
from app.accounts.service.auth import issue_token
from app.accounts.tables import Invitation, Membership, Role, TokenPurpose
from app.clock import SystemClock
from app.piccolo_app import ALL_TABLES
from tests.factories import PASSWORD, log_in, make_creditor, make_organisation, make_user

Client = httpx.AsyncClient

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Handler name -> why a request forged from another site can do no harm there. Today: none.
CSRF_EXEMPT: dict[str, str] = {}

AT = datetime(2026, 1, 1, tzinfo=UTC)
NEW_PASSWORD = "another long passphrase"
# Handler name -> the fields of a request that would succeed with the token.
FORMS: dict[str, dict[str, str]] = {
    "accounts.signup_submit": {
        "full_name": "Forged Signup",
        "email": "forged@example.com",
        "organisation_name": "Forged SARL",
        "siren": "404833048",
        "password": PASSWORD,
    },
    "accounts.login_submit": {"email": "owner@example.com", "password": PASSWORD},
    "accounts.forgot_password_submit": {"email": "owner@example.com"},
    "accounts.reset_password_submit": {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
    "accounts.change_password": {
        "current_password": PASSWORD,
        "password": NEW_PASSWORD,
        "password_confirm": NEW_PASSWORD,
    },
    "accounts.set_locale": {"locale": "en", "next": "/"},
    "accounts.invite": {"email": "forged-invitee@example.com", "role": "owner"},
    "accounts.change_role": {"role": "owner"},
    "accounts.accept_invitation": {"full_name": "Forged", "password": PASSWORD},
    "accounts.totp_disable": {"disable_password": PASSWORD},
}


@dataclass(frozen=True)
class Seed:
    """What makes each request valid: path values by parameter name or by route, more fields."""

    by_name: dict[str, str]
    by_route: dict[str, dict[str, str]]
    forms: dict[str, dict[str, str]]


async def _invitation(organisation_id: int, email: str) -> tuple[int, str]:
    secret = rules.new_secret()
    invitation = Invitation(
        organisation=organisation_id,
        email=email,
        role=Role.MEMBER,
        token_hash=rules.secret_hash(secret),
        expires_at=datetime(2100, 1, 1, tzinfo=UTC),
        created_at=AT,
    )
    await invitation.save()
    return int(invitation.id), secret


async def _seed() -> Seed:
    """An owner with a colleague, a pending invitation, an invitation of their own to another
    organisation, a third organisation to switch to, and live emailed tokens."""
    owner, org = await make_creditor(email="owner@example.com")
    colleague, _ = await make_creditor(role=Role.MEMBER, organisation=org)
    membership = await Membership.objects().get(Membership.user == colleague.id)
    assert membership is not None
    invitation_id, _ = await _invitation(org.id, "pending@example.com")
    _, invited_owner = await _invitation((await make_organisation()).id, owner.email)
    _, elsewhere = await make_creditor(organisation=await make_organisation())
    await Membership(
        user=owner.id, organisation=elsewhere.id, role=Role.MEMBER, created_at=AT
    ).save()
    unverified = await make_user(verified=False)
    clock = SystemClock()
    verify = await issue_token(
        user_id=unverified.id, purpose=TokenPurpose.VERIFY_EMAIL, clock=clock
    )
    reset = await issue_token(user_id=owner.id, purpose=TokenPurpose.RESET_PASSWORD, clock=clock)
    return Seed(
        by_name={"membership_id": str(membership.id), "invitation_id": str(invitation_id)},
        by_route={
            "/verify/{token:str}": {"token": verify},
            "/password/reset/{token:str}": {"token": reset},
            "/invitations/{token:str}": {"token": invited_owner},
        },
        forms={"accounts.switch_organisation": {"organisation_id": str(elsewhere.id)}},
    )


def _unsafe_handlers(app: Litestar) -> list[tuple[str, str, Any]]:
    """(method, handler name, route) for every unsafe method the app serves."""
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in sorted(set(handler.http_methods) & UNSAFE_METHODS):
                found.append((method, handler.name or route.path, route))
    return found


def _url(route: Any, seed: Seed) -> str:
    """The route's URL with the seeded values; any other parameter gets a value of its type."""
    values = {**seed.by_name, **seed.by_route.get(route.path, {})}
    url = route.path_format
    for name, parameter in route.path_parameters.items():
        fallback = "1" if parameter.type is int else "x"
        url = url.replace("{" + name + "}", values.get(name, fallback))
    return str(url)


async def _every_row() -> dict[str, list[dict[str, Any]]]:
    return {
        table._meta.tablename: await table.select().order_by(table._meta.primary_key)
        for table in ALL_TABLES
    }


async def test_every_unsafe_route_refuses_a_request_without_the_csrf_token(
    app: Litestar, client: Client
) -> None:
    seed = await _seed()
    await log_in(client, "owner@example.com")
    session = client.cookies.get("session")
    handlers = _unsafe_handlers(app)
    assert {"accounts.invite", "accounts.logout"} <= {name for _, name, _ in handlers}

    accepted = []
    for method, name, route in handlers:
        if name in CSRF_EXEMPT:
            continue
        before = await _every_row()
        response = await client.request(
            method,
            _url(route, seed),
            data=FORMS.get(name, {}) | seed.forms.get(name, {}),
            follow_redirects=False,
        )
        if response.status_code != 403 or await _every_row() != before:
            accepted.append(f"{method} {route.path} ({name}): {response.status_code}")

    assert not accepted, f"requests without the CSRF token went through: {accepted}"
    assert client.cookies.get("session") == session
    assert (await client.get("/app", follow_redirects=False)).status_code == 200, "still logged in"
    assert not set(CSRF_EXEMPT) - {name for _, name, _ in handlers}, "stale CSRF_EXEMPT entry"
