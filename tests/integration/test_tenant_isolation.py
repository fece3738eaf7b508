"""Tenant isolation: a user of organisation A never reaches nor sees organisation B's data.

Reaching, by id: every route that takes an object id is listed in ID_ROUTES. For each one, the
owner of A (the most privileged user A has) sends B's ids, as a full-page form and as an htmx
request: the answer is 404, exactly as for an id that does not exist, and B's data is unchanged.
The same route with A's own ids must work, which proves the 404 comes from the scoping and not
from a wrong URL. Adding a route whose path carries an id? Add it to ID_ROUTES (and, for a new
kind of object, a builder to OBJECT_BUILDERS); test_every_id_bearing_route_is_listed fails
until you do.

Seeing, on lists: organisation B is seeded with a marker in every text it owns (its name,
SIREN and VAT number, its members' names and addresses, its invitations, its audit events),
then A's owner opens every GET route of the application, walked from the route table, as a
full page and as an htmx request, and no marker of B may appear. A route with path parameters
gets A's own values from PAGE_PARAMETERS or is skipped in SKIPPED_PAGES with a reason;
test_every_get_route_is_visited_or_skipped_with_a_reason fails for a route that is neither.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from litestar import Litestar

from app.accounts import rules
from app.accounts.service.auth import issue_token
from app.accounts.tables import (
    AuditEvent,
    ExternalIdentity,
    Invitation,
    Membership,
    Organisation,
    Role,
    SirenClaim,
    TokenPurpose,
    User,
)
from app.clock import SystemClock
from app.web import FORM_ADDRESS
from tests.factories import log_in, make_creditor, make_organisation, post_form

Client = httpx.AsyncClient
HTMX = {"HX-Request": "true", "HX-Target": "members-table"}
AT = datetime(2026, 1, 1, tzinfo=UTC)


async def _member_of(org: Organisation) -> int:
    user, _ = await make_creditor(role=Role.MEMBER, organisation=org)
    membership = await Membership.objects().get(
        (Membership.user == user.id) & (Membership.organisation == org.id)
    )
    assert membership is not None
    return int(membership.id)


async def _pending_invitation_of(org: Organisation) -> int:
    invitation = Invitation(
        organisation=org.id,
        email=f"invitee-{org.id}-{rules.new_secret()[:6].lower()}@example.com",
        role=Role.MEMBER,
        token_hash=rules.secret_hash(rules.new_secret()),
        expires_at=datetime(2100, 1, 1, tzinfo=UTC),
        created_at=AT,
    )
    await invitation.save()
    return int(invitation.id)


async def _organisation(org: Organisation) -> int:
    return int(org.id)


async def _owners_identity_of(org: Organisation) -> int:
    """A sign-in provider linked to the organisation's first owner (the user who logs in)."""
    owner = (
        await Membership.select(Membership.user)
        .where((Membership.organisation == org.id) & (Membership.role == Role.OWNER))
        .order_by(Membership.id)
        .first()
    )
    assert owner is not None
    identity = ExternalIdentity(
        user=owner["user"],
        provider="sandbox",
        issuer="https://sandbox.example.test",
        subject=f"subject-{org.id}-{rules.new_secret()[:6]}",
        created_at=AT,
    )
    await identity.save()
    return int(identity.id)


async def _claim_of_owner_of(org: Organisation) -> int:
    """A SIREN claim filed by the organisation's owner (claims belong to a person)."""
    owner = await Membership.objects().get(
        (Membership.organisation == org.id) & (Membership.role == Role.OWNER)
    )
    assert owner is not None
    claim = SirenClaim(
        claimant=owner.user,
        siren="443061841",
        organisation_name=f"Claim of {org.name}",
        claimant_name="Claimant",
        claimant_role="Gérant",
        explanation="Ce SIREN est le nôtre depuis 1999.",
        created_at=AT,
    )
    await claim.save()
    return int(claim.id)


# Kind of object -> how to create one inside a given organisation (returns its id).
OBJECT_BUILDERS: dict[str, Callable[[Organisation], Awaitable[int]]] = {
    "membership": _member_of,
    "invitation": _pending_invitation_of,
    "organisation": _organisation,
    "external_identity": _owners_identity_of,
    "claim": _claim_of_owner_of,
}


@dataclass(frozen=True)
class IdRoute:
    """A route reached with an object id, in its path or in a form field."""

    name: str
    path_ids: dict[str, str] = field(default_factory=dict)  # path parameter -> object kind
    form_ids: dict[str, str] = field(default_factory=dict)  # form field -> object kind
    form: dict[str, str] = field(default_factory=dict)  # other fields of a valid request
    method: str = "POST"


ID_ROUTES: list[IdRoute] = [
    IdRoute("accounts.remove_member", path_ids={"membership_id": "membership"}),
    IdRoute(
        "accounts.remove_member_confirm", path_ids={"membership_id": "membership"}, method="GET"
    ),
    IdRoute(
        "accounts.change_role", path_ids={"membership_id": "membership"}, form={"role": "admin"}
    ),
    IdRoute("accounts.revoke_invitation", path_ids={"invitation_id": "invitation"}),
    IdRoute(
        "accounts.revoke_invitation_confirm",
        path_ids={"invitation_id": "invitation"},
        method="GET",
    ),
    IdRoute("accounts.switch_organisation", form_ids={"organisation_id": "organisation"}),
    IdRoute(
        "accounts.provider_unlink",
        path_ids={"identity_id": "external_identity"},
        method="GET",
    ),
    IdRoute("accounts.provider_unlink_submit", path_ids={"identity_id": "external_identity"}),
    IdRoute("accounts.claim", path_ids={"claim_id": "claim"}, method="GET"),
]
# Platform administration is platform-wide by design: test_admin_claims proves that every
# /admin/ route refuses everyone but platform administrators with a second factor.
PLATFORM_WIDE = ("/admin/",)
# The public site shows the registry's public data to everyone by design; its pages carry no
# organisation id (the sitemap's `part` is a slice of company ids). test_public_site proves
# that no masked data reaches them.
PUBLIC_SITE = ("/entreprises/", "/sitemaps/", "/api/")


async def _objects_of(org: Organisation, route: IdRoute) -> dict[str, int]:
    kinds = {*route.path_ids.values(), *route.form_ids.values()}
    return {kind: await OBJECT_BUILDERS[kind](org) for kind in sorted(kinds)}


async def _send(
    app: Litestar,
    client: Client,
    route: IdRoute,
    ids: dict[str, int],
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    path = app.route_reverse(
        route.name, **{param: ids[kind] for param, kind in route.path_ids.items()}
    )
    data = {**route.form, **{name: str(ids[kind]) for name, kind in route.form_ids.items()}}
    if route.method == "GET":
        return await client.get(path, headers=headers, follow_redirects=False)
    return await post_form(client, path, data, headers=headers, follow_redirects=False)


async def _state_of(org: Organisation) -> dict[str, Any]:
    """Everything a cross-tenant request could change in an organisation."""
    return {
        "organisation": await Organisation.select().where(Organisation.id == org.id),
        "memberships": await Membership.select()
        .where(Membership.organisation == org.id)
        .order_by(Membership.id),
        "invitations": await Invitation.select()
        .where(Invitation.organisation == org.id)
        .order_by(Invitation.id),
        "events": await AuditEvent.count().where(AuditEvent.organisation == org.id),
        "identities": await ExternalIdentity.select()
        .where(
            ExternalIdentity.user.is_in(
                Membership.select(Membership.user).where(Membership.organisation == org.id)
            )
        )
        .order_by(ExternalIdentity.id),
        "users": await User.select(User.id, User.last_organisation_id, User.session_epoch)
        .where(
            User.id.is_in(
                Membership.select(Membership.user).where(Membership.organisation == org.id)
            )
        )
        .order_by(User.id),
    }


@pytest.mark.parametrize("route", ID_ROUTES, ids=[r.name for r in ID_ROUTES])
async def test_user_of_one_organisation_gets_404_for_another_organisations_ids(
    app: Litestar, client: Client, route: IdRoute
) -> None:
    _, org_a = await make_creditor(email="owner-a@example.com")
    _, org_b = await make_creditor(email="owner-b@example.com")
    ids_b = await _objects_of(org_b, route)
    before = await _state_of(org_b)
    await log_in(client, "owner-a@example.com")

    full_page = await _send(app, client, route, ids_b)
    assert full_page.status_code == 404, full_page.text[:300]
    htmx = await _send(app, client, route, ids_b, headers=HTMX)
    assert htmx.status_code == 404, htmx.text[:300]
    assert await _state_of(org_b) == before, "B's data must not change"

    ids_a = await _objects_of(org_a, route)
    own = await _send(app, client, route, ids_a)
    assert own.status_code in (200, 303), f"the route must work with A's own ids: {own.status_code}"


async def test_ids_that_do_not_exist_get_the_same_404(app: Litestar, client: Client) -> None:
    await make_creditor(email="owner-c@example.com")
    await log_in(client, "owner-c@example.com")
    missing = {kind: 987654 for kind in OBJECT_BUILDERS}
    for route in ID_ROUTES:
        response = await _send(app, client, route, missing)
        assert response.status_code == 404, route.name


def _takes_an_id(parameters: dict[str, Any]) -> bool:
    return any(p.type is int or name.endswith("_id") for name, p in parameters.items())


async def test_every_id_bearing_route_is_listed(app: Litestar) -> None:
    listed = {route.name for route in ID_ROUTES}
    id_routes = {
        handler.name
        for route in app.routes
        if not route.path.startswith(("/dev/", "/schema", "/static", *PLATFORM_WIDE, *PUBLIC_SITE))
        and _takes_an_id(route.path_parameters)
        for handler in getattr(route, "route_handlers", [])
        if handler.name and not handler.opt.get(FORM_ADDRESS)  # redirects to a listed page
    }
    missing = id_routes - listed
    assert not missing, f"add these routes to ID_ROUTES in {__name__}: {sorted(missing)}"


# --- what every page lists ----------------------------------------------------------------

B_MARKER = "bmark"  # in every text organisation B owns, so any leak of B shows it
B_IP = "198.51.100.77"
SKIPPED_PAGES: dict[str, str] = {
    "/static/": "files shipped with the application: no organisation data",
    "/healthz": "JSON health report of the database, Redis and worker: no organisation data",
    "/dev/": "development mail viewer, never mounted in production: it shows every message",
    "/auth/{provider:str}/": "hands over to and back from the identity provider (test_oidc_login)",
    "/account/providers/{provider:str}/link": (
        "needs a configured provider; its page is the account page's own (visited) with a form"
    ),
    "/admin/": (
        "platform administration, platform-wide by design and closed to creditors "
        "(test_admin_claims)"
    ),
    "/entreprises/": "public company pages: registry data only, shown to everyone by design",
    "/sitemaps/": "public sitemaps: addresses of public company pages only",
    "/api/": "the public JSON API: the public company pages' data, as JSON",
}
_PARAMETER = re.compile(r"\{(\w+):[^}]+\}")


@dataclass(frozen=True)
class SeededA:
    """Organisation A seen by its owner, with A's own values for the pages' path parameters."""

    organisation: Organisation
    owner_email: str
    page_parameters: dict[str, dict[str, str]]


async def _event(org: Organisation | None, actor: str, action: str, target: str, ip: str) -> None:
    await AuditEvent(
        organisation=org.id if org else None,
        actor_email=actor,
        action=action,
        target=target,
        ip=ip,
        is_success=action != "login_failed",
        created_at=AT,
    ).save()


async def _invitation(org: Organisation, email: str, invited_by: User) -> str:
    """A pending invitation to `org`; returns the secret of its link."""
    secret = rules.new_secret()
    await Invitation(
        organisation=org.id,
        email=email,
        role=Role.ADMIN,
        token_hash=rules.secret_hash(secret),
        invited_by=invited_by.id,
        expires_at=datetime(2100, 1, 1, tzinfo=UTC),
        created_at=AT,
    ).save()
    return secret


async def _seed_organisation_b() -> Organisation:
    org = await make_organisation(name="Bmark Holding")
    owner, _ = await make_creditor(
        email="owner@bmark.example", full_name="Bmark Owner", organisation=org
    )
    for role in (Role.ADMIN, Role.MEMBER):
        await make_creditor(
            email=f"{role}@bmark.example", full_name=f"Bmark {role}", role=role, organisation=org
        )
    await _invitation(org, "invitee@bmark.example", owner)
    await _event(org, "auditor@bmark.example", "member_invited", "target-bmark", B_IP)
    await _event(None, "owner@bmark.example", "login_failed", "", B_IP)
    await _claim(owner, "Bmark claim")
    return org


async def _claim(claimant: User, explanation: str) -> int:
    """A pending SIREN claim of `claimant` on a SIREN neither organisation holds."""
    claim = SirenClaim(
        claimant=claimant.id,
        siren="404833048",
        organisation_name=f"{explanation} company",
        claimant_name=claimant.full_name,
        claimant_role="Gérant",
        explanation=explanation,
        created_at=AT,
    )
    await claim.save()
    return int(claim.id)


async def _seed_organisation_a() -> SeededA:
    owner, org = await make_creditor(email="owner@amark.example", full_name="Amark Owner")
    admin, _ = await make_creditor(
        email="admin@amark.example", full_name="Amark Admin", role=Role.ADMIN, organisation=org
    )
    admin_membership = await Membership.objects().get(Membership.user == admin.id)
    assert admin_membership is not None
    await _invitation(org, "invitee@amark.example", owner)
    invitation = await Invitation.objects().get(Invitation.email == "invitee@amark.example")
    assert invitation is not None
    await _event(org, "owner@amark.example", "member_invited", "target-amark", "192.0.2.1")
    clock = SystemClock()
    verify = await issue_token(user_id=owner.id, purpose=TokenPurpose.VERIFY_EMAIL, clock=clock)
    reset = await issue_token(user_id=owner.id, purpose=TokenPurpose.RESET_PASSWORD, clock=clock)
    own_invitation = await _invitation(org, owner.email, owner)  # opened by its invitee: 200
    claim = await _claim(owner, "Amark claim")
    identity = ExternalIdentity(
        user=owner.id,
        provider="sandbox",
        issuer="https://id.amark.example",
        subject="amark-owner",
        email=owner.email,
        created_at=AT,
    )
    await identity.save()
    return SeededA(
        organisation=org,
        owner_email=owner.email,
        page_parameters={
            "/verify/{token:str}": {"token": verify},
            "/password/reset/{token:str}": {"token": reset},
            "/invitations/{token:str}": {"token": own_invitation},
            "/account/providers/{identity_id:int}/unlink": {"identity_id": str(identity.id)},
            "/claims/{claim_id:int}": {"claim_id": str(claim)},
            "/app/members/{membership_id:int}/role": {"membership_id": str(admin_membership.id)},
            "/app/members/{membership_id:int}/remove": {"membership_id": str(admin_membership.id)},
            "/app/members/invitations/{invitation_id:int}/revoke": {
                "invitation_id": str(invitation.id)
            },
        },
    )


def _markers_of(org: Organisation) -> list[str]:
    return [B_MARKER, B_IP, org.siren, org.vat_number]


def _get_routes(app: Litestar) -> list[str]:
    return [route.path for route in app.routes if "GET" in getattr(route, "methods", ())]


def _skip_reason(path: str) -> str | None:
    return next((why for prefix, why in SKIPPED_PAGES.items() if path.startswith(prefix)), None)


def _url(path: str, parameters: dict[str, dict[str, str]]) -> str | None:
    """The route's URL with A's own values, or None when the route has no entry for them."""
    names = _PARAMETER.findall(path)
    values = parameters.get(path, {})
    if set(names) - set(values):
        return None
    return _PARAMETER.sub(lambda match: values[match.group(1)], path)


async def test_no_page_shows_another_organisations_data(app: Litestar, client: Client) -> None:
    b_markers = _markers_of(await _seed_organisation_b())
    seeded = await _seed_organisation_a()
    await log_in(client, seeded.owner_email)
    pages: dict[str, str] = {}
    for path in _get_routes(app):
        url = _url(path, seeded.page_parameters)
        if _skip_reason(path) or url is None:
            continue  # test_every_get_route_is_visited_or_skipped_with_a_reason fails on None
        for kind, headers in (("page", {}), ("htmx", {"HX-Request": "true"})):
            response = await client.get(url, headers=headers)
            assert response.status_code == 200, f"{kind} {url}: {response.status_code}"
            text = response.text.lower()
            leaked = [marker for marker in b_markers if marker.lower() in text]
            assert not leaked, f"{kind} {url} shows organisation B's {leaked}"
            pages[f"{kind} {path}"] = text

    for kind in ("page", "htmx"):  # the lists were really there, with A's own rows
        members = pages[f"{kind} /app/members"]
        assert "amark admin" in members and "invitee@amark.example" in members
    assert "<html" not in pages["htmx /app/members"], "htmx got the members table partial"
    assert "target-amark" in pages["page /app/audit"]
    assert seeded.organisation.name.lower() in pages["page /app"]
    assert "amark claim" in pages["page /claims"], "the claims list shows A's own claim"


async def test_every_get_route_is_visited_or_skipped_with_a_reason(app: Litestar) -> None:
    parameters = (await _seed_organisation_a()).page_parameters
    routes = _get_routes(app)
    neither = [path for path in routes if not _skip_reason(path) and _url(path, parameters) is None]
    assert not neither, (
        "give these GET routes A's own values in _seed_organisation_a, "
        f"or a reason in SKIPPED_PAGES: {neither}"
    )
    stale = [prefix for prefix in SKIPPED_PAGES if not any(p.startswith(prefix) for p in routes)]
    assert not stale, f"SKIPPED_PAGES names routes that no longer exist: {stale}"
