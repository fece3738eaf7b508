"""The security log says exactly who did what, in which organisation, from where.

Each flow that writes to the log is driven through the real app as a browser would, then the
whole rows of its events are compared: the account, the organisation, the address used, the
target, the client address and user agent, and success or failure. An event that forgets its
organisation, names the wrong account or target, or turns a failure into a success fails here.
Password reset and change are checked the same way in test_password_reset.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar

from app import limits
from app.accounts.oidc import clear_cache
from app.accounts.service.audit import AuditAction, record_event
from app.accounts.tables import (
    AuditEvent,
    Invitation,
    Membership,
    Organisation,
    SirenClaim,
    User,
)
from app.clock import Clock, FixedClock
from app.settings import Settings
from tests.conftest import BROWSER_AGENT, BROWSER_IP, make_client
from tests.factories import (
    PASSWORD,
    SIRENS,
    audit_trail,
    link_in,
    log_in,
    make_creditor,
    make_user,
    post_form,
    table_rows,
)
from tests.integration.test_admin_claims import log_in_as_admin, run_admin_command
from tests.integration.test_claims import claim_form, taken_signup
from tests.integration.test_signup import signup_form
from tests.integration.test_totp import code_at, enable_totp, recovery_codes_on
from tests.oidc_sandbox import (
    app_with_sandbox,
    callback_from_provider,
    link_row,
    provider_redirect,
    sandbox_provider,
)

Client = httpx.AsyncClient
SIREN = "404833048"  # valid, and none of the factories' SIRENS


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    clear_cache()


@pytest.fixture
def app_clock(clock: FixedClock) -> Clock:
    """The app, its worker and the sandbox provider run on the test's clock (2FA codes)."""
    return clock


@pytest.fixture
async def app(settings: Settings, clock: FixedClock) -> AsyncIterator[Litestar]:
    """The application with the sandbox as its sign-in provider."""
    async with (
        sandbox_provider(clock) as issuer,
        app_with_sandbox(settings, clock, issuer) as application,
    ):
        yield application


def event(
    user: User | None,
    organisation: Organisation | int | None,
    actor_email: str,
    target: str = "",
    *,
    is_success: bool = True,
    ip: str = BROWSER_IP,
    user_agent: str = BROWSER_AGENT,
) -> dict[str, Any]:
    """One row as audit_trail returns it; by default from the test's browser."""
    return {
        "user": user.id if user is not None else None,
        "organisation": organisation.id if isinstance(organisation, Organisation) else organisation,
        "actor_email": actor_email,
        "target": target,
        "ip": ip,
        "user_agent": user_agent,
        "is_success": is_success,
    }


def failure(user: User | None, actor_email: str, target: str) -> dict[str, Any]:
    return event(user, None, actor_email, target, is_success=False)


async def user_named(email: str) -> User:
    user = await User.objects().get(User.email == email)
    assert user is not None, f"no account {email}"
    return user


async def organisation_of(siren: str) -> Organisation:
    organisation = await Organisation.objects().get(Organisation.siren == siren)
    assert organisation is not None, f"no organisation holds {siren}"
    return organisation


async def membership_id(user: User, organisation: Organisation) -> int:
    row = await Membership.objects().get(
        (Membership.user == user.id) & (Membership.organisation == organisation.id)
    )
    assert row is not None
    return int(row.id)


async def newest_link(run_worker: Any, outbox: Any, email: str, path_prefix: str) -> str:
    await run_worker()
    messages = [m for m in outbox(email) if path_prefix in m.text]
    assert messages, f"no link to {path_prefix} for {email}"
    return link_in(messages[0].text, path_prefix)


# --- accounts: signup, confirmation, login ----------------------------------------------------


async def test_signups_confirmations_and_logins_are_logged_with_account_and_organisation(
    app: Litestar, client: Client, run_worker: Any, outbox: Any
) -> None:
    _, holder = await make_creditor(email="holder@audit.example")
    taken = str(holder.siren)
    free = next(siren for siren in SIRENS if siren != taken)
    for email, siren in (("claire@audit.example", free), ("late@audit.example", taken)):
        async with make_client(app) as browser:
            await post_form(browser, "/signup", signup_form(email, siren))
            await post_form(browser, await newest_link(run_worker, outbox, email, "/verify/"), {})
    claire, late = await user_named("claire@audit.example"), await user_named("late@audit.example")
    company = await organisation_of(free)
    older = await make_user(email="older@audit.example", verified=False)
    refused = await post_form(client, "/login", {"email": older.email, "password": PASSWORD})
    assert refused.status_code == 422, "an unconfirmed account gets a new link instead"
    await post_form(client, await newest_link(run_worker, outbox, older.email, "/verify/"), {})

    assert await audit_trail("signup") == [
        event(claire, company, "claire@audit.example", "email"),
        event(late, None, "late@audit.example", f"siren_taken:{taken}"),
    ]
    assert await audit_trail("email_verified") == [
        event(claire, company, "claire@audit.example"),
        event(late, None, "late@audit.example"),
        event(older, None, "older@audit.example"),
    ]

    await post_form(client, "/login", {"email": claire.email, "password": "not my password"})
    await post_form(client, "/login", {"email": "ghost@audit.example", "password": PASSWORD})
    await log_in(client, claire.email)
    await post_form(client, "/logout", {})
    await log_in(client, late.email)

    assert await audit_trail("login_failed") == [
        failure(None, "claire@audit.example", "password"),
        failure(None, "ghost@audit.example", "password"),
    ]
    assert await audit_trail("login") == [
        event(claire, company, "claire@audit.example", "email_confirmation"),
        event(late, None, "late@audit.example", "email_confirmation"),
        event(claire, company, "claire@audit.example", "password"),
        event(late, None, "late@audit.example", "password"),
    ]


async def test_the_pause_of_an_account_is_logged_once_as_a_failure(
    client: Client, settings: Settings
) -> None:
    user, organisation = await make_creditor(email="paused@audit.example")
    await log_in(client, user.email)
    new = "a brand new passphrase"
    statuses = []
    for n in range(settings.account_attempt_limit + 2):
        form = {"current_password": f"wrong-{n}", "password": new, "password_confirm": new}
        statuses.append((await post_form(client, "/account/password", form)).status_code)

    assert statuses == [422] * settings.account_attempt_limit + [429, 429]
    assert await audit_trail("account_locked") == [
        event(user, organisation, user.email, "current_password", is_success=False)
    ]
    shown = [row[2] for row in table_rows((await client.get("/app/audit")).text)]
    assert "Vérifications suspendues" in shown
    assert [label for label in shown if "_" in label] == [], "every action has a label"


# --- two-factor authentication ----------------------------------------------------------------


async def test_the_two_factor_lifecycle_is_logged_in_the_users_organisation(
    client: Client, clock: FixedClock
) -> None:
    user, organisation = await make_creditor(email="totp@audit.example")
    await log_in(client, user.email)
    secret, codes = await enable_totp(client, clock)
    await post_form(client, "/logout", {})
    clock.advance(timedelta(seconds=30))

    await log_in(client, user.email)
    assert (await post_form(client, "/login/2fa", {"code": "000000"})).status_code == 422
    assert (await post_form(client, "/login/2fa", {"code": codes[0]})).url.path == "/app"
    clock.advance(timedelta(seconds=30))
    regenerated = await post_form(
        client, "/account/2fa/recovery-codes", {"regenerate_code": code_at(secret, clock)}
    )
    assert len(recovery_codes_on(regenerated.text)) == 10
    disabled = await post_form(client, "/account/2fa/disable", {"disable_password": PASSWORD})
    assert disabled.url.path == "/account"

    mine = user.email
    assert await audit_trail("totp_enabled") == [event(user, organisation, mine)]
    # The second step comes before the session: no organisation is chosen yet.
    assert await audit_trail("login_failed") == [failure(user, mine, "totp")]
    assert await audit_trail("recovery_code_used") == [event(user, None, mine)]
    assert await audit_trail("login") == [
        event(user, organisation, mine, "password"),
        event(user, organisation, mine, "password+recovery_code"),  # the second step says how
    ]
    assert await audit_trail("recovery_codes_regenerated") == [event(user, organisation, mine)]
    assert await audit_trail("totp_disabled") == [event(user, organisation, mine)]
    rows = table_rows((await client.get("/app/audit")).text)
    shown = [row[2] for row in rows]
    assert {"Codes de secours renouvelés", "Double authentification désactivée"} <= set(shown)
    targets = [row[3] for row in rows if row[2] == "Connexion"]
    assert targets == ["mot de passe + code de secours", "mot de passe"], "in words, newest first"
    assert [label for label in shown if "_" in label] == [], "every action has a label"


# --- members and invitations ------------------------------------------------------------------


async def test_invitations_and_membership_changes_are_logged_in_the_organisation(
    app: Litestar, client: Client, run_worker: Any, outbox: Any
) -> None:
    owner, organisation = await make_creditor(email="owner@audit.example")
    bob, _ = await make_creditor(email="bob@audit.example")
    await log_in(client, owner.email)
    for email, role in (
        ("nina@audit.example", "admin"),
        ("bob@audit.example", "member"),
        ("gone@audit.example", "member"),
    ):
        await post_form(client, "/app/members/invitations", {"email": email, "role": role})
    revoked = await Invitation.objects().get(Invitation.email == "gone@audit.example")
    assert revoked is not None
    await post_form(client, f"/app/members/invitations/{revoked.id}/revoke", {})

    async with make_client(app) as invitee:
        path = await newest_link(run_worker, outbox, "nina@audit.example", "/invitations/")
        await post_form(invitee, path, {"full_name": "Nina Colleague", "password": PASSWORD})
    async with make_client(app) as browser:
        path = await newest_link(run_worker, outbox, "bob@audit.example", "/invitations/")
        await log_in(browser, bob.email)
        assert (await post_form(browser, path, {})).status_code == 200
    nina = await user_named("nina@audit.example")

    bobs = await membership_id(bob, organisation)
    changed = await post_form(client, f"/app/members/{bobs}/role", {"role": "admin"})
    assert changed.status_code == 200
    removed = await post_form(client, f"/app/members/{bobs}/remove", {})
    assert removed.status_code == 200

    by_owner = (owner, organisation, owner.email)
    assert await audit_trail("member_invited") == [
        event(*by_owner, "nina@audit.example (admin)"),
        event(*by_owner, "bob@audit.example (member)"),
        event(*by_owner, "gone@audit.example (member)"),
    ]
    assert await audit_trail("invitation_revoked") == [event(*by_owner, "gone@audit.example")]
    assert await audit_trail("signup") == [
        event(nina, organisation, "nina@audit.example", "invitation")
    ]
    assert await audit_trail("member_added") == [
        event(nina, organisation, "nina@audit.example", "nina@audit.example (admin)"),
        event(bob, organisation, "bob@audit.example", "bob@audit.example (member)"),
    ]
    assert await audit_trail("member_role_changed") == [
        event(*by_owner, "bob@audit.example (member → admin)")
    ]
    assert await audit_trail("member_removed") == [event(*by_owner, "bob@audit.example (admin)")]
    shown = {(row[2], row[3]) for row in table_rows((await client.get("/app/audit")).text)}
    assert {
        ("Rôle modifié", "bob@audit.example (membre → administrateur)"),
        ("Membre retiré", "bob@audit.example (administrateur)"),
        ("Création du compte", "invitation"),
    } <= shown, "roles and methods in words"


# --- sign-in providers ------------------------------------------------------------------------


async def test_provider_signups_links_unlinks_and_refusals_are_logged(
    app: Litestar, client: Client
) -> None:
    company = {"full_name": "Claire Dupont", "organisation_name": "Claire SAS", "siren": SIREN}
    await client.get(await callback_from_provider(client, "claire@example.com"))
    assert (await post_form(client, "/auth/complete", company)).url.path == "/app"
    claire = await user_named("claire@example.com")
    claires = await organisation_of(SIREN)
    await post_form(client, "/logout", {})

    lina, linas = await make_creditor(email="lina.link@example.com")
    await client.get(await callback_from_provider(client, lina.email))
    assert (await post_form(client, "/auth/link", {"password": PASSWORD})).url.path == "/app"
    await post_form(client, "/logout", {})

    paul, pauls = await make_creditor(email="paul.audit@example.com")
    await log_in(client, paul.email)
    await client.get("/account/providers/sandbox/link")
    start = await post_form(
        client, "/account/providers/sandbox/link", {"password": PASSWORD}, follow_redirects=False
    )
    refused = await client.get(await provider_redirect(client, start, "claire@example.com"))
    assert refused.status_code == 409, "Claire's identity is hers"
    row = await link_row(app, paul, "sandbox-paul", email="paul@example.com")
    unlinked = await post_form(client, f"/account/providers/{row.id}/unlink", {})
    assert unlinked.url.path == "/account"
    await post_form(client, "/logout", {})

    unvouched = await client.get(await callback_from_provider(client, "eve@example.com"))
    assert unvouched.status_code == 400
    forged = (await callback_from_provider(client, "claire@example.com")).replace(
        "state=", "state=forged"
    )
    assert (await client.get(forged)).status_code == 400

    assert await audit_trail("signup") == [
        event(claire, claires, "claire@example.com", "oidc:sandbox")
    ]
    assert await audit_trail("oidc_linked") == [
        event(lina, linas, "lina.link@example.com", "oidc:sandbox")
    ]
    assert await audit_trail("oidc_unlinked") == [
        event(paul, pauls, "paul.audit@example.com", "oidc:sandbox")
    ]
    assert await audit_trail("login") == [
        event(claire, claires, "claire@example.com", "oidc:sandbox"),
        event(lina, linas, "lina.link@example.com", "oidc:sandbox"),
        event(paul, pauls, "paul.audit@example.com", "password"),
    ]
    assert await audit_trail("login_failed") == [
        event(paul, pauls, paul.email, "oidc:linked_elsewhere", is_success=False),
        failure(None, "eve@example.com", "oidc:email_not_verified"),
        failure(None, "", "oidc:state_mismatch"),
    ]


# --- SIREN claims and platform administration -------------------------------------------------


async def test_claims_and_their_decisions_are_logged_with_the_organisations_they_change(
    app: Litestar, clock: FixedClock
) -> None:
    _, holder = await make_creditor(email="squatter@audit.example")
    siren = str(holder.siren)
    claire = await taken_signup("claire@claimant.example", siren)
    paul = await taken_signup("paul@claimant.example", siren)
    for claimant in (claire, paul):
        async with make_client(app) as browser:
            await log_in(browser, claimant.email)
            filed = await post_form(browser, "/claims", claim_form(siren))
            assert filed.status_code == 200
    claires = await SirenClaim.objects().get(SirenClaim.claimant == claire.id)
    pauls = await SirenClaim.objects().get(SirenClaim.claimant == paul.id)
    assert claires is not None and pauls is not None

    reason = {"reason": "Kbis vérifié : Mme Dupont est la gérante depuis 2004."}
    async with make_client(app) as admin:
        reviewer = await log_in_as_admin(admin, clock, email="reviewer@audit.example")
        await post_form(admin, f"/admin/claims/{pauls.id}/reject", reason)
        await post_form(admin, f"/admin/claims/{claires.id}/accept", reason)
    won = await organisation_of(siren)
    assert won.id != holder.id

    on_claire, on_paul = f"claim {claires.id}: SIREN {siren}", f"claim {pauls.id}: SIREN {siren}"
    assert await audit_trail("siren_claim_filed") == [
        event(claire, None, "claire@claimant.example", on_claire),
        event(paul, None, "paul@claimant.example", on_paul),
    ]
    assert await audit_trail("siren_claim_rejected") == [
        event(reviewer, None, "reviewer@audit.example", on_paul)
    ]
    assert await audit_trail("siren_claim_accepted") == [
        event(reviewer, won, "reviewer@audit.example", on_claire)
    ]
    assert await audit_trail("siren_withdrawn") == [
        event(reviewer, holder, "reviewer@audit.example", on_claire)
    ]


async def test_granting_and_revoking_platform_administration_is_logged_as_the_command(
    db: Litestar, settings: Settings
) -> None:
    user = await make_user(email="future@audit.example")

    for command in ("grant-admin", "revoke-admin"):
        done = await asyncio.to_thread(run_admin_command, settings, command, "Future@Audit.example")
        assert done.returncode == 0, done.stderr

    from_the_server = {"ip": "", "user_agent": ""}
    cli = "python -m app.admin"
    assert await audit_trail("platform_admin_granted") == [
        event(user, None, cli, "future@audit.example", **from_the_server)
    ]
    assert await audit_trail("platform_admin_revoked") == [
        event(user, None, cli, "future@audit.example", **from_the_server)
    ]


async def test_the_account_page_lists_the_persons_own_security_events_in_words(
    app: Litestar, client: Client
) -> None:
    user, _ = await make_creditor(email="self@audit.example")
    await make_creditor(email="other@audit.example")
    await post_form(client, "/login", {"email": "other@audit.example", "password": "wrong one"})
    await post_form(client, "/login", {"email": user.email, "password": "not my password"})
    await log_in(client, user.email)
    new = "un tout nouveau mot de passe"
    await post_form(
        client,
        "/account/password",
        {"current_password": PASSWORD, "password": new, "password_confirm": new},
    )

    page = await client.get("/account")

    rows = table_rows(page.text.split('id="activity-title"', 1)[1])
    assert [(row[1], row[2], row[4]) for row in rows] == [
        ("Mot de passe modifié", "—", "Réussi"),
        ("Connexion", "mot de passe", "Réussi"),
        ("Échec de connexion", "mot de passe", "Échec"),
    ], "the person's own events only, newest first"


async def test_beyond_the_latest_twenty_the_persons_events_are_all_on_their_own_pages(
    client: Client,
) -> None:
    user, _ = await make_creditor(email="self@audit.example")
    for n in range(64):  # older events: 64 failed logins to the person's address
        await AuditEvent(
            action="login_failed",
            actor_email=user.email,
            target=f"password+{n}",
            ip="192.0.2.1",
            user_agent="",
            is_success=False,
            created_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=n),
        ).save()
    await log_in(client, user.email)  # the 65th, and newest

    account = await client.get("/account")
    latest = table_rows(account.text.split('id="activity-title"', 1)[1])
    assert len(latest) == 20
    assert (latest[0][1], latest[-1][2]) == ("Connexion", "mot de passe + 45"), "the newest 20"
    assert 'href="/account/activity">Voir toute l\'activité (65 événements)' in account.text

    first = await client.get("/account/activity")
    second = await client.get("/account/activity?page=2")
    assert [len(table_rows(page.text)) for page in (first, second)] == [50, 15]
    assert table_rows(first.text)[0][1] == "Connexion"
    assert table_rows(second.text)[-1][2] == "mot de passe + 0", "the oldest comes last"
    assert 'rel="prev" href="/account/activity?page=1"' in second.text
    assert "Page 2 sur 2" in second.text


async def test_an_event_keeps_of_each_value_what_its_column_holds(db: Litestar) -> None:
    """A user agent of a kilobyte (a client picks its own) is cut, not refused on PostgreSQL;
    the instant is the injected clock's."""
    instant = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    await record_event(
        action=AuditAction.LOGIN_FAILED,
        clock=FixedClock(instant),
        actor_email="e" * 1000,
        target="t" * 1000,
        ip="1" * 1000,
        user_agent="u" * 1000,
        is_success=False,
    )

    stored = await AuditEvent.select(
        AuditEvent.actor_email, AuditEvent.target, AuditEvent.ip, AuditEvent.user_agent
    ).first()
    assert stored is not None
    assert await AuditEvent.select(AuditEvent.created_at).first() == {"created_at": instant}
    assert {name: len(value) for name, value in stored.items()} == {
        "actor_email": limits.EMAIL,
        "target": limits.AUDIT_TARGET,
        "ip": limits.IP_ADDRESS,
        "user_agent": limits.USER_AGENT,
    }
