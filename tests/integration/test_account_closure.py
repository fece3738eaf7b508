"""Closing one's own account: what goes with it, what stops it, and what the log keeps."""

from __future__ import annotations

from typing import Any

import httpx

from app.accounts.service.closure import closure_of
from app.accounts.tables import Membership, Organisation, Role, User
from tests.factories import (
    PASSWORD,
    audit_trail,
    field_error,
    flash_messages,
    form_error,
    log_in,
    make_creditor,
    make_organisation,
    post_form,
)

Client = httpx.AsyncClient


async def test_a_sole_owner_closes_the_account_and_the_company_goes_with_it(
    client: Client, run_worker: Any, outbox: Any
) -> None:
    user, organisation = await make_creditor(email="owner@example.com", full_name="Léa Martin")
    await log_in(client, "owner@example.com")
    page = await client.get("/account/close")
    assert organisation.name in page.text.split('data-testid="deleted-organisations"')[1]

    closed = await post_form(client, "/account/close", {"password": PASSWORD})

    assert str(closed.url).endswith("/")
    assert flash_messages(closed.text) == [
        "Votre compte est fermé. Merci d'avoir utilisé Ponctuel."
    ]
    assert await User.exists().where(User.id == user.id) is False
    assert await Organisation.exists().where(Organisation.id == organisation.id) is False
    assert await audit_trail("account_closed") == [
        {
            "user": None,
            "organisation": None,
            "actor_email": "owner@example.com",
            "target": "",
            "ip": "127.0.0.1",
            "user_agent": client.headers["user-agent"],
            "is_success": True,
        }
    ]
    after = await client.get("/app")
    assert after.url.path == "/login", "the session ended with the account"
    await run_worker()
    [email] = outbox(to="owner@example.com")
    assert email.subject == "Votre compte Ponctuel est fermé"
    assert email.text.startswith("Bonjour Léa Martin,")
    assert organisation.name in email.text


async def test_a_wrong_password_closes_nothing(client: Client) -> None:
    user, organisation = await make_creditor(email="owner@example.com")
    await log_in(client, "owner@example.com")
    refused = await post_form(client, "/account/close", {"password": "pas le bon"})
    assert refused.status_code == 422
    assert field_error(refused.text, "password") == "Le mot de passe est incorrect."
    empty = await post_form(client, "/account/close", {})
    assert field_error(empty.text, "password") == "Saisissez votre mot de passe."
    assert await User.exists().where(User.id == user.id)
    assert await Organisation.exists().where(Organisation.id == organisation.id)
    assert await audit_trail("account_closed") == []


async def test_the_last_owner_of_a_company_with_colleagues_must_hand_it_over_first(
    client: Client,
) -> None:
    user, organisation = await make_creditor(email="owner@example.com")
    await make_creditor(email="member@example.com", organisation=organisation, role=Role.MEMBER)
    await log_in(client, "owner@example.com")
    page = await client.get("/account/close")
    assert "Fermer définitivement mon compte" not in page.text
    assert 'href="/app/members"' in page.text

    refused = await post_form(client, "/account/close", {"password": PASSWORD})
    assert refused.status_code == 409
    assert form_error(refused.text).startswith("Vous êtes le dernier propriétaire")
    assert await User.exists().where(User.id == user.id)
    assert await Membership.count().where(Membership.organisation == organisation.id) == 2


async def test_a_member_who_leaves_the_platform_leaves_the_company_to_its_owner(
    client: Client,
) -> None:
    owner, organisation = await make_creditor(email="owner@example.com")
    member, _ = await make_creditor(
        email="member@example.com", organisation=organisation, role=Role.MEMBER
    )
    await log_in(client, "member@example.com")
    page = await client.get("/account/close")
    assert 'data-testid="deleted-organisations"' not in page.text
    await post_form(client, "/account/close", {"password": PASSWORD})
    assert await User.exists().where(User.id == member.id) is False
    remaining = await Membership.select(Membership.user).where(
        Membership.organisation == organisation.id
    )
    assert remaining == [{"user": owner.id}]


async def test_an_account_without_a_password_confirms_with_its_own_address(
    client: Client,
) -> None:
    user, _ = await make_creditor(email="owner@example.com")
    await log_in(client, "owner@example.com")
    await User.update({User.password_hash: None}).where(User.id == user.id)
    page = await client.get("/account/close")
    assert 'name="confirm_email"' in page.text and 'name="password"' not in page.text

    wrong = await post_form(client, "/account/close", {"confirm_email": "other@example.com"})
    assert field_error(wrong.text, "confirm_email") == "Ce n'est pas l'adresse e-mail de ce compte."
    assert await User.exists().where(User.id == user.id)
    await post_form(client, "/account/close", {"confirm_email": " Owner@Example.com "})
    assert await User.exists().where(User.id == user.id) is False


async def test_only_companies_the_user_is_the_last_owner_of_with_colleagues_stop_the_closing(
    db: Any,
) -> None:
    handed_over = await make_organisation(name="Atelier Léa")
    user, _ = await make_creditor(email="owner@example.com", organisation=handed_over)
    await make_creditor(email="member@example.com", organisation=handed_over, role=Role.MEMBER)
    _, shared = await make_creditor(email="co-owner@example.com")  # owns it with the user
    await make_creditor(organisation=shared, existing=user)
    await make_creditor(email="elsewhere@example.com")  # another company's owner

    closure = await closure_of(user.id)

    assert closure.blocking == ["Atelier Léa"]  # the co-owned company does not stop it
    assert closure.deleted == []
