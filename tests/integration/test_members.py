"""Members, invitations, roles, organisation switch and the audit log: through the real app."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar

from app.accounts.rules import secret_hash
from app.accounts.tables import AuditEvent, Invitation, Membership, Organisation, Role, User
from app.clock import Clock, FixedClock
from tests.conftest import BROWSER_AGENT, BROWSER_IP, make_client
from tests.factories import (
    PASSWORD,
    audit_trail,
    field_error,
    flash_items,
    form_error,
    free_siren,
    link_in,
    log_in,
    make_creditor,
    make_organisation,
    make_user,
    post_form,
    table_rows,
)

Client = httpx.AsyncClient
HTMX = {"HX-Request": "true", "HX-Target": "members-table"}
LAST_OWNER = "doit toujours garder au moins un propriétaire"
INVALID_LINK = "Cette invitation n'est plus valable"
JOINED_AT = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


async def invite(client: Client, email: str, role: str = "member", **kwargs: Any) -> Any:
    return await post_form(
        client, "/app/members/invitations", {"email": email, "role": role}, **kwargs
    )


async def emailed_link(run_worker: Any, outbox: Any, email: str) -> str:
    """Deliver queued mail through the real worker and SMTP, then read the newest link."""
    await run_worker()
    messages = outbox(email)
    assert messages, f"no email reached {email}"
    return link_in(messages[0].text, "/invitations/")


async def membership_of(user_id: int, organisation_id: int) -> Membership | None:
    return await Membership.objects().get(
        (Membership.user == user_id) & (Membership.organisation == organisation_id)
    )


async def test_invited_colleague_signs_up_from_the_emailed_link_and_joins_with_the_role(
    app: Litestar, client: Client, run_worker, outbox
) -> None:
    _, org = await make_creditor(email="owner-a@example.com")
    await log_in(client, "owner-a@example.com")
    sent = await invite(client, "New.Colleague@example.com", "admin", follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"] == "/app/members"

    await run_worker()
    [email] = outbox("new.colleague@example.com")
    assert email.subject == "Vous êtes invité à rejoindre une entreprise sur Ponctuel"
    assert email.text.splitlines()[:5] == [
        "Bonjour,",
        "",
        f"Claire Dupont vous invite à rejoindre {org.name} sur Ponctuel, avec le rôle "
        "« administrateur ».",
        "",
        "Pour accepter l'invitation, ouvrez ce lien (valable 7 jours) :",
    ]
    path = link_in(email.text, "/invitations/")

    async with make_client(app) as invitee:
        landing = await invitee.get(path)
        assert landing.status_code == 200
        assert org.name in landing.text and "Créez votre compte" in landing.text
        joined = await post_form(
            invitee, path, {"full_name": "Nina Colleague", "password": PASSWORD}
        )
        assert joined.status_code == 200
        assert str(joined.url).endswith("/app/members")
        assert "relances de " + org.name in joined.text
        assert flash_items(joined.text) == [
            ("success", "Bienvenue ! Vous êtes maintenant membre de l'entreprise.")
        ]

    user = await User.objects().get(User.email == "new.colleague@example.com")
    assert user is not None and user.email_verified_at is not None
    membership = await membership_of(user.id, org.id)
    assert membership is not None and membership.role == Role.ADMIN
    invitation = await Invitation.objects().get(Invitation.email == "new.colleague@example.com")
    assert invitation is not None and invitation.accepted_at is not None

    listing = await client.get("/app/members")
    assert "Nina Colleague" in listing.text and "new.colleague@example.com" in listing.text
    assert "Aucune invitation en attente" in listing.text
    actions = {e["action"] for e in await AuditEvent.select(AuditEvent.action)}
    assert {"member_invited", "member_added"} <= actions


@pytest.mark.parametrize("app_clock", [FixedClock(JOINED_AT)], ids=["app on a fixed clock"])
async def test_account_made_from_an_invitation_keeps_its_password_language_and_organisation(
    app: Litestar, app_clock: Clock, client: Client, run_worker: Any, outbox: Any
) -> None:
    _, org = await make_creditor(email="owner-n@example.com")
    await log_in(client, "owner-n@example.com")
    await invite(client, "jeanne.martin.compta@example.com", "admin")
    path = await emailed_link(run_worker, outbox, "jeanne.martin.compta@example.com")

    async with make_client(app) as invitee:
        own_address = await post_form(
            invitee, path, {"full_name": "Jeanne Martin", "password": "Jeanne.Martin.Compta"}
        )
        assert own_address.status_code == 422
        assert (
            '<p class="error" id="error-password">'
            "Ce mot de passe est trop courant : choisissez-en un autre.</p>"
        ) in own_address.text
    assert not await User.exists().where(User.email == "jeanne.martin.compta@example.com")

    async with make_client(app) as invitee:
        invitee.headers["accept-language"] = "en"
        await invitee.get(path)
        joined = await post_form(
            invitee,
            path,
            {"full_name": "Jeanne Martin", "password": PASSWORD},
            follow_redirects=False,
        )
        assert joined.status_code == 303 and joined.headers["location"] == "/app/members"
        invited = await invite(invitee, "next.colleague@example.com", follow_redirects=False)
        assert invited.status_code == 303, "the new session already works in the organisation"

    user = await User.objects().get(User.email == "jeanne.martin.compta@example.com")
    assert user is not None
    assert (user.full_name, user.locale, user.last_organisation_id) == (
        "Jeanne Martin",
        "en",
        org.id,
    )
    assert user.created_at == JOINED_AT and user.email_verified_at == JOINED_AT
    membership = await membership_of(user.id, org.id)
    assert membership is not None
    assert (membership.role, membership.created_at) == (Role.ADMIN, JOINED_AT)
    invitation = await Invitation.objects().get(
        Invitation.email == "jeanne.martin.compta@example.com"
    )
    assert invitation is not None
    assert (invitation.created_at, invitation.accepted_at) == (JOINED_AT, JOINED_AT)

    async with make_client(app) as later:
        wrong = await post_form(
            later,
            "/login",
            {"email": "jeanne.martin.compta@example.com", "password": "not the password"},
        )
        assert wrong.status_code == 422 and "mot de passe incorrect" in wrong.text
        await log_in(later, "jeanne.martin.compta@example.com", PASSWORD)
        dashboard = await later.get("/app")
        assert str(dashboard.url).endswith("/app") and org.name in dashboard.text
        assert 'lang="en"' in dashboard.text


async def test_joining_uses_up_that_invitation_only(
    app: Litestar, client: Client, run_worker: Any, outbox: Any
) -> None:
    _, org = await make_creditor(email="owner-o@example.com")
    _, other_org = await make_creditor(email="owner-p@example.com")
    await log_in(client, "owner-o@example.com")
    await invite(client, "first@example.com")
    first = await emailed_link(run_worker, outbox, "first@example.com")
    await invite(client, "second@example.com")
    second = await emailed_link(run_worker, outbox, "second@example.com")
    async with make_client(app) as other_owner:
        await log_in(other_owner, "owner-p@example.com")
        await invite(other_owner, "third@example.com")
    third = await emailed_link(run_worker, outbox, "third@example.com")

    async with make_client(app) as invitee:
        joined = await post_form(invitee, first, {"full_name": "First", "password": PASSWORD})
        assert joined.status_code == 200 and str(joined.url).endswith("/app/members")
    pending = await Invitation.select(Invitation.email).where(Invitation.accepted_at.is_null())
    assert sorted(row["email"] for row in pending) == ["second@example.com", "third@example.com"]
    for path, organisation in ((second, org), (third, other_org)):
        async with make_client(app) as invitee:
            landing = await invitee.get(path)
            assert landing.status_code == 200 and organisation.name in landing.text
            joined = await post_form(invitee, path, {"full_name": "Next", "password": PASSWORD})
            assert joined.status_code == 200 and "relances de " + organisation.name in joined.text


async def test_existing_user_logs_in_from_the_invitation_and_lands_in_the_new_organisation(
    app: Litestar, client: Client, run_worker, outbox
) -> None:
    _, org = await make_creditor(email="owner-b@example.com")
    bob, own_org = await make_creditor(email="bob@example.com")
    await log_in(client, "owner-b@example.com")
    await invite(client, "bob@example.com")
    path = await emailed_link(run_worker, outbox, "bob@example.com")

    async with make_client(app) as browser:
        landing = await browser.get(path)
        assert "Connectez-vous pour accepter" in landing.text
        assert f"/login?next={path}" in landing.text
        after_login = await post_form(
            browser, "/login", {"email": "bob@example.com", "password": PASSWORD, "next": path}
        )
        assert str(after_login.url).endswith(path)
        assert "Rejoindre" in after_login.text
        accepted = await post_form(browser, path, {})
        assert accepted.status_code == 200 and "relances de " + org.name in accepted.text
        dashboard = await browser.get("/app")
        assert org.name in dashboard.text, "the session now works in the joined organisation"

    membership = await membership_of(bob.id, org.id)
    assert membership is not None and membership.role == Role.MEMBER
    assert await membership_of(bob.id, own_org.id) is not None
    refreshed = await User.objects().get(User.id == bob.id)
    assert refreshed is not None and refreshed.last_organisation_id == org.id


async def test_invitation_opened_by_another_logged_in_account_is_refused(
    app: Litestar, client: Client, run_worker, outbox
) -> None:
    _, org = await make_creditor(email="owner-c@example.com")
    dave, _ = await make_creditor(email="dave@example.com")
    await log_in(client, "owner-c@example.com")
    await invite(client, "carol@example.com")
    path = await emailed_link(run_worker, outbox, "carol@example.com")

    async with make_client(app) as browser:
        await log_in(browser, "dave@example.com")
        page = await browser.get(path)
        assert page.status_code == 403
        assert "destinée à carol@example.com" in page.text
        refused = await post_form(browser, path, {})
        assert refused.status_code == 403
        assert form_error(refused.text) == (
            "Cette invitation a été envoyée à une autre adresse e-mail que celle de votre "
            "compte. Déconnectez-vous, puis ouvrez le lien en vous connectant avec "
            "l'adresse invitée."
        )
    assert await membership_of(dave.id, org.id) is None


async def test_expired_revoked_and_used_invitation_links_answer_400(
    app: Litestar, client: Client, run_worker, outbox
) -> None:
    await make_creditor(email="owner-d@example.com")
    await log_in(client, "owner-d@example.com")
    await invite(client, "expired-invitee@example.com")
    expired = await emailed_link(run_worker, outbox, "expired-invitee@example.com")
    await Invitation.update({Invitation.expires_at: datetime(2020, 1, 1, tzinfo=UTC)}).where(
        Invitation.email == "expired-invitee@example.com"
    )
    await invite(client, "twice@example.com")
    used = await emailed_link(run_worker, outbox, "twice@example.com")
    await invite(client, "revoked@example.com")
    revoked = await emailed_link(run_worker, outbox, "revoked@example.com")
    invitation = await Invitation.objects().get(Invitation.email == "revoked@example.com")
    assert invitation is not None
    await post_form(client, f"/app/members/invitations/{invitation.id}/revoke", {})
    unknown = await post_form(client, "/app/members/invitations/999999/revoke", {})
    assert unknown.status_code == 404
    assert "<p>Cette invitation est introuvable.</p>" in unknown.text

    async with make_client(app) as browser:
        joined = await post_form(browser, used, {"full_name": "Tom", "password": PASSWORD})
        assert joined.status_code == 200
    async with make_client(app) as browser:
        for path in (expired, used, revoked):
            page = await browser.get(path)
            assert page.status_code == 400 and INVALID_LINK in page.text
            attempt = await post_form(browser, path, {"full_name": "X", "password": PASSWORD})
            assert attempt.status_code == 400 and INVALID_LINK in attempt.text
    assert not await User.exists().where(
        User.email.is_in(["expired-invitee@example.com", "revoked@example.com"])
    )


async def test_inviting_again_replaces_the_pending_invitation(
    app: Litestar, client: Client, run_worker, outbox
) -> None:
    _, org = await make_creditor(email="owner-e@example.com")
    await log_in(client, "owner-e@example.com")
    await invite(client, "again@example.com")
    first = await emailed_link(run_worker, outbox, "again@example.com")
    await invite(client, "again@example.com", "admin")
    second = await emailed_link(run_worker, outbox, "again@example.com")
    assert first != second
    async with make_client(app) as invitee:
        old = await invitee.get(first)
        assert old.status_code == 400 and INVALID_LINK in old.text
        new = await invitee.get(second)
        assert new.status_code == 200
        assert org.name in new.text and "Créez votre compte" in new.text
        assert "avec le rôle « administrateur »" in new.text, "the newest role is offered"
    rows = await Invitation.select(Invitation.role, Invitation.revoked_at).where(
        Invitation.email == "again@example.com"
    )
    assert sorted((r["role"], r["revoked_at"] is None) for r in rows) == [
        ("admin", True),
        ("member", False),
    ]


async def test_a_revocation_asks_on_its_own_page_and_says_so_once_it_is_done(
    client: Client,
) -> None:
    await make_creditor(email="owner-rv@example.com")
    await log_in(client, "owner-rv@example.com")
    await invite(client, "to-revoke@example.com")
    invitation = await Invitation.objects().get(Invitation.email == "to-revoke@example.com")
    assert invitation is not None
    path = f"/app/members/invitations/{invitation.id}/revoke"

    page = await client.get(path)

    assert page.status_code == 200
    [heading] = re.findall(r'<h1 id="confirm-title">(.*?)</h1>', page.text)
    assert html.unescape(heading) == "Annuler l'invitation de to-revoke@example.com ?"
    assert f'<form method="post" action="{path}"' in page.text
    stored = await Invitation.objects().get(Invitation.id == invitation.id)
    assert stored is not None and stored.revoked_at is None, "showing the page revokes nothing"
    await post_form(client, path, {})
    again = await client.get(path)
    assert again.status_code == 409
    assert form_error(again.text) == "Cette invitation a déjà été acceptée ou annulée."


async def test_inviting_an_existing_member_or_a_bad_address_is_refused_clearly(
    client: Client,
) -> None:
    _, org = await make_creditor(email="owner-f@example.com")
    await make_creditor(email="already@example.com", role=Role.MEMBER, organisation=org)
    await log_in(client, "owner-f@example.com")
    member = await invite(client, "already@example.com")
    assert member.status_code == 422
    assert field_error(member.text, "email") == "Cette personne est déjà membre de l'entreprise."
    bad = await invite(client, "not-an-email", "boss")
    assert bad.status_code == 422
    assert "adresse e-mail valide" in bad.text and "rôle valide" in bad.text
    assert await Invitation.count() == 0


async def test_member_without_admin_rights_cannot_invite(client: Client) -> None:
    _, org = await make_creditor(email="owner-g@example.com")
    await make_creditor(email="plain@example.com", role=Role.MEMBER, organisation=org)
    await log_in(client, "plain@example.com")
    page = await client.get("/app/members")
    assert page.status_code == 200 and "owner-g@example.com" in page.text
    assert "Inviter un collègue" not in page.text
    response = await invite(client, "friend@example.com")
    assert response.status_code == 403
    assert await Invitation.count() == 0


async def test_admin_cannot_grant_the_owner_role(client: Client) -> None:
    _, org = await make_creditor(email="owner-h@example.com")
    await make_creditor(email="admin-h@example.com", role=Role.ADMIN, organisation=org)
    member, _ = await make_creditor(
        email="member-h@example.com", role=Role.MEMBER, organisation=org
    )
    await log_in(client, "admin-h@example.com")

    invited = await invite(client, "boss@example.com", "owner")
    assert invited.status_code == 403
    assert "<p>Seul un propriétaire peut inviter un autre propriétaire.</p>" in invited.text
    assert await Invitation.count() == 0

    membership = await membership_of(member.id, org.id)
    assert membership is not None
    promoted = await post_form(client, f"/app/members/{membership.id}/role", {"role": "owner"})
    assert promoted.status_code == 403
    assert (await membership_of(member.id, org.id)).role == Role.MEMBER  # type: ignore[union-attr]

    made_admin = await post_form(client, f"/app/members/{membership.id}/role", {"role": "admin"})
    assert made_admin.status_code == 200
    assert flash_items(made_admin.text) == [("success", "Le rôle a été modifié.")]
    assert (await membership_of(member.id, org.id)).role == Role.ADMIN  # type: ignore[union-attr]
    swapped = await post_form(
        client, f"/app/members/{membership.id}/role", {"role": "member"}, headers=HTMX
    )
    table = swapped.text.split('id="members-table"')[1]
    assert "<html" not in swapped.text  # the table alone, its notice by the list acted on
    assert 'role="status" tabindex="-1">Le rôle a été modifié.</p>' in table.split("<table")[0]
    assert await AuditEvent.exists().where(AuditEvent.action == "member_role_changed")


async def test_the_last_owner_can_be_neither_demoted_nor_removed(client: Client) -> None:
    owner, org = await make_creditor(email="owner-i@example.com")
    await make_creditor(email="admin-i@example.com", role=Role.ADMIN, organisation=org)
    await make_creditor(email="owner-elsewhere@example.com")  # owns another organisation only
    await log_in(client, "owner-i@example.com")
    membership = await membership_of(owner.id, org.id)
    assert membership is not None

    demoted = await post_form(client, f"/app/members/{membership.id}/role", {"role": "admin"})
    assert demoted.status_code == 409 and LAST_OWNER in demoted.text
    removed = await post_form(client, f"/app/members/{membership.id}/remove", {})
    assert removed.status_code == 409 and LAST_OWNER in removed.text
    htmx = await post_form(client, f"/app/members/{membership.id}/remove", {}, headers=HTMX)
    assert htmx.status_code == 422 and LAST_OWNER in htmx.text and "<html" not in htmx.text
    assert (await membership_of(owner.id, org.id)).role == Role.OWNER  # type: ignore[union-attr]

    second, _ = await make_creditor(email="owner-i2@example.com", organisation=org)
    step_down = await post_form(client, f"/app/members/{membership.id}/role", {"role": "admin"})
    assert step_down.status_code == 200
    assert (await membership_of(owner.id, org.id)).role == Role.ADMIN  # type: ignore[union-attr]
    assert (await membership_of(second.id, org.id)).role == Role.OWNER  # type: ignore[union-attr]


async def test_removed_member_loses_access_at_once(app: Litestar, client: Client) -> None:
    _, org = await make_creditor(email="owner-j@example.com")
    member, _ = await make_creditor(email="leaver@example.com", role=Role.MEMBER, organisation=org)
    membership = await membership_of(member.id, org.id)
    assert membership is not None
    async with make_client(app) as member_browser:
        await log_in(member_browser, "leaver@example.com")
        assert (await member_browser.get("/app/members")).status_code == 200

        await log_in(client, "owner-j@example.com")
        removed = await post_form(client, f"/app/members/{membership.id}/remove", {}, headers=HTMX)
        assert removed.status_code == 200 and "leaver@example.com" not in removed.text

        after = await member_browser.get("/app/members", follow_redirects=False)
        assert after.status_code == 403
        dashboard = await member_browser.get("/app")
        assert dashboard.status_code == 200 and org.name not in dashboard.text
    assert await membership_of(member.id, org.id) is None
    event = await AuditEvent.objects().get(AuditEvent.action == "member_removed")
    assert event is not None and "leaver@example.com" in event.target
    again = await post_form(client, f"/app/members/{membership.id}/remove", {})  # a second tab
    assert again.status_code == 404
    assert "<p>Ce membre est introuvable.</p>" in again.text


async def test_member_can_leave_but_cannot_remove_a_colleague(client: Client) -> None:
    owner, org = await make_creditor(email="owner-k@example.com")
    member, _ = await make_creditor(email="quits@example.com", role=Role.MEMBER, organisation=org)
    owner_membership = await membership_of(owner.id, org.id)
    own = await membership_of(member.id, org.id)
    assert owner_membership is not None and own is not None
    await log_in(client, "quits@example.com")

    refused = await post_form(client, f"/app/members/{owner_membership.id}/remove", {})
    assert refused.status_code == 403
    left = await post_form(client, f"/app/members/{own.id}/remove", {})
    assert left.status_code == 200 and "Vous avez quitté l'entreprise" in left.text
    assert await membership_of(member.id, org.id) is None
    assert await membership_of(owner.id, org.id) is not None


async def test_audit_log_shows_the_organisation_events_to_owners_only(
    app: Litestar, client: Client, run_worker, outbox
) -> None:
    _, org = await make_creditor(email="owner-l@example.com")
    await make_creditor(email="admin-l@example.com", role=Role.ADMIN, organisation=org)
    await make_creditor(email="stranger@example.com")
    await log_in(client, "owner-l@example.com")
    await invite(client, "joiner@example.com")
    path = await emailed_link(run_worker, outbox, "joiner@example.com")
    async with make_client(app) as browser:
        await post_form(browser, path, {"full_name": "Joiner", "password": PASSWORD})
        for email in ("admin-l@example.com", "stranger@example.com"):
            await post_form(browser, "/login", {"email": email, "password": "wrong-password!"})
        await AuditEvent.insert(
            AuditEvent(
                organisation=org.id,
                actor_email="owner-l@example.com",
                action="login",
                ip="203.0.113.9",
                created_at=datetime(2026, 1, 15, 9, 30, tzinfo=UTC),
            )
        )

        page = await client.get("/app/audit")
        assert page.status_code == 200
        for label in ("Invitation envoyée", "Membre ajouté", "Connexion", "Échec de connexion"):
            assert label in page.text
        assert "joiner@example.com" in page.text
        assert "admin-l@example.com" in page.text, "failed logins against members are shown"
        assert "stranger@example.com" not in page.text
        assert "10:30" in page.text, "09:30 UTC in January is shown as 10:30 in Paris"
        rows = table_rows(page.text)
        assert rows[-1] == [
            "15 janv. 2026, 10:30:00",
            "owner-l@example.com",
            "Connexion",
            "—",
            "203.0.113.9",
            "Réussi",
        ], "the oldest event, last, with every column"
        failed = [row for row in rows if row[1] == "admin-l@example.com"]
        assert [row[2:] for row in failed] == [
            ["Échec de connexion", "mot de passe", BROWSER_IP, "Échec"]
        ]
        assert "Page 1 sur" not in page.text, "one page: no pagination"

        await log_in(browser, "admin-l@example.com")
        assert (await browser.get("/app/audit")).status_code == 403
        nav = await browser.get("/app/members")
        assert "Journal de sécurité" not in nav.text


async def test_audit_log_is_paginated_by_fifty_newest_first(client: Client) -> None:
    _, org = await make_creditor(email="owner-m@example.com")
    await log_in(client, "owner-m@example.com")
    await AuditEvent.delete(force=True)  # only the events below, in a known order
    start = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    await AuditEvent.insert(
        *[
            AuditEvent(
                organisation=org.id,
                actor_email="owner-m@example.com",
                action="password_changed",
                target=f"event-{n:03d}",
                created_at=start + timedelta(minutes=n),
            )
            for n in range(60)
        ]
    )
    await AuditEvent.insert(  # recorded last, for an earlier instant: placed by its instant
        AuditEvent(
            organisation=org.id,
            action="password_changed",
            target="event-late",
            created_at=start - timedelta(minutes=1),
        ),
        AuditEvent(  # two events of one instant: the one recorded later comes first
            organisation=org.id, action="login", target="event-tie-a", created_at=start
        ),
        AuditEvent(organisation=org.id, action="login", target="event-tie-b", created_at=start),
    )
    first = await client.get("/app/audit")
    assert first.text.count("event-") == 50
    assert "event-059" in first.text and "event-010" in first.text
    assert "event-009" not in first.text
    assert first.text.index("event-059") < first.text.index("event-058")
    assert "Page 1 sur 2" in first.text
    second = await client.get("/app/audit?page=2")
    assert [row[3] for row in table_rows(second.text)] == [
        *(f"event-{n:03d}" for n in range(9, 0, -1)),
        "event-tie-b",
        "event-tie-a",
        "event-000",
        "event-late",
    ]
    assert (await client.get("/app/audit?page=abc")).status_code == 400


async def test_switching_organisation_only_reaches_ones_the_user_belongs_to(
    client: Client,
) -> None:
    user, first = await make_creditor(email="two-hats@example.com")
    second = await make_organisation(name="Seconde Entreprise")
    await Membership.insert(
        Membership(
            user=user.id, organisation=second.id, role=Role.MEMBER, created_at=first.created_at
        )
    )
    _, foreign = await make_creditor(email="elsewhere@example.com")
    await log_in(client, "two-hats@example.com")
    dashboard = await client.get("/app")
    assert "Travailler dans Seconde Entreprise" in dashboard.text

    switched = await post_form(client, "/app/organisation", {"organisation_id": str(second.id)})
    assert switched.status_code == 200
    assert "Seconde Entreprise" in (await client.get("/app/members")).text
    refreshed = await User.objects().get(User.id == user.id)
    assert refreshed is not None and refreshed.last_organisation_id == second.id

    for value in (str(foreign.id), "not-a-number", "99999999999999999999"):
        refused = await post_form(client, "/app/organisation", {"organisation_id": value})
        assert refused.status_code == 404
        assert "<p>Cette entreprise est introuvable.</p>" in refused.text, value
    assert foreign.name not in (await client.get("/app")).text


@pytest.mark.parametrize("app_clock", [FixedClock(JOINED_AT)], ids=["app on a fixed clock"])
async def test_the_members_page_lists_by_role_then_name_and_invitations_newest_first(
    app_clock: Clock, client: Client
) -> None:
    owner, org = await make_creditor(email="zoe.owner@example.com", full_name="Zoé Owner")
    for email, name, role in (
        ("a.bernard@example.com", "bernard Petit", Role.ADMIN),
        ("z.alain@example.com", "Alain Roux", Role.ADMIN),
        ("zzz.noname@example.com", "", Role.MEMBER),
        ("aaa.claire@example.com", "Claire Dupont", Role.MEMBER),
        ("fabre@example.com", "Fabrice Fabre", Role.MEMBER),
        ("elodie@example.com", "Élodie Martin", Role.MEMBER),
    ):
        user, _ = await make_creditor(email=email, full_name=name, role=role, organisation=org)
        if not name:
            nameless = user
    day = timedelta(days=1)
    for email, inviter, created, expires in (
        ("older@example.com", owner, JOINED_AT - 2 * day, JOINED_AT),  # expires this instant
        ("newer@example.com", nameless, JOINED_AT - day, JOINED_AT + day),
        ("orphan@example.com", None, JOINED_AT - 3 * day, JOINED_AT + day),  # inviter gone
    ):
        await Invitation(
            organisation=org.id,
            email=email,
            role=Role.MEMBER,
            token_hash=secret_hash(email),
            invited_by=inviter.id if inviter else None,
            expires_at=expires,
            created_at=created,
        ).save()
    await log_in(client, "zoe.owner@example.com")

    page = await client.get("/app/members")

    members, invitations = table_rows(page.text)[:7], table_rows(page.text)[7:]
    assert [row[:3] for row in members] == [
        ["Zoé Owner (vous)", "zoe.owner@example.com", "Propriétaire"],
        ["Alain Roux", "z.alain@example.com", "Administrateur"],
        ["bernard Petit", "a.bernard@example.com", "Administrateur"],
        ["Claire Dupont", "aaa.claire@example.com", "Membre"],
        ["Élodie Martin", "elodie@example.com", "Membre"],  # by its letters, not its code point
        ["Fabrice Fabre", "fabre@example.com", "Membre"],
        ["—", "zzz.noname@example.com", "Membre"],  # no name: sorted by address
    ]
    assert [row[:4] for row in invitations] == [
        ["newer@example.com", "Membre", "zzz.noname@example.com", "24 novembre 2026"],
        ["older@example.com", "Membre", "Zoé Owner", "Expirée"],
        ["orphan@example.com", "Membre", "—", "24 novembre 2026"],
    ]


async def test_htmx_invite_answers_with_the_members_table_partial(client: Client) -> None:
    await make_creditor(email="owner-n@example.com")
    await log_in(client, "owner-n@example.com")
    response = await invite(client, "partial@example.com", headers=HTMX)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="members-table"' in response.text
    assert 'name="_csrf_token"' in response.text, "the swapped-in forms must still post"
    assert "partial@example.com" in response.text
    notice = "L'invitation a été envoyée."
    before_form, invite_panel = response.text.split('id="invite-title"')
    assert notice in invite_panel.split("<form")[0], "the notice sits by the form acted on"
    assert notice not in before_form

    invalid = await invite(client, "nope", headers=HTMX)
    assert invalid.status_code == 422
    assert "<html" not in invalid.text and "adresse e-mail valide" in invalid.text
    assert await Invitation.count() == 1


async def test_unknown_user_and_fresh_account_see_no_members_page(client: Client) -> None:
    response = await client.get("/app/members", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=/app/members")
    await make_user(email="loner@example.com")
    await log_in(client, "loner@example.com")
    assert (await client.get("/app/members")).status_code == 403


async def test_dashboard_shows_the_organisation_facts_and_links_to_members(
    client: Client,
) -> None:
    _, org = await make_creditor(email="owner-o@example.com")
    await make_creditor(email="colleague-o@example.com", role=Role.MEMBER, organisation=org)
    await log_in(client, "owner-o@example.com")
    dashboard = await client.get("/app")
    assert org.vat_number in dashboard.text
    assert "2 membres" in dashboard.text
    assert 'href="/app/members"' in dashboard.text and 'href="/app/audit"' in dashboard.text


async def test_an_organisation_cannot_send_invitations_in_bulk(
    app: Litestar, client: Client
) -> None:
    await make_creditor(email="owner-p@example.com")
    await log_in(client, "owner-p@example.com")
    statuses = [
        (await invite(client, f"bulk{n}@example.com", headers=HTMX)).status_code for n in range(21)
    ]
    assert statuses == [200] * 20 + [429]
    assert await Invitation.count() == 20

    # The quota is the organisation's: another one, from the same address, still invites.
    await make_creditor(email="owner-q@example.com")
    async with make_client(app) as neighbour:
        await log_in(neighbour, "owner-q@example.com")
        assert (await invite(neighbour, "first@example.com", headers=HTMX)).status_code == 200


async def test_member_removed_from_one_organisation_continues_in_their_other_one(
    app: Litestar, client: Client
) -> None:
    owner, org_a = await make_creditor(email="owner-q@example.com")
    await User.update({User.last_organisation_id: org_a.id}).where(User.id == owner.id)
    both, org_b = await make_creditor(email="both-q@example.com")
    await Membership.insert(
        Membership(
            user=both.id, organisation=org_a.id, role=Role.ADMIN, created_at=org_a.created_at
        )
    )
    await User.update({User.last_organisation_id: org_a.id}).where(User.id == both.id)
    membership = await membership_of(both.id, org_a.id)
    assert membership is not None
    async with make_client(app) as browser:
        await log_in(browser, "both-q@example.com")
        assert org_a.name in (await browser.get("/app/members")).text

        await log_in(client, "owner-q@example.com")
        await post_form(client, f"/app/members/{membership.id}/remove", {})

        late_post = await invite(browser, "meant-for-a@example.com")
        assert late_post.status_code == 403, "a form meant for A must not land in B"
        assert await Invitation.count() == 0
        page = await browser.get("/app/members")
        assert page.status_code == 200
        assert org_b.name in page.text and org_a.name not in page.text
        now_in_b = await invite(browser, "meant-for-b@example.com", follow_redirects=False)
        assert now_in_b.status_code == 303, "once a page showed B, the session is in B"
        invited = await Invitation.select(Invitation.organisation, Invitation.email)
        assert invited == [{"organisation": org_b.id, "email": "meant-for-b@example.com"}]
    last_used = {
        row["email"]: row["last_organisation_id"]
        for row in await User.select(User.email, User.last_organisation_id)
    }
    assert last_used == {"owner-q@example.com": org_a.id, "both-q@example.com": None}


async def test_names_chosen_by_users_are_escaped_on_the_invitation_page(
    app: Litestar, client: Client, run_worker, outbox
) -> None:
    org = await make_organisation(name='<img src=x onerror="alert(1)"> & Co')
    await make_creditor(email="owner-r@example.com", organisation=org)
    await log_in(client, "owner-r@example.com")
    await invite(client, "escaped@example.com")
    path = await emailed_link(run_worker, outbox, "escaped@example.com")
    [email] = outbox("escaped@example.com")
    assert email.html and "<img src=x" not in email.html and "&lt;img src=x" in email.html
    async with make_client(app) as browser:
        page = await browser.get(path)
    assert "<img src=x" not in page.text and "&lt;img src=x" in page.text


async def test_an_invitation_is_recorded_with_its_inviter_and_speaks_the_invitees_language(
    client: Client, run_worker: Any, outbox: Any
) -> None:
    owner, org = await make_creditor(email="owner-lang@example.com")
    await make_user(email="english@example.com", locale="en")
    await make_user(email="francais@example.com", locale="fr")
    await log_in(client, owner.email)
    for email in ("english@example.com", "francais@example.com", "unknown@example.com"):
        assert (await invite(client, email, follow_redirects=False)).status_code == 303

    rows = await Invitation.select(Invitation.email, Invitation.invited_by).where(
        Invitation.organisation == org.id
    )
    assert {row["email"]: row["invited_by"] for row in rows} == {
        "english@example.com": owner.id,
        "francais@example.com": owner.id,
        "unknown@example.com": owner.id,
    }
    await run_worker()
    subjects = {
        email: outbox(email)[0].subject
        for email in ("english@example.com", "francais@example.com", "unknown@example.com")
    }
    assert subjects == {
        "english@example.com": "You've been invited to join a company on Ponctuel",
        "francais@example.com": "Vous êtes invité à rejoindre une entreprise sur Ponctuel",
        "unknown@example.com": "Vous êtes invité à rejoindre une entreprise sur Ponctuel",
    }, "an account's own language, else the inviter's page language"


async def test_an_invitation_to_an_organisation_one_already_belongs_to_says_so(
    client: Client,
) -> None:
    _, org = await make_creditor(email="owner-r@example.com")
    member, _ = await make_creditor(email="inside@example.com", role=Role.MEMBER, organisation=org)
    await Invitation(
        organisation=org.id,
        email=member.email,
        role=Role.ADMIN,
        token_hash=secret_hash("an-old-invitation"),
        expires_at=datetime(2100, 1, 1, tzinfo=UTC),
        created_at=JOINED_AT,
    ).save()
    await log_in(client, member.email)

    refused = await post_form(client, "/invitations/an-old-invitation", {})

    assert refused.status_code == 409
    assert form_error(refused.text) == "Vous êtes déjà membre de cette entreprise."
    assert (await membership_of(member.id, org.id)).role == Role.MEMBER  # type: ignore[union-attr]


async def test_a_member_reopening_the_invitation_they_accepted_is_told_so_and_sent_on(
    app: Litestar, client: Client
) -> None:
    _, org = await make_creditor(email="owner-re@example.com")
    member, _ = await make_creditor(email="joined@example.com", role=Role.MEMBER, organisation=org)
    await Invitation(
        organisation=org.id,
        email=member.email,
        role=Role.MEMBER,
        token_hash=secret_hash("an-accepted-invitation"),
        expires_at=datetime(2100, 1, 1, tzinfo=UTC),
        created_at=JOINED_AT,
        accepted_at=JOINED_AT,
    ).save()
    await log_in(client, member.email)

    page = await client.get("/invitations/an-accepted-invitation")

    assert page.status_code == 200
    assert f"Vous êtes déjà membre de {org.name}." in page.text
    assert '<a class="button" href="/app">Aller au tableau de bord</a>' in page.text
    assert INVALID_LINK not in page.text
    async with make_client(app) as stranger:
        assert INVALID_LINK in (await stranger.get("/invitations/an-accepted-invitation")).text


async def test_a_member_removed_from_their_only_organisation_creates_a_new_one(
    app: Litestar, client: Client
) -> None:
    owner, org = await make_creditor(email="owner-new@example.com")
    alone, _ = await make_creditor(email="alone@example.com", role=Role.MEMBER, organisation=org)
    await log_in(client, alone.email)
    membership = await membership_of(alone.id, org.id)
    assert membership is not None
    async with make_client(app) as owner_client:
        await log_in(owner_client, owner.email)
        await post_form(owner_client, f"/app/members/{membership.id}/remove", {})

    dashboard = await client.get("/app")
    assert "Créer votre entreprise" in dashboard.text
    held = await post_form(
        client, "/app/organisations", {"organisation_name": "Copie", "siren": org.siren}
    )
    assert held.status_code == 422
    assert field_error(held.text, "siren").startswith("Une entreprise utilise déjà ce SIREN")
    assert 'href="/claims/new"' in held.text
    assert await Organisation.count() == 1

    siren = await free_siren()
    created = await post_form(
        client, "/app/organisations", {"organisation_name": "Alone SAS", "siren": siren}
    )

    assert created.url.path == "/app"
    assert flash_items(created.text) == [
        ("success", "Alone SAS est créée : vous en êtes propriétaire.")
    ]
    new = await Organisation.objects().get(Organisation.siren == siren)
    assert new is not None and new.name == "Alone SAS"
    owned = await membership_of(alone.id, new.id)
    assert owned is not None and owned.role == Role.OWNER
    assert "Alone SAS" in (await client.get("/app/members")).text
    assert await audit_trail("organisation_created") == [
        {
            "user": alone.id,
            "organisation": new.id,
            "actor_email": alone.email,
            "target": siren,
            "ip": BROWSER_IP,
            "user_agent": BROWSER_AGENT,
            "is_success": True,
        }
    ]


async def test_a_form_posted_right_after_login_lands_in_the_organisation_logged_into(
    client: Client,
) -> None:
    await make_creditor(email="quick@example.com")
    logged_in = await post_form(
        client,
        "/login",
        {"email": "quick@example.com", "password": PASSWORD},
        follow_redirects=False,
    )
    assert logged_in.status_code == 303

    sent = await invite(client, "first-thing@example.com", follow_redirects=False)

    assert sent.status_code == 303, "no page view needed first"
    assert await Invitation.count() == 1
