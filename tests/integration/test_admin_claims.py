"""Platform administrators review SIREN claims: who may, and what a decision changes.

Administration is platform-wide by design, so it is guarded by who the user is (a platform
administrator with two-factor login), not by tenant; `python -m app.admin` grants the role.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import httpx
import pyotp
import pytest
from litestar import Litestar

from app.accounts.tables import (
    AuditEvent,
    Invitation,
    Membership,
    Organisation,
    Role,
    SignupRequest,
    SirenClaim,
    User,
)
from app.clock import Clock, FixedClock
from app.companies.rules import withdrawn_siren_marker
from app.settings import ROOT, Settings
from tests.conftest import make_client
from tests.factories import (
    PASSWORD,
    definitions,
    log_in,
    make_creditor,
    make_user,
    post_form,
    printed_siren,
)

Client = httpx.AsyncClient
AT = datetime(2026, 1, 1, tzinfo=UTC)
ADMIN = "admin@admin.example"
SIGNATURE = ["", "-- ", "Ponctuel"]
OTHER_SIREN = "130025265"  # a SIREN no test organisation holds
REASON = "Kbis du 3 novembre 2026 vérifié ; le standard confirme que Mme Dupont est gérante."


@pytest.fixture
def app_clock(clock: FixedClock) -> Clock:
    """The app runs on the test's clock, so the 2FA codes computed here are current."""
    return clock


async def log_in_as_admin(client: Client, clock: FixedClock, email: str = ADMIN) -> User:
    """A platform administrator, logged in, who turned two-factor login on."""
    user = await make_user(email=email)
    await User.update({User.is_platform_admin: True}).where(User.id == user.id)
    await log_in(client, email)
    setup = await client.get("/account/2fa/setup")
    match = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', setup.text)
    assert match
    secret = match.group(1).replace(" ", "")
    code = pyotp.TOTP(secret).at(clock.now())
    enabled = await post_form(client, "/account/2fa/setup", {"code": code, "password": PASSWORD})
    assert enabled.status_code == 200, enabled.text[:300]
    return user


async def contested_siren(tag: str) -> tuple[Organisation, list[User], User, SirenClaim]:
    """A squatting organisation (owner + member, an invitation) and a pending claim on it.

    `tag` makes the addresses of each test its own, so their emails never mix in the outbox.
    """
    owner, org = await make_creditor(email=f"owner@{tag}.example", full_name="Sam Squat")
    member, _ = await make_creditor(
        email=f"member@{tag}.example", role=Role.MEMBER, organisation=org
    )
    await Invitation(
        organisation=org.id,
        email="invitee@squat.example",
        role=Role.MEMBER,
        token_hash="hash-of-a-pending-invitation",
        expires_at=datetime(2100, 1, 1, tzinfo=UTC),
        created_at=AT,
    ).save()
    claimant = await make_user(email=f"claire@claimant.{tag}.example", full_name="Claire Dupont")
    await SignupRequest(
        email=claimant.email,
        organisation_name="Dupont Menuiserie",
        siren=org.siren,
        expires_at=AT,
        user=claimant.id,
        verified_at=AT,
        created_at=AT,
    ).save()
    claim = SirenClaim(
        claimant=claimant.id,
        siren=org.siren,
        organisation_name="Dupont Menuiserie",
        claimant_name="Claire Dupont",
        claimant_role="Gérante",
        explanation="Ce SIREN est celui de notre menuiserie depuis 2004.",
        held_by=org.id,
        created_at=AT,
    )
    await claim.save()
    return org, [owner, member], claimant, claim


def admin_paths(app: Litestar, claim_id: int) -> list[tuple[str, str]]:
    """Every administration route, as (method, concrete path)."""
    found = []
    for route in app.routes:
        if not route.path.startswith("/admin/"):
            continue
        path = route.path.replace("{claim_id:int}", str(claim_id))
        for method in sorted(getattr(route, "methods", set()) - {"HEAD", "OPTIONS"}):
            found.append((method, path))
    return found


async def test_every_admin_route_is_closed_to_all_but_admins_with_two_factor_login(
    app: Litestar, clock: FixedClock
) -> None:
    *_, claim = await contested_siren("guard")
    routes = admin_paths(app, claim.id)
    assert ("GET", "/admin/claims") in routes and (
        "POST",
        f"/admin/claims/{claim.id}/accept",
    ) in routes

    async def answers(client: Client) -> dict[tuple[str, str], int]:
        result = {}
        for method, path in routes:
            if method == "GET":
                response = await client.get(path, follow_redirects=False)
            else:
                response = await post_form(client, path, {"reason": REASON}, follow_redirects=False)
            result[(method, path)] = response.status_code
        return result

    async with make_client(app) as anonymous:
        assert set((await answers(anonymous)).values()) <= {303, 401}
    async with make_client(app) as owner:
        await log_in(owner, "owner@guard.example")
        assert set((await answers(owner)).values()) == {404}
    async with make_client(app) as half_admin:
        user = await make_user(email="no2fa@admin.example")
        await User.update({User.is_platform_admin: True}).where(User.id == user.id)
        await log_in(half_admin, "no2fa@admin.example")
        assert set((await answers(half_admin)).values()) == {403}
        page = await half_admin.get("/admin/claims")
        assert re.findall(r'<section class="error-page">.*?<p>(.*?)</p>', page.text, re.S) == [
            "L&#39;administration de Ponctuel demande la double authentification : activez-la "
            "dans Mon compte, puis revenez sur cette page."
        ]
    assert await SirenClaim.count().where(SirenClaim.status == "pending") == 1, "nothing decided"

    async with make_client(app) as admin:
        await log_in_as_admin(admin, clock)
        listing = await admin.get("/admin/claims")
        assert listing.status_code == 200 and f"/admin/claims/{claim.id}" in listing.text
        detail = await admin.get(f"/admin/claims/{claim.id}")
        assert detail.status_code == 200
        assert "owner@guard.example" in detail.text and "Dupont Menuiserie" in detail.text
        facts = definitions(detail.text)
        assert facts["Entreprise à créer"] == "Dupont Menuiserie"
        assert facts["Demandeur"] == "Claire Dupont, Gérante"
        assert "Décidée le" not in facts, "a pending claim has no decision yet"
        assert '<p class="prewrap">Ce SIREN est celui de notre menuiserie depuis 2004.</p>' in (
            detail.text
        )
        nav = await admin.get("/app")
        assert 'href="/admin/claims"' in nav.text


async def test_accepting_a_claim_moves_the_siren_and_suspends_the_holder_with_its_data(
    app: Litestar, clock: FixedClock, run_worker: Any, outbox: Any
) -> None:
    org, squatters, claimant, claim = await contested_siren("accept")
    siren = org.siren
    other_signup = await make_user(email="other-signup@accept.example")
    await SignupRequest(
        email=other_signup.email,
        organisation_name="Autre Menuiserie",
        siren=siren,
        expires_at=AT,
        user=other_signup.id,
        verified_at=AT,
        created_at=AT,
    ).save()
    await SignupRequest(
        email=claimant.email,
        organisation_name="Dupont Charpente",
        siren=OTHER_SIREN,
        expires_at=AT,
        user=claimant.id,
        verified_at=AT,
        created_at=AT,
    ).save()
    async with make_client(app) as admin:
        reviewer = await log_in_as_admin(admin, clock)
        decided = await post_form(admin, f"/admin/claims/{claim.id}/accept", {"reason": REASON})
        assert decided.status_code == 200 and str(decided.url).endswith(f"/admin/claims/{claim.id}")
        assert "Demande acceptée" in decided.text and REASON in decided.text
        decided_facts = definitions(decided.text)
        assert decided_facts["Décidée le"] == "23 nov. 2026, 10:30:00", "the clock's instant"
        assert decided_facts["Par"] == ADMIN

    suspended = await Organisation.objects().get(Organisation.id == org.id)
    assert suspended is not None
    assert suspended.siren == withdrawn_siren_marker(org.id) and suspended.withdrawn_siren == siren
    assert suspended.suspended_at is not None and suspended.suspension_reason == REASON
    assert suspended.vat_number == "" and suspended.name == org.name
    assert await Membership.count().where(Membership.organisation == org.id) == 2
    assert await Invitation.exists().where(Invitation.organisation == org.id)
    created = await Organisation.objects().get(Organisation.siren == siren)
    assert created is not None and created.name == "Dupont Menuiserie"
    ownership = await Membership.objects().get(Membership.organisation == created.id)
    assert ownership is not None and (ownership.user, ownership.role) == (claimant.id, Role.OWNER)
    decided_claim = await SirenClaim.objects().get(SirenClaim.id == claim.id)
    assert decided_claim is not None
    assert (decided_claim.status, decided_claim.reviewer) == ("accepted", reviewer.id)
    assert decided_claim.decided_at is not None and decided_claim.decision_reason == REASON
    left = await SignupRequest.select(SignupRequest.user, SignupRequest.siren).order_by(
        SignupRequest.id
    )
    assert left == [
        {"user": other_signup.id, "siren": siren},
        {"user": claimant.id, "siren": OTHER_SIREN},
    ], "only the claimant's request for the claimed SIREN is used up"
    events = await AuditEvent.select(AuditEvent.action, AuditEvent.organisation, AuditEvent.user)
    assert {
        "action": "siren_claim_accepted",
        "organisation": created.id,
        "user": reviewer.id,
    } in events
    assert {"action": "siren_withdrawn", "organisation": org.id, "user": reviewer.id} in events

    await run_worker()
    [accepted] = outbox(claimant.email)
    assert accepted.subject == "Votre contestation de SIREN est acceptée"
    assert accepted.text.splitlines() == [
        f"Bonjour {claimant.full_name},",
        "",
        f"Votre contestation du SIREN {printed_siren(siren)} est acceptée : l'entreprise "
        "« Dupont Menuiserie » est créée sur Ponctuel et vous en êtes propriétaire.",
        "",
        "http://testserver.local/app",
        *SIGNATURE,
    ]
    for squatter in squatters:
        [withdrawn] = outbox(squatter.email)
        assert withdrawn.subject == "Le SIREN de votre entreprise sur Ponctuel lui a été retiré"
        assert withdrawn.text.splitlines() == [
            f"Bonjour {squatter.full_name},",
            "",
            f"Le SIREN {printed_siren(siren)} a été retiré à l'entreprise « {org.name} » sur "
            "Ponctuel : l'entreprise qui a prouvé qu'il était le sien l'utilise désormais. "
            "Votre entreprise est suspendue ; ses données restent consultables. Voici les "
            "explications de l'équipe Ponctuel :",
            "",
            REASON,
            "",
            "Si ce SIREN est bien celui de votre entreprise, contestez cette décision depuis "
            "votre tableau de bord : http://testserver.local/app",
            *SIGNATURE,
        ]

    async with make_client(app) as owner:
        await log_in(owner, "owner@accept.example")
        dashboard = await owner.get("/app")
        assert "Cette entreprise est suspendue" in dashboard.text and REASON in dashboard.text
        spaced = printed_siren(siren)
        assert f"Le SIREN {spaced} a été attribué à l'entreprise" in dashboard.text
        assert "SIREN retiré" in dashboard.text and org.name in dashboard.text
        audit = await owner.get("/app/audit")
        assert "SIREN retiré après contestation" in audit.text
    async with make_client(app) as winner:
        await log_in(winner, claimant.email)
        dashboard = await winner.get("/app")
        assert (
            "Dupont Menuiserie" in dashboard.text
            and f"SIREN {printed_siren(siren)}" in dashboard.text
        )


async def test_rejecting_a_claim_emails_the_reasons_and_changes_no_organisation(
    app: Litestar, clock: FixedClock, run_worker: Any, outbox: Any
) -> None:
    org, _, claimant, claim = await contested_siren("reject")
    rival = await make_user(email="rival@claimant.reject.example")
    other_claim = SirenClaim(
        claimant=rival.id,
        siren=org.siren,
        organisation_name="Rival Menuiserie",
        claimant_name="Rémi Rival",
        claimant_role="Gérant",
        explanation="Ce SIREN est aussi revendiqué par une autre personne.",
        held_by=org.id,
        created_at=AT,
    )
    await other_claim.save()
    before = await Organisation.select().order_by(Organisation.id)
    async with make_client(app) as admin:
        reviewer = await log_in_as_admin(admin, clock)
        decided = await post_form(admin, f"/admin/claims/{claim.id}/reject", {"reason": REASON})
        assert decided.status_code == 200 and "Demande refusée" in decided.text

    assert await Organisation.select().order_by(Organisation.id) == before
    decided_claim = await SirenClaim.objects().get(SirenClaim.id == claim.id)
    assert decided_claim is not None
    assert (decided_claim.status, decided_claim.reviewer) == ("rejected", reviewer.id)
    waiting = await SirenClaim.objects().get(SirenClaim.id == other_claim.id)
    assert waiting is not None, "the other claim on the SIREN still waits for its own decision"
    assert (waiting.status, waiting.reviewer, waiting.decision_reason) == ("pending", None, "")
    assert waiting.decided_at is None
    event = await AuditEvent.objects().get(AuditEvent.action == "siren_claim_rejected")
    assert event is not None and event.user == reviewer.id and org.siren in event.target
    await run_worker()
    [rejected] = outbox(claimant.email)
    assert rejected.subject == "Votre contestation de SIREN n'a pas été acceptée"
    assert rejected.text.splitlines() == [
        f"Bonjour {claimant.full_name},",
        "",
        f"Votre contestation du SIREN {printed_siren(org.siren)} n'a pas été acceptée. Voici les "
        "explications de l'équipe Ponctuel :",
        "",
        REASON,
        "",
        f"Votre demande : http://testserver.local/claims/{claim.id}",
        *SIGNATURE,
    ]
    assert outbox("owner@reject.example") == []

    async with make_client(app) as claimant_browser:
        await log_in(claimant_browser, claimant.email)
        page = await claimant_browser.get(f"/claims/{claim.id}")
        assert "Refusée" in page.text and REASON in page.text
        assert definitions(page.text)["Décidée le"] == "23 nov. 2026, 10:30:00"


async def test_a_decision_needs_a_reason_and_is_taken_only_once(
    app: Litestar, clock: FixedClock
) -> None:
    org, _, _, claim = await contested_siren("once")
    async with make_client(app) as admin:
        await log_in_as_admin(admin, clock)
        blank = await post_form(admin, f"/admin/claims/{claim.id}/accept", {"reason": "  "})
        assert blank.status_code == 422 and "Expliquez la décision" in blank.text
        still = await SirenClaim.objects().get(SirenClaim.id == claim.id)
        assert still is not None and still.status == "pending"

        await post_form(admin, f"/admin/claims/{claim.id}/reject", {"reason": REASON})
        late = await post_form(admin, f"/admin/claims/{claim.id}/accept", {"reason": REASON})
        assert late.status_code == 409 and "déjà été traitée" in late.text
    decided = await SirenClaim.objects().get(SirenClaim.id == claim.id)
    assert decided is not None and decided.status == "rejected"
    assert await Organisation.count().where(Organisation.siren == org.siren) == 1
    assert not await Organisation.exists().where(Organisation.suspended_at.is_not_null())


async def test_an_administrator_cannot_decide_their_own_claim(
    app: Litestar, clock: FixedClock
) -> None:
    *_, claim = await contested_siren("own")
    async with make_client(app) as admin:
        reviewer = await log_in_as_admin(admin, clock)
        await SirenClaim.update({SirenClaim.claimant: reviewer.id}).where(SirenClaim.id == claim.id)
        response = await post_form(admin, f"/admin/claims/{claim.id}/accept", {"reason": REASON})
    assert response.status_code == 403
    pending = await SirenClaim.objects().get(SirenClaim.id == claim.id)
    assert pending is not None and pending.status == "pending"


async def test_the_claims_list_filters_by_status(app: Litestar, clock: FixedClock) -> None:
    *_, claim = await contested_siren("filter")
    await SirenClaim(
        claimant=claim.claimant,
        siren="443061841",
        organisation_name="Old Rejected Claim",
        claimant_name="Claire Dupont",
        claimant_role="Gérante",
        explanation="Une ancienne demande déjà refusée par l'équipe.",
        status="rejected",
        created_at=AT,
    ).save()
    async with make_client(app) as admin:
        await log_in_as_admin(admin, clock)
        pending = await admin.get("/admin/claims")
        rejected = await admin.get("/admin/claims?status=rejected")
        every = await admin.get("/admin/claims?status=all")
    assert "Dupont Menuiserie" in pending.text and "Old Rejected Claim" not in pending.text
    assert "Old Rejected Claim" in rejected.text and "Dupont Menuiserie" not in rejected.text
    assert "Old Rejected Claim" in every.text and "Dupont Menuiserie" in every.text


def run_admin_command(settings: Settings, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": settings.database_url, "ENVIRONMENT": "test"}
    return subprocess.run(
        [sys.executable, "-m", "app.admin", *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_the_admin_command_grants_lists_and_withdraws_platform_administration(
    db: Litestar, settings: Settings
) -> None:
    user = await make_user(email="future@admin.example")
    await make_user(email="unconfirmed@admin.example", verified=False)

    granted = await asyncio.to_thread(
        run_admin_command, settings, "grant-admin", "Future@Admin.example"
    )
    assert granted.returncode == 0, granted.stderr
    assert "two-factor" in granted.stdout
    refreshed = await User.objects().get(User.id == user.id)
    assert refreshed is not None and refreshed.is_platform_admin
    event = await AuditEvent.objects().get(AuditEvent.action == "platform_admin_granted")
    assert event is not None and event.user == user.id

    listed = await asyncio.to_thread(run_admin_command, settings, "list-admins")
    assert "future@admin.example\t2FA off" in listed.stdout

    unknown = await asyncio.to_thread(
        run_admin_command, settings, "grant-admin", "nobody@admin.example"
    )
    assert unknown.returncode == 1 and "No account" in unknown.stderr
    unconfirmed = await asyncio.to_thread(
        run_admin_command, settings, "grant-admin", "unconfirmed@admin.example"
    )
    assert unconfirmed.returncode == 1
    assert not await User.exists().where(
        (User.email == "unconfirmed@admin.example") & User.is_platform_admin.eq(True)
    )

    revoked = await asyncio.to_thread(run_admin_command, settings, "revoke-admin", user.email)
    assert revoked.returncode == 0
    refreshed = await User.objects().get(User.id == user.id)
    assert refreshed is not None and not refreshed.is_platform_admin
