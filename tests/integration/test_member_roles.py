"""Who may change whose role or remove whom: every pair of roles, checked against a written table.

The rules: only owners grant or take away the owner role, so admins and members can never
demote, promote to owner or remove an owner; admins manage admins and members; members change
nobody's role and remove only themselves; the last owner can be neither demoted nor removed.
The tables below spell out the expected outcome of each request; they are not derived from
the application's code. Each case sends the request as a logged-in user and checks the answer
and every membership of the organisation afterwards.
"""

from __future__ import annotations

import html
import re
from enum import Enum

import httpx
import pytest

from app.accounts.service import members
from app.accounts.service.members import LAST_OWNER
from app.accounts.tables import Membership, Role, User
from app.clock import SystemClock
from app.errors import DomainError
from tests.factories import form_error, log_in, make_creditor, make_organisation, post_form

Client = httpx.AsyncClient


class Outcome(Enum):
    DONE = "done"  # 303 back to the members page, the change is made
    SAME = "same"  # 303 back to the members page, the role asked for is the one held already
    LEFT = "left"  # 303 to the dashboard: the actor left the organisation
    REFUSED = "refused"  # 403, nothing changes
    LAST_OWNER = "last owner"  # 409, nothing changes


DONE, SAME, LEFT, NO, LAST = (
    Outcome.DONE,
    Outcome.SAME,
    Outcome.LEFT,
    Outcome.REFUSED,
    Outcome.LAST_OWNER,
)
ACTIONS = ("owner", "admin", "member", "remove")  # give that role, or remove the member

# Acting on a colleague; the organisation always has another owner besides the two of them,
# so a refusal here comes from the roles, never from the last-owner rule. Asking for the role
# the member already holds changes nothing and is answered like a change.
# fmt: off
ON_A_COLLEAGUE: dict[tuple[str, str], tuple[Outcome, Outcome, Outcome, Outcome]] = {
    # actor     target         ->owner  ->admin  ->member  remove
    ("owner",  "owner"):     (SAME,    DONE,    DONE,     DONE),
    ("owner",  "admin"):     (DONE,    SAME,    DONE,     DONE),
    ("owner",  "member"):    (DONE,    DONE,    SAME,     DONE),
    ("admin",  "owner"):     (SAME,    NO,      NO,       NO),
    ("admin",  "admin"):     (NO,      SAME,    DONE,     DONE),
    ("admin",  "member"):    (NO,      DONE,    SAME,     DONE),
    ("member", "owner"):     (NO,      NO,      NO,       NO),
    ("member", "admin"):     (NO,      NO,      NO,       NO),
    ("member", "member"):    (NO,      NO,      NO,       NO),
}

# Acting on oneself: (the actor's role, whether another owner exists) -> each action's outcome.
ON_ONESELF: dict[tuple[str, bool], tuple[Outcome, Outcome, Outcome, Outcome]] = {
    # actor    other owner     ->owner  ->admin  ->member  remove
    ("owner",  False):       (SAME,    LAST,    LAST,     LAST),
    ("owner",  True):        (SAME,    DONE,    DONE,     LEFT),
    ("admin",  True):        (NO,      SAME,    DONE,     LEFT),
    ("member", True):        (NO,      NO,      NO,       LEFT),
}
# fmt: on

COLLEAGUE_CASES = [
    (actor, target, action, outcome)
    for (actor, target), outcomes in ON_A_COLLEAGUE.items()
    for action, outcome in zip(ACTIONS, outcomes, strict=True)
]
SELF_CASES = [
    (actor, other_owner, action, outcome)
    for (actor, other_owner), outcomes in ON_ONESELF.items()
    for action, outcome in zip(ACTIONS, outcomes, strict=True)
]


async def _roles(organisation_id: int) -> dict[str, str]:
    rows = await Membership.select(Membership.user.email, Membership.role).where(
        Membership.organisation == organisation_id
    )
    return {row["user.email"]: row["role"] for row in rows}


async def _organisation_with(*members: tuple[str, str]) -> tuple[int, dict[str, int]]:
    """An organisation holding (email, role) members; its id and their membership ids."""
    org = await make_organisation()
    ids = {}
    for email, role in members:
        user, _ = await make_creditor(email=email, role=Role(role), organisation=org)
        membership = await Membership.objects().get(
            (Membership.user == user.id) & (Membership.organisation == org.id)
        )
        assert membership is not None
        ids[email] = int(membership.id)
    return int(org.id), ids


async def _act(client: Client, membership_id: int, action: str) -> httpx.Response:
    if action == "remove":
        return await post_form(
            client, f"/app/members/{membership_id}/remove", {}, follow_redirects=False
        )
    return await post_form(
        client, f"/app/members/{membership_id}/role", {"role": action}, follow_redirects=False
    )


async def _assert_confirmation_page(
    client: Client, membership_id: int, outcome: Outcome, *, actor: str
) -> None:
    """A removal's confirmation page (what a click shows without JavaScript) is refused
    exactly as the removal itself, and offers it only when it would be carried out."""
    page = await client.get(f"/app/members/{membership_id}/remove", follow_redirects=False)
    expected = {DONE: 200, LEFT: 200, NO: 403, LAST: 409}[outcome]
    assert page.status_code == expected, page.text[:300]
    if outcome is NO:
        assert _refusal(page) == _expected_refusal(actor=actor, action="remove")
    if outcome is LAST:
        assert form_error(page.text) == LAST_OWNER
    if outcome in (DONE, LEFT):
        [heading] = re.findall(r'<h1 id="confirm-title">(.*?)</h1>', page.text, re.S)
        who = "Quitter" if outcome is LEFT else "Retirer Claire Dupont (target@example.com)"
        assert html.unescape(heading).startswith(who), heading
        assert f'action="/app/members/{membership_id}/remove"' in page.text


def _assert_answer(response: httpx.Response, outcome: Outcome, *, actor: str, action: str) -> None:
    expected = {DONE: 303, SAME: 303, LEFT: 303, NO: 403, LAST: 409}[outcome]
    assert response.status_code == expected, response.text[:300]
    if outcome is NO:  # the error page says why
        assert _refusal(response) == _expected_refusal(actor=actor, action=action)
    if outcome is LAST:  # the members page again, with the reason above the list
        assert form_error(response.text) == LAST_OWNER
    if outcome in (DONE, SAME):
        assert response.headers["location"] == "/app/members"
    if outcome is LEFT:
        assert response.headers["location"] == "/app"


def _refusal(response: httpx.Response) -> str:
    """The reason the error page gives."""
    [reason] = re.findall(r'<section class="error-page">.*?<p>(.*?)</p>', response.text, re.S)
    return html.unescape(reason)


def _expected_refusal(*, actor: str, action: str) -> str:
    if action == "remove":
        return "Vous n'avez pas le droit de retirer ce membre."
    if actor == "member":  # the members page's role controls are for owners and admins
        return (
            "Vous n'avez pas le droit d'effectuer cette action. Si vous veniez d'un formulaire, "
            "rechargez la page puis réessayez."
        )
    return "Seul un propriétaire peut nommer ou retirer un propriétaire."


def _expected_roles(
    before: dict[str, str], email: str, action: str, outcome: Outcome
) -> dict[str, str]:
    if outcome not in (DONE, LEFT):
        return before
    after = dict(before)
    if action == "remove":
        del after[email]
    else:
        after[email] = action
    return after


def _case_id(actor: str, whom: str, action: str, outcome: Outcome) -> str:
    deed = f"removes {whom}" if action == "remove" else f"sets {whom} to {action}"
    return f"{actor} {deed}: {outcome.value}"


@pytest.mark.parametrize(
    ("actor", "target", "action", "outcome"),
    COLLEAGUE_CASES,
    ids=[_case_id(actor, f"the {target}", *rest) for actor, target, *rest in COLLEAGUE_CASES],
)
async def test_acting_on_a_colleague_follows_the_table(
    client: Client, actor: str, target: str, action: str, outcome: Outcome
) -> None:
    org_id, ids = await _organisation_with(
        ("anchor@example.com", "owner"),
        ("actor@example.com", actor),
        ("target@example.com", target),
    )
    before = await _roles(org_id)
    await log_in(client, "actor@example.com")
    if action == "remove":
        await _assert_confirmation_page(client, ids["target@example.com"], outcome, actor=actor)

    response = await _act(client, ids["target@example.com"], action)

    _assert_answer(response, outcome, actor=actor, action=action)
    assert await _roles(org_id) == _expected_roles(before, "target@example.com", action, outcome)


@pytest.mark.parametrize(
    ("actor", "other_owner", "action", "outcome"),
    SELF_CASES,
    ids=[
        _case_id(actor, "oneself" if other else "oneself, the only owner", *rest)
        for actor, other, *rest in SELF_CASES
    ],
)
async def test_acting_on_oneself_follows_the_table(
    client: Client, actor: str, other_owner: bool, action: str, outcome: Outcome
) -> None:
    members = [("actor@example.com", actor)]
    if other_owner:
        members.append(("other-owner@example.com", "owner"))
    org_id, ids = await _organisation_with(*members)
    before = await _roles(org_id)
    await log_in(client, "actor@example.com")
    if action == "remove":
        await _assert_confirmation_page(client, ids["actor@example.com"], outcome, actor=actor)

    response = await _act(client, ids["actor@example.com"], action)

    _assert_answer(response, outcome, actor=actor, action=action)
    assert await _roles(org_id) == _expected_roles(before, "actor@example.com", action, outcome)
    if outcome is LEFT:
        user = await User.objects().get(User.email == "actor@example.com")
        assert user is not None and user.last_organisation_id != org_id


@pytest.mark.parametrize("change", ["invite", "change_role"])
async def test_the_service_itself_refuses_a_role_that_does_not_exist(
    db: object, change: str
) -> None:
    """The forms offer only real roles; a caller that skips them meets the same refusal."""
    owner, organisation = await make_creditor(email="owner.roles@example.com")
    actor = members.Actor(
        user_id=owner.id,
        email=owner.email,
        organisation_id=organisation.id,
        role=Role.OWNER.value,
        ip="203.0.113.7",
        user_agent="test",
    )
    with pytest.raises(DomainError) as refused:
        if change == "invite":
            await members.invite_member(
                actor=actor,
                email="new.member@example.com",
                role="superuser",
                default_locale="fr",
                clock=SystemClock(),
            )
        else:
            membership = await Membership.objects().get(Membership.user == owner.id)
            assert membership is not None
            await members.change_role(
                actor=actor, membership_id=membership.id, role="superuser", clock=SystemClock()
            )
    assert (refused.value.message, refused.value.field) == ("Choisissez un rôle valide.", "role")
    assert await Membership.count().where(Membership.organisation == organisation.id) == 1
